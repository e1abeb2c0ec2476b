-- +goose Up
-- OpenStreetMap extracts (hexcover ingest osm): the basemap's features, the
-- road network split at every node, and network catchments of sites.
-- Geometry stays WGS-84 (SRID 4326), as OSM has it.

-- pgRouting measures riding distance along the network (HEXCOVER_COVERAGE=network).
-- It is optional: scripts/db.sh installs it; without it coverage stays radius-based.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
        CREATE EXTENSION IF NOT EXISTS pgrouting;
    END IF;
END
$$;
-- +goose StatementEnd

-- An OSM extract is one batch of kind 'osm'.
ALTER TABLE ingest_batches DROP CONSTRAINT IF EXISTS ingest_batches_kind_check;
ALTER TABLE ingest_batches ADD CONSTRAINT ingest_batches_kind_check
    CHECK (kind IN ('pings', 'grids', 'sites', 'areas', 'osm'));

INSERT INTO data_versions (layer) VALUES ('basemap'), ('network') ON CONFLICT DO NOTHING;

-- Sites found in an extract (fuel stations, charging stations, convenience
-- stores) keep their OSM identity; ext_id is 'osm:TYPE/ID', so a re-import
-- updates them instead of adding duplicates.
ALTER TABLE sites ADD COLUMN osm_type text CHECK (osm_type IN ('node', 'way', 'relation'));
ALTER TABLE sites ADD COLUMN osm_id bigint;

-- Basemap features of the current extract. minzoom is the generalization:
-- the lowest zoom a feature is drawn at (minor roads and small areas drop out
-- at low zoom).
CREATE TABLE osm_features (
    id       bigserial PRIMARY KEY,
    batch_id bigint NOT NULL,
    osm_type text NOT NULL CHECK (osm_type IN ('node', 'way', 'relation')),
    osm_id   bigint NOT NULL,
    layer    text NOT NULL CHECK (layer IN ('road', 'rail', 'water', 'park', 'building', 'place', 'poi')),
    class    text NOT NULL,
    name     text NOT NULL DEFAULT '',
    name_en  text NOT NULL DEFAULT '',
    ref      text NOT NULL DEFAULT '',
    bridge   boolean NOT NULL DEFAULT false,
    tunnel   boolean NOT NULL DEFAULT false,
    minzoom  smallint NOT NULL,
    geom     geometry(Geometry, 4326) NOT NULL
);
CREATE INDEX osm_features_geom ON osm_features USING gist (geom);
CREATE INDEX osm_features_layer ON osm_features (layer, minzoom);
CREATE INDEX osm_features_batch ON osm_features (batch_id);

-- The road network: every highway split at every OSM node into straight
-- edges, so every node is a vertex (source and target are OSM node ids).
-- Which classes are rideable is decided when catchments are computed.
CREATE TABLE osm_edges (
    id       bigserial PRIMARY KEY,
    batch_id bigint NOT NULL,
    way_id   bigint NOT NULL,
    source   bigint NOT NULL,
    target   bigint NOT NULL,
    class    text NOT NULL,
    bicycle  text NOT NULL DEFAULT '',
    access   text NOT NULL DEFAULT '',
    oneway   text NOT NULL DEFAULT '',
    length_m double precision NOT NULL,
    x1 double precision NOT NULL, y1 double precision NOT NULL,
    x2 double precision NOT NULL, y2 double precision NOT NULL,
    geom geometry(LineString, 4326) GENERATED ALWAYS AS
        (ST_SetSRID(ST_MakeLine(ST_MakePoint(x1, y1), ST_MakePoint(x2, y2)), 4326)) STORED
);
CREATE INDEX osm_edges_geom ON osm_edges USING gist (geom);
CREATE INDEX osm_edges_batch ON osm_edges (batch_id);

-- The network's vertices (OSM nodes on highways), for snapping points to it.
CREATE TABLE osm_vertices (
    id       bigint PRIMARY KEY,
    batch_id bigint NOT NULL,
    geom     geometry(Point, 4326) NOT NULL
);
CREATE INDEX osm_vertices_geom ON osm_vertices USING gist (geom);

-- Network catchments: the vertices reachable from a site within its radius
-- along the rideable network, computed once per (road extract, site, radius,
-- network rules) and reused until one of them changes.
CREATE TABLE network_catchments (
    batch_id    bigint NOT NULL,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    radius_m    double precision NOT NULL,
    rules       text NOT NULL,
    site_geom   geometry(Point, 4326) NOT NULL,
    vertices    bigint[] NOT NULL,
    costs       double precision[] NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, site_id, radius_m, rules)
);

-- +goose Down
DROP TABLE IF EXISTS network_catchments, osm_vertices, osm_edges, osm_features;
ALTER TABLE sites DROP COLUMN IF EXISTS osm_id, DROP COLUMN IF EXISTS osm_type;
DELETE FROM data_versions WHERE layer IN ('basemap', 'network');
DELETE FROM ingest_batches WHERE kind = 'osm';
ALTER TABLE ingest_batches DROP CONSTRAINT IF EXISTS ingest_batches_kind_check;
ALTER TABLE ingest_batches ADD CONSTRAINT ingest_batches_kind_check
    CHECK (kind IN ('pings', 'grids', 'sites', 'areas'));
