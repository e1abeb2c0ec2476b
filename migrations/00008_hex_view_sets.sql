-- +goose Up
-- The distinct riders behind the rollups of hex_views, at the demand
-- resolution only: roaring bitmaps (portable serialization) of rider
-- ordinals numbered by the refresh that wrote them, so sets of different
-- cells of one refresh unite exactly (areas, gap zones) without merging
-- every hour row's rider keys per request. week_set is the whole week's
-- set; rider_sets[i] is view i's.
ALTER TABLE hex_views ADD COLUMN week_set bytea, ADD COLUMN rider_sets bytea[];
ALTER TABLE hex_views_state ADD COLUMN sets_res smallint;

-- +goose Down
ALTER TABLE hex_views_state DROP COLUMN sets_res;
ALTER TABLE hex_views DROP COLUMN week_set, DROP COLUMN rider_sets;
