-- +goose Up
-- The large arrays (raw tracks, aggregate rider keys, rider ranges, rolled-up
-- views) are compressed with lz4 instead of the default pglz when TOASTed:
-- on the district-day PostgreSQL spent 4.7 s compressing the raw tracks and
-- 6.6 s the aggregates with pglz, 2.2 s and 3.1 s with lz4, for as many or
-- fewer bytes (342 → 315 MB, 384 → 384 MB), and every reader decompresses
-- them faster (docs/SCALING.md). Values written from now on are lz4; a
-- PostgreSQL built without lz4 keeps pglz. Partitions of ping_tracks inherit
-- it (store.EnsurePartitions copies it with INCLUDING COMPRESSION).
-- +goose StatementBegin
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('ping_tracks', 'dt_ms'), ('ping_tracks', 'dlat'), ('ping_tracks', 'dlng'), ('ping_tracks', 'status_at'),
        ('ping_tracks', 'status'), ('hex_activity', 'rider_keys'), ('rider_ranges', 'cells'),
        ('rider_ranges', 'cell_share'), ('rider_ranges', 'cell_seconds'), ('rider_ranges', 'cell_dwell_seconds'),
        ('rider_ranges', 'cell_days'), ('rider_ranges', 'hull'), ('hex_views', 'riders'), ('hex_views', 'pings'),
        ('hex_views', 'rider_seconds'), ('hex_views', 'dwell_seconds'), ('hex_views', 'week_set'),
        ('hex_views', 'rider_sets')) AS v (tab, col)
        WHERE to_regclass('public.' || tab) IS NOT NULL
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET COMPRESSION lz4', c.tab, c.col);
    END LOOP;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: the arrays stay compressed with pglz';
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT a.attrelid::regclass AS tab, a.attname AS col FROM pg_attribute a
        JOIN pg_class r ON r.oid = a.attrelid
        WHERE r.relnamespace = 'public'::regnamespace AND r.relkind IN ('r', 'p') AND a.attcompression = 'l'
            AND r.relname IN ('ping_tracks', 'hex_activity', 'rider_ranges', 'hex_views')
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET COMPRESSION default', c.tab, c.col);
    END LOOP;
END
$$;
-- +goose StatementEnd
