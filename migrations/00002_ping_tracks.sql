-- +goose Up
-- Raw pings stored compactly: one row per rider, UTC day, import batch and
-- segment, holding a delta-encoded track in columns of integers (about 12
-- bytes a ping instead of ~120 for a row per ping). docs/ARCHITECTURE.md.
--
-- A ping i (1-based) of a segment is:
--   ts  = t0 + (dt_ms[1] + … + dt_ms[i]) milliseconds   (dt_ms[1] = 0)
--   lat = (dlat[1] + … + dlat[i]) / 1e7                 (dlat[1] absolute)
--   lng = (dlng[1] + … + dlng[i]) / 1e7
--   status = status[j] for the last j with status_at[j] <= i ('' if none)
-- Pings are in file order within a segment (dt_ms may be negative when a
-- file is not in time order); readers sort each rider's pings by time.
-- Segments are written when the importer's buffer fills, so one rider-day of
-- one file may span several segments (seq 0, 1, …).
CREATE TABLE ping_tracks (
    rider     bigint NOT NULL,
    day       date NOT NULL,         -- UTC date of the segment's pings (the partition key)
    batch_id  bigint NOT NULL,
    seq       integer NOT NULL,
    n         integer NOT NULL,      -- pings in the segment
    t0        timestamptz NOT NULL,  -- the first ping's time
    t_min     timestamptz NOT NULL,
    t_max     timestamptz NOT NULL,
    dt_ms     integer[] NOT NULL,
    dlat      integer[] NOT NULL,
    dlng      integer[] NOT NULL,
    status_at integer[] NOT NULL,
    status    text[] NOT NULL,
    -- Includes rider, the distribution key on Citus (docs/SCALING.md), and
    -- day, the partition key.
    PRIMARY KEY (rider, day, batch_id, seq)
) PARTITION BY RANGE (day);

-- Move the raw pings of earlier imports into tracks (one segment per rider,
-- UTC day and batch), creating their daily partitions.
-- +goose StatementBegin
DO $$
DECLARE d date;
BEGIN
    FOR d IN SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM pings LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF ping_tracks FOR VALUES FROM (%L) TO (%L)',
            'ping_tracks_' || to_char(d, 'YYYYMMDD'), d, d + 1);
    END LOOP;
END $$;
-- +goose StatementEnd
INSERT INTO ping_tracks (rider, day, batch_id, seq, n, t0, t_min, t_max, dt_ms, dlat, dlng, status_at, status)
SELECT rider, day, batch_id, 0, count(*), min(ts), min(ts), max(ts),
    array_agg(dt ORDER BY ts, i), array_agg(la - coalesce(pla, 0) ORDER BY ts, i), array_agg(ln - coalesce(pln, 0) ORDER BY ts, i),
    coalesce(array_agg(i ORDER BY ts, i) FILTER (WHERE status IS DISTINCT FROM pst), '{}'),
    coalesce(array_agg(status ORDER BY ts, i) FILTER (WHERE status IS DISTINCT FROM pst), '{}')
FROM (
    SELECT rider, day, batch_id, ts, status, la, ln, i,
        coalesce(round(extract(epoch FROM ts - lag(ts) OVER w) * 1000)::int, 0) AS dt,
        lag(la) OVER w AS pla, lag(ln) OVER w AS pln, coalesce(lag(status) OVER w, '') AS pst
    FROM (
        SELECT rider, (ts AT TIME ZONE 'UTC')::date AS day, batch_id, ts, status,
            round(lat * 1e7)::int AS la, round(lng * 1e7)::int AS ln,
            row_number() OVER (PARTITION BY rider, (ts AT TIME ZONE 'UTC')::date, batch_id ORDER BY ts) AS i
        FROM pings
    ) p
    WINDOW w AS (PARTITION BY rider, day, batch_id ORDER BY ts, i)
) q
GROUP BY rider, day, batch_id;

DROP VIEW pings_geom;
DROP TABLE pings CASCADE;

-- The pings decoded, for ad-hoc SQL and tests (the service reads tracks in Go).
CREATE VIEW pings AS
SELECT k.rider, k.batch_id, k.t0 + u.ct * interval '1 millisecond' AS ts,
    u.clng::double precision / 1e7 AS lng, u.clat::double precision / 1e7 AS lat,
    coalesce((SELECT s.v FROM unnest(k.status_at, k.status) AS s(at, v) WHERE s.at <= u.i ORDER BY s.at DESC LIMIT 1), '') AS status
FROM ping_tracks k
CROSS JOIN LATERAL (
    SELECT i, sum(dt) OVER o AS ct, sum(dlat) OVER o AS clat, sum(dlng) OVER o AS clng
    FROM unnest(k.dt_ms, k.dlat, k.dlng) WITH ORDINALITY AS x(dt, dlat, dlng, i)
    WINDOW o AS (ORDER BY i)
) u;

CREATE VIEW pings_geom AS
    SELECT rider, ts, batch_id, status, ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS geom FROM pings;

-- +goose Down
DROP VIEW pings_geom;
DROP VIEW pings;
CREATE TABLE pings (
    rider    bigint NOT NULL,
    ts       timestamptz NOT NULL,
    lng      double precision NOT NULL,
    lat      double precision NOT NULL,
    cell     bigint NOT NULL,
    batch_id bigint NOT NULL,
    status   text NOT NULL DEFAULT ''
) PARTITION BY RANGE (ts);
CREATE VIEW pings_geom AS
    SELECT rider, ts, cell, batch_id, status, ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS geom FROM pings;
DROP TABLE ping_tracks CASCADE;
