-- +goose Up
-- A site's opening hours (docs/ARCHITECTURE.md, "Opening hours"): a small
-- subset of OpenStreetMap's opening_hours syntax, "09:00-17:00" or
-- "Mo-Fr 09:00-17:00; Sa 10:00-14:00". '' means always open (or not
-- known). Coverage counts a site only in the hours it is open.
ALTER TABLE sites ADD COLUMN opening_hours text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sites DROP COLUMN opening_hours;
