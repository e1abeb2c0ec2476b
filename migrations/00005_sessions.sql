-- +goose Up
-- Browser sessions (POST /api/login): the map's cookie holds a random
-- session id; only its SHA-256 is stored. A session dies when idle too long
-- (last_seen), at its absolute expiry, at logout, and with its token.
CREATE TABLE sessions (
    id_hash    text PRIMARY KEY,
    token_id   bigint NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_token ON sessions (token_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The demo city's login tokens in plain text, so that the map can offer
-- them (GET /api/demo-logins with HEXCOVER_DEMO_LOGIN=on). `hexcover demo`
-- replaces them with fresh random tokens on every load; nothing else reads
-- this table.
CREATE TABLE demo_logins (
    role  text PRIMARY KEY,
    token text NOT NULL,
    scope text[] NOT NULL DEFAULT '{}'
);

-- Demo tokens made before this migration were derived from a key in the
-- source code: anyone could compute them. Revoke them; `hexcover demo`
-- makes random ones.
UPDATE api_tokens SET revoked_at = now()
    WHERE revoked_at IS NULL AND name IN ('demo-admin', 'demo-planner', 'demo-leader', 'demo-grid_manager');

-- demo_state holds one row while the database holds only the demo city:
-- `hexcover demo` sets it after loading, and any import batch started
-- afterwards (real data) clears it, so a server with demo logins on refuses
-- to start on real data.
CREATE TABLE demo_state (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION clear_demo_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM demo_state;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ingest_batches_clear_demo AFTER INSERT ON ingest_batches
    FOR EACH STATEMENT EXECUTE FUNCTION clear_demo_state();

-- +goose Down
DROP TRIGGER IF EXISTS ingest_batches_clear_demo ON ingest_batches;
DROP FUNCTION IF EXISTS clear_demo_state();
DROP TABLE IF EXISTS demo_state, demo_logins, sessions;
