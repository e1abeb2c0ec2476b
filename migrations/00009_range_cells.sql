-- +goose Up
-- A range's res-9 cells move from rider_cells (one row per rider, period and
-- cell: 3 M rows a district-day, each with a foreign-key check and two index
-- entries) into parallel arrays of its rider_ranges row, sorted by cell:
-- cells[i] has cell_share[i] of the range's active seconds, cell_seconds[i],
-- cell_dwell_seconds[i] and cell_days[i]. "Which ranges touch these cells" is
-- the GIN index on cells (cells && $grid_cells).
ALTER TABLE rider_ranges
    ADD COLUMN cells              bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN cell_share         double precision[] NOT NULL DEFAULT '{}',
    ADD COLUMN cell_seconds       double precision[] NOT NULL DEFAULT '{}',
    ADD COLUMN cell_dwell_seconds double precision[] NOT NULL DEFAULT '{}',
    ADD COLUMN cell_days          integer[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT rider_ranges_cell_arrays CHECK (cardinality(cell_share) = cardinality(cells)
        AND cardinality(cell_seconds) = cardinality(cells) AND cardinality(cell_dwell_seconds) = cardinality(cells)
        AND cardinality(cell_days) = cardinality(cells));
UPDATE rider_ranges r SET cells = c.cells, cell_share = c.share, cell_seconds = c.seconds,
        cell_dwell_seconds = c.dwell_seconds, cell_days = c.days
    FROM (SELECT rider, period, array_agg(cell ORDER BY cell) AS cells, array_agg(share ORDER BY cell) AS share,
            array_agg(seconds ORDER BY cell) AS seconds, array_agg(dwell_seconds ORDER BY cell) AS dwell_seconds,
            array_agg(days ORDER BY cell) AS days
        FROM rider_cells GROUP BY rider, period) c
    WHERE r.rider = c.rider AND r.period = c.period;
DROP TABLE rider_cells;
CREATE INDEX rider_ranges_cells ON rider_ranges USING gin (cells);

-- +goose Down
CREATE TABLE rider_cells (
    rider         bigint NOT NULL,
    period        text NOT NULL,
    cell          bigint NOT NULL,
    share         double precision NOT NULL,
    seconds       double precision NOT NULL,
    dwell_seconds double precision NOT NULL,
    days          integer NOT NULL,
    PRIMARY KEY (rider, period, cell),
    FOREIGN KEY (rider, period) REFERENCES rider_ranges (rider, period) ON DELETE CASCADE
);
INSERT INTO rider_cells (rider, period, cell, share, seconds, dwell_seconds, days)
    SELECT r.rider, r.period, u.cell, u.share, u.seconds, u.dwell_seconds, u.days
    FROM rider_ranges r,
        unnest(r.cells, r.cell_share, r.cell_seconds, r.cell_dwell_seconds, r.cell_days) AS u(cell, share, seconds, dwell_seconds, days);
CREATE INDEX rider_cells_cell ON rider_cells (cell);
DROP INDEX rider_ranges_cells;
ALTER TABLE rider_ranges DROP CONSTRAINT rider_ranges_cell_arrays, DROP COLUMN cells, DROP COLUMN cell_share,
    DROP COLUMN cell_seconds, DROP COLUMN cell_dwell_seconds, DROP COLUMN cell_days;
