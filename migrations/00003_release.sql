-- +goose Up
-- The published release (internal/release, docs/PRIVACY.md): what roles
-- other than admin see. One release per local day of data; a day's newest
-- 'current' release is served. Values are noisy (the exact values beside
-- them are for redrawing only what changed, never served outside the admin
-- role).
INSERT INTO data_versions (layer) VALUES ('release') ON CONFLICT DO NOTHING;

CREATE TABLE release (
    id          bigserial PRIMARY KEY,
    day         date NOT NULL,
    status      text NOT NULL CHECK (status IN ('current', 'superseded', 'refused', 'withdrawn')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    rho         double precision NOT NULL, -- zCDP charged to each rider-day of the day
    rider_days  integer NOT NULL,
    redrawn     integer NOT NULL,          -- values drawn afresh in this release
    build_ms    integer NOT NULL DEFAULT 0,
    params      jsonb NOT NULL DEFAULT '{}',
    note        text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX release_one_current ON release (day) WHERE status = 'current';

-- figure 0: rider-hours of a block of hours (view = block), figure 1:
-- distinct riders of an hour set (view = hour set), per res-9 cell.
CREATE TABLE release_cells (
    release_id bigint NOT NULL REFERENCES release (id) ON DELETE CASCADE,
    figure     smallint NOT NULL,
    view       smallint NOT NULL,
    cell       bigint NOT NULL,
    exact      double precision NOT NULL,
    draw       bigint NOT NULL, -- the release whose noise this value carries
    value      double precision NOT NULL,
    PRIMARY KEY (release_id, figure, view, cell)
);

-- Distinct riders of an hour set per area (district, street, community).
CREATE TABLE release_areas (
    release_id bigint NOT NULL REFERENCES release (id) ON DELETE CASCADE,
    view       smallint NOT NULL,
    level      text NOT NULL,
    code       text NOT NULL,
    exact      double precision NOT NULL,
    draw       bigint NOT NULL,
    value      double precision NOT NULL,
    PRIMARY KEY (release_id, view, level, code)
);

-- The privacy budget ledger: zCDP rho spent on each rider-day by every
-- release containing it. Dropped with the day by retention, and for a
-- rider by forget.
CREATE TABLE privacy_ledger (
    rider bigint NOT NULL,
    day   date NOT NULL,
    rho   double precision NOT NULL,
    PRIMARY KEY (rider, day)
);
CREATE INDEX privacy_ledger_day ON privacy_ledger (day);

-- +goose Down
DROP TABLE privacy_ledger, release_areas, release_cells, release;
DELETE FROM data_versions WHERE layer = 'release';
