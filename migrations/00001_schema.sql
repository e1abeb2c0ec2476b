-- +goose Up
-- The whole data model of hexcover (docs/ARCHITECTURE.md). Geometry is WGS-84
-- (SRID 4326). H3 cells are stored as bigint (the 64-bit H3 index).
CREATE EXTENSION IF NOT EXISTS postgis;

-- Settings-independent bookkeeping: one row per data layer, bumped whenever
-- its data changes; tile caches and ETags are keyed by it.
CREATE TABLE data_versions (
    layer      text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_versions (layer) VALUES ('activity'), ('areas'), ('grids'), ('sites'), ('assignments');

-- One row per imported file. A file is identified by kind and content hash:
-- importing the same bytes again is a no-op unless replaced.
CREATE TABLE ingest_batches (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('pings', 'grids', 'sites', 'areas')),
    name          text NOT NULL,
    sha256        text NOT NULL,
    crs           text NOT NULL DEFAULT 'wgs84',
    rows_ok       bigint NOT NULL DEFAULT 0,
    rows_rejected bigint NOT NULL DEFAULT 0,
    status        text NOT NULL CHECK (status IN ('loading', 'done', 'failed', 'replaced')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    min_ts        timestamptz,
    max_ts        timestamptz
);
CREATE UNIQUE INDEX ingest_batches_kind_sha ON ingest_batches (kind, sha256) WHERE status = 'done';

-- Riders are pseudonymous: pid is the HMAC-SHA256 of platform and platform id;
-- id is its first 63 bits (model.RiderID.Key), used as the compact key.
CREATE TABLE riders (
    id         bigint PRIMARY KEY,
    pid        text NOT NULL UNIQUE,
    platform   text NOT NULL DEFAULT '',
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

-- Raw pings, partitioned by day (partitions are created by the importer and
-- dropped by retention). The point is kept as lng/lat doubles; pings_geom
-- gives it as geometry.
CREATE TABLE pings (
    rider    bigint NOT NULL,
    ts       timestamptz NOT NULL,
    lng      double precision NOT NULL,
    lat      double precision NOT NULL,
    cell     bigint NOT NULL,
    batch_id bigint NOT NULL,
    status   text NOT NULL DEFAULT ''
) PARTITION BY RANGE (ts);
-- No secondary indexes: each halved the speed of COPY (measured: 1.2M rows/s
-- without, 205k rows/s with (rider, ts) and (batch_id)). Every reader of raw
-- pings goes batch by batch and prunes partitions by the batch's time range
-- (ingest_batches.min_ts/max_ts); the service's queries read aggregates.

CREATE VIEW pings_geom AS
    SELECT rider, ts, cell, batch_id, status, ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS geom FROM pings;

-- Per-day bookkeeping of which riders were active, so aggregates can be
-- rebuilt and retention can drop whole days.
CREATE TABLE rider_days (
    rider    bigint NOT NULL,
    day      date NOT NULL,
    pings    bigint NOT NULL,
    PRIMARY KEY (rider, day)
);

-- H3 cells that appear anywhere, with their geometry: the join target of
-- spatial queries (coverage, grids, tiles) since PostgreSQL has no H3 here.
CREATE TABLE hex_cells (
    cell     bigint PRIMARY KEY,
    res      smallint NOT NULL,
    parent7  bigint NOT NULL,
    center   geometry(Point, 4326) NOT NULL,
    boundary geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX hex_cells_boundary ON hex_cells USING gist (boundary);
CREATE INDEX hex_cells_center ON hex_cells USING gist (center);
CREATE INDEX hex_cells_res ON hex_cells (res);

-- Aggregates per H3 cell and hour of week (0 = Monday 00:00 Asia/Shanghai,
-- 167 = Sunday 23:00; -1 = all hours) at the base resolution and its rollups.
CREATE TABLE hex_activity (
    res           smallint NOT NULL,
    cell          bigint NOT NULL,
    how           smallint NOT NULL CHECK (how BETWEEN -1 AND 167),
    pings         bigint NOT NULL,
    rider_seconds double precision NOT NULL,
    dwell_seconds double precision NOT NULL,
    riders        integer GENERATED ALWAYS AS (cardinality(rider_keys)) STORED,
    -- The distinct rider keys present, sorted: riders = cardinality. Distinct
    -- riders are merged from these sets, never summed across cells, hours or
    -- imports (one array per row is ~10x smaller and faster to write than a
    -- row per (cell, hour, rider)).
    rider_keys    bigint[] NOT NULL,
    PRIMARY KEY (res, cell, how)
);
CREATE INDEX hex_activity_how ON hex_activity (res, how);

-- A rider's activity range per period.
CREATE TABLE rider_ranges (
    rider          bigint NOT NULL REFERENCES riders (id) ON DELETE CASCADE,
    period         text NOT NULL,
    from_ts        timestamptz NOT NULL,
    to_ts          timestamptz NOT NULL,
    days           integer NOT NULL,
    pings          bigint NOT NULL,
    active_seconds double precision NOT NULL,
    dwell_seconds  double precision NOT NULL,
    centroid       geometry(Point, 4326) NOT NULL,
    gyration_m     double precision NOT NULL,
    p90_m          double precision NOT NULL,
    hull           geometry(Geometry, 4326),
    PRIMARY KEY (rider, period)
);
CREATE INDEX rider_ranges_hull ON rider_ranges USING gist (hull);
CREATE INDEX rider_ranges_centroid ON rider_ranges USING gist (centroid);

-- The res-9 cells of a rider's range with the share of time in each.
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
CREATE INDEX rider_cells_cell ON rider_cells (cell);

CREATE TABLE admin_areas (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    level       text NOT NULL CHECK (level IN ('district', 'street', 'community')),
    parent_code text,
    batch_id    bigint,
    geom        geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX admin_areas_geom ON admin_areas USING gist (geom);
CREATE INDEX admin_areas_parent ON admin_areas (parent_code);
CREATE INDEX admin_areas_level ON admin_areas (level);

CREATE TABLE grids (
    code           text PRIMARY KEY,
    name           text NOT NULL,
    community_code text NOT NULL DEFAULT '',
    street_code    text NOT NULL DEFAULT '',
    district_code  text NOT NULL DEFAULT '',
    manager        text NOT NULL DEFAULT '',
    target         integer NOT NULL DEFAULT 0 CHECK (target >= 0),
    batch_id       bigint,
    geom           geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX grids_geom ON grids USING gist (geom);
CREATE INDEX grids_street ON grids (street_code);
CREATE INDEX grids_community ON grids (community_code);

CREATE TABLE sites (
    id        bigserial PRIMARY KEY,
    ext_id    text NOT NULL UNIQUE,
    kind      text NOT NULL CHECK (kind IN ('service_center', 'rest_station', 'fuel_station', 'branch', 'candidate')),
    status    text NOT NULL CHECK (status IN ('existing', 'planned', 'candidate')),
    name      text NOT NULL,
    capacity  integer NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    amenities text[] NOT NULL DEFAULT '{}',
    batch_id  bigint,
    geom      geometry(Point, 4326) NOT NULL
);
CREATE INDEX sites_geom ON sites USING gist (geom);
CREATE INDEX sites_kind_status ON sites (kind, status);

CREATE TABLE scenarios (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    params     jsonb NOT NULL,
    result     jsonb NOT NULL
);

CREATE TABLE assignments (
    id          bigserial PRIMARY KEY,
    proposal_id bigint NOT NULL,
    grid_code   text NOT NULL REFERENCES grids (code) ON DELETE CASCADE,
    rider       bigint NOT NULL,
    score       double precision NOT NULL,
    status      text NOT NULL CHECK (status IN ('proposed', 'accepted', 'declined', 'withdrawn')),
    proposed_by text NOT NULL DEFAULT '',
    proposed_at timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz
);
CREATE INDEX assignments_grid ON assignments (grid_code, status);
CREATE INDEX assignments_rider ON assignments (rider, status);
CREATE UNIQUE INDEX assignments_one_open ON assignments (grid_code, rider) WHERE status IN ('proposed', 'accepted');

CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE api_tokens (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('admin', 'planner', 'leader', 'grid_manager')),
    scope      text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- +goose Down
DROP VIEW IF EXISTS pings_geom;
DROP TABLE api_tokens, audit_log, assignments, scenarios, sites, grids, admin_areas,
    rider_cells, rider_ranges, hex_activity, hex_cells, rider_days, ingest_batches, riders, data_versions CASCADE;
DROP TABLE IF EXISTS pings CASCADE;
