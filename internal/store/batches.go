package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hexcover/hexcover/internal/errs"

	"github.com/jackc/pgx/v5"
)

// Batch is one imported file as recorded in ingest_batches.
type Batch struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	Name         string     `json:"name"`
	SHA256       string     `json:"sha256"`
	CRS          string     `json:"crs"`
	RowsOK       int64      `json:"rows_ok"`
	RowsRejected int64      `json:"rows_rejected"`
	Status       string     `json:"status"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
}

// ErrAlreadyImported is returned when the same file (same kind and sha256)
// was imported before; the returned Batch is the earlier one.
var ErrAlreadyImported = errs.E(errs.Conflict, "already imported")

// FindDoneBatch returns the completed batch with this kind and content hash,
// or nil.
func (s *Store) FindDoneBatch(ctx context.Context, kind, sha string) (*Batch, error) {
	var b Batch
	err := s.Pool.QueryRow(ctx, `SELECT id, kind, name, sha256, crs, rows_ok, rows_rejected, status, started_at, finished_at
		FROM ingest_batches WHERE kind = $1 AND sha256 = $2 AND status = 'done'`, kind, sha).
		Scan(&b.ID, &b.Kind, &b.Name, &b.SHA256, &b.CRS, &b.RowsOK, &b.RowsRejected, &b.Status, &b.StartedAt, &b.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// Batches lists the import history, newest first.
func (s *Store) Batches(ctx context.Context, limit int) ([]Batch, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, kind, name, sha256, crs, rows_ok, rows_rejected, status, started_at, finished_at
		FROM ingest_batches ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Batch, error) {
		var b Batch
		err := r.Scan(&b.ID, &b.Kind, &b.Name, &b.SHA256, &b.CRS, &b.RowsOK, &b.RowsRejected, &b.Status, &b.StartedAt, &b.FinishedAt)
		return b, err
	})
}

// RecordFailedBatch notes a failed import after its transaction was rolled
// back, so the history shows it; it holds no data.
func (s *Store) RecordFailedBatch(ctx context.Context, b Batch) error {
	_, err := s.Pool.Exec(context.WithoutCancel(ctx), `INSERT INTO ingest_batches (kind, name, sha256, crs, rows_ok, rows_rejected, status, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'failed', now())`, b.Kind, b.Name, b.SHA256, b.CRS, b.RowsOK, b.RowsRejected)
	return err
}

// beginBatch opens the transaction of one import: it checks the file was not
// imported before (unless replace), deletes the replaced batch's rows, and
// inserts the batch row. Everything the import writes goes into tx, so a
// failure leaves the database as it was.
func (s *Store) beginBatch(ctx context.Context, b *Batch, replace bool) (pgx.Tx, *Batch, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	fail := func(err error) (pgx.Tx, *Batch, error) {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	// An import is one long transaction; its statements (COPY of millions of
	// rows, aggregate upserts) legitimately outlast the interactive timeout.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '1h'`); err != nil {
		return fail(err)
	}
	// Serialize imports of the same kind: the duplicate check and the
	// aggregate upserts must not race with another import.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hexcover.ingest.' || $1))`, b.Kind); err != nil {
		return fail(err)
	}
	var old *Batch
	var o Batch
	err = tx.QueryRow(ctx, `SELECT id, name, rows_ok, rows_rejected, started_at FROM ingest_batches
		WHERE kind = $1 AND sha256 = $2 AND status = 'done'`, b.Kind, b.SHA256).Scan(&o.ID, &o.Name, &o.RowsOK, &o.RowsRejected, &o.StartedAt)
	switch {
	case err == nil:
		o.Kind, o.SHA256, o.Status = b.Kind, b.SHA256, "done"
		old = &o
	case !errors.Is(err, pgx.ErrNoRows):
		return fail(err)
	}
	if old != nil && !replace {
		_ = tx.Rollback(ctx)
		return nil, old, ErrAlreadyImported
	}
	if old != nil {
		if err := deleteBatchRows(ctx, tx, old); err != nil {
			return fail(fmt.Errorf("replace batch %d: %w", old.ID, err))
		}
	}
	err = tx.QueryRow(ctx, `INSERT INTO ingest_batches (kind, name, sha256, crs, status) VALUES ($1, $2, $3, $4, 'loading')
		RETURNING id, started_at`, b.Kind, b.Name, b.SHA256, b.CRS).Scan(&b.ID, &b.StartedAt)
	if err != nil {
		return fail(err)
	}
	b.Status = "loading"
	return tx, old, nil
}

func deleteBatchRows(ctx context.Context, tx pgx.Tx, old *Batch) error {
	var q string
	switch old.Kind {
	case "pings":
		// No index on batch_id: the batch's time range prunes the delete
		// to its own day partitions of the tracks.
		q = `DELETE FROM ping_tracks p USING ingest_batches b WHERE b.id = $1 AND p.batch_id = b.id
			AND p.day BETWEEN coalesce((b.min_ts AT TIME ZONE 'UTC')::date, '-infinity') AND coalesce((b.max_ts AT TIME ZONE 'UTC')::date, 'infinity')`
	case "grids":
		q = `DELETE FROM grids WHERE batch_id = $1`
	case "sites":
		q = `DELETE FROM sites WHERE batch_id = $1`
	case "areas":
		q = `DELETE FROM admin_areas WHERE batch_id = $1`
	case "osm":
		return deleteOSMRows(ctx, tx, old.ID)
	default:
		return fmt.Errorf("unknown batch kind %q", old.Kind)
	}
	if _, err := tx.Exec(ctx, q, old.ID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE ingest_batches SET status = 'replaced' WHERE id = $1`, old.ID)
	return err
}

// finishBatch records the counts and commits.
func finishBatch(ctx context.Context, tx pgx.Tx, b *Batch) error {
	err := tx.QueryRow(ctx, `UPDATE ingest_batches SET rows_ok = $2, rows_rejected = $3, status = 'done', finished_at = now()
		WHERE id = $1 RETURNING finished_at`, b.ID, b.RowsOK, b.RowsRejected).Scan(&b.FinishedAt)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	b.Status = "done"
	return nil
}

// ImportTotals sums accepted and rejected rows of completed imports by kind.
func (s *Store) ImportTotals(ctx context.Context) (map[string][2]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT kind, sum(rows_ok)::bigint, sum(rows_rejected)::bigint FROM ingest_batches
		WHERE status = 'done' GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	out := map[string][2]int64{}
	var k string
	var ok, rej int64
	_, err = pgx.ForEachRow(rows, []any{&k, &ok, &rej}, func() error { out[k] = [2]int64{ok, rej}; return nil })
	return out, err
}
