-- +goose Up
-- Exact per-cell rollups of fixed hour sets (the released views' hours:
-- breakfast, lunch, dinner, night, peak, weekday, weekend and their
-- weekday/weekend variants), rebuilt from hex_activity after every change
-- of the activity (internal/store/views.go). Element i of each array is
-- view i of hex_views_state.views; riders are distinct over the union of
-- the view's hour rows. Admins' filtered tiles and analyses of these hour
-- sets read them instead of merging up to 42 rows of rider keys a cell.
-- On Citus: distributed by cell, like hex_activity.
CREATE TABLE hex_views (
    res           smallint NOT NULL,
    cell          bigint NOT NULL,
    pings         bigint[] NOT NULL,
    riders        integer[] NOT NULL,
    rider_seconds double precision[] NOT NULL,
    dwell_seconds double precision[] NOT NULL,
    PRIMARY KEY (res, cell)
);

-- Which activity data version and hour sets hex_views holds; a reader that
-- finds another activity version does not use them.
CREATE TABLE hex_views_state (
    one              boolean PRIMARY KEY DEFAULT true CHECK (one),
    activity_version bigint NOT NULL,
    views            text NOT NULL,
    built_at         timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE hex_views_state;
DROP TABLE hex_views;
