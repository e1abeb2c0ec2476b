// Package store owns hexcover's PostGIS database: the connection pool, the
// embedded migrations, and every SQL statement the service runs.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/migrations"
)

// Store is the database handle shared by every part of the service.
type Store struct {
	Pool    *pgxpool.Pool
	timeout time.Duration
	rollups setCache // rider sets of the hour-set rollups read so far (views.go)
}

// ErrUnavailable wraps failures to reach the database.
var ErrUnavailable = errs.E(errs.Unavailable, "database unavailable; retry shortly")

// ErrNoPostGIS says the server lacks the PostGIS extension.
var ErrNoPostGIS = errors.New("PostGIS is not available")

// Options configure Open.
type Options struct {
	QueryTimeout time.Duration // statement_timeout of every session; 0 = 10s
	MaxConns     int32         // 0 = pgxpool default (max(4, cores))
	AppName      string
}

// Open creates the pool. It does not need the database to be up: the pool
// connects lazily, so a server can start while PostgreSQL is down and report
// not-ready until it comes back.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 10 * time.Second
	}
	if o.AppName == "" {
		o.AppName = "hexcover"
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	rp := cfg.ConnConfig.RuntimeParams
	rp["application_name"] = o.AppName
	// Tile and analysis queries are short; JIT compilation and parallel
	// workers made them several times slower for everybody (DESIGN.md).
	rp["jit"] = "off"
	rp["max_parallel_workers_per_gather"] = "0"
	rp["statement_timeout"] = fmt.Sprint(o.QueryTimeout.Milliseconds())
	rp["idle_in_transaction_session_timeout"] = "600000"
	rp["timezone"] = "UTC"
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.HealthCheckPeriod = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return &Store{Pool: pool, timeout: o.QueryTimeout}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.Pool.Close() }

// Timeout is the per-statement timeout sessions run with.
func (s *Store) Timeout() time.Duration { return s.timeout }

// Ready reports whether the database answers and has PostGIS.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var v string
	err := s.Pool.QueryRow(ctx, `SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'postgis'), '')`).Scan(&v)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if v == "" {
		return fmt.Errorf("%w in this database: run scripts/db.sh or CREATE EXTENSION postgis", ErrNoPostGIS)
	}
	return nil
}

// Migrate applies every pending migration; applying twice is a no-op. It
// returns the schema version reached.
func (s *Store) Migrate(ctx context.Context) (int64, error) {
	if err := s.checkPostGIS(ctx); err != nil {
		return 0, err
	}
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	// Migrations are numbered in advance and may land out of order (a
	// database may hold 3 and 4 before 2 exists); each stands on its own, so a
	// missing lower one is applied rather than refused.
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithLogger(goose.NopLogger()),
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// checkPostGIS makes sure PostGIS is usable before migrating, so the error is
// an instruction rather than a failed CREATE EXTENSION deep in a migration.
func (s *Store) checkPostGIS(ctx context.Context) error {
	var installed, available bool
	err := s.Pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis'),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')`).Scan(&installed, &available)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !available {
		return fmt.Errorf("%w on this PostgreSQL server: install it (Debian: apt-get install postgresql-15-postgis-3) or run scripts/db.sh", ErrNoPostGIS)
	}
	if !installed {
		if _, err := s.Pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
			return fmt.Errorf("%w in this database and it cannot be created here (%v): run CREATE EXTENSION postgis as a superuser", ErrNoPostGIS, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied migration version (0 when none).
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// inTx runs fn in a transaction, committing on success and rolling back on
// error or panic.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) (err error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// DataVersion returns the version of a layer's data, bumped on every change.
func (s *Store) DataVersion(ctx context.Context, layer string) (int64, error) {
	var v int64
	err := s.Pool.QueryRow(ctx, `SELECT version FROM data_versions WHERE layer = $1`, layer).Scan(&v)
	return v, err
}

// DataVersions returns every layer's data version.
func (s *Store) DataVersions(ctx context.Context) (map[string]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT layer, version FROM data_versions`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var l string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&l, &v}, func() error { out[l] = v; return nil })
	return out, err
}

func bumpVersion(ctx context.Context, tx pgx.Tx, layers ...string) error {
	_, err := tx.Exec(ctx, `UPDATE data_versions SET version = version + 1, changed_at = now() WHERE layer = ANY($1)`, layers)
	return err
}
