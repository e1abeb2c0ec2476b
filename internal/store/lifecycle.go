package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TracesDropped counts the per-rider rows retention or forget removed.
type TracesDropped struct {
	Pings, RiderDays, Ranges, Ledger, Assignments, Riders, KeysStripped int64
	Days                                                                []time.Time // local days the removed data touched
}

// DropRiderTracesBefore removes what identifies riders in data older than
// cutoff, after the raw pings are gone (DropPingsBefore): rider days, rider
// ranges (and their cells) ending before it, the ledger of those days, and
// riders with no data left — their assignments, and their keys inside the
// aggregates' rider sets. Counts and seconds of the aggregates stay (they
// identify nobody); distinct riders of a cell then count only the riders it
// still knows. Releases stay: they hold no rider identity.
// offset makes local time (UTC + offset): rider days are local dates.
func (s *Store) DropRiderTracesBefore(ctx context.Context, cutoff time.Time, offset time.Duration) (TracesDropped, error) {
	var out TracesDropped
	cutDay := cutoff.Add(offset).UTC().Truncate(24 * time.Hour) // local date of the cutoff
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hexcover.ingest.pings'))`); err != nil {
			return err
		}
		exec := func(n *int64, q string, args ...any) error {
			tag, err := tx.Exec(ctx, q, args...)
			if err != nil {
				return err
			}
			*n += tag.RowsAffected()
			return nil
		}
		if err := exec(&out.RiderDays, `DELETE FROM rider_days WHERE day < $1`, cutDay); err != nil {
			return err
		}
		if err := exec(&out.Ledger, `DELETE FROM privacy_ledger WHERE day < $1`, cutDay); err != nil {
			return err
		}
		if err := exec(&out.Ranges, `DELETE FROM rider_ranges WHERE to_ts < $1`, cutoff); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM riders r WHERE last_seen < $1
			AND NOT EXISTS (SELECT 1 FROM rider_days d WHERE d.rider = r.id)`, cutoff)
		if err != nil {
			return err
		}
		gone, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		return dropRiders(ctx, tx, gone, &out)
	})
	if err != nil {
		return out, fmt.Errorf("retention of rider traces: %w", err)
	}
	return out, nil
}

// dropRiders removes riders with everything that names them: their keys in
// the aggregates' rider sets, ranges, ledger, assignments and the riders
// rows; it bumps the activity version when a rider set changed.
func dropRiders(ctx context.Context, tx pgx.Tx, keys []int64, out *TracesDropped) error {
	if len(keys) == 0 {
		return nil
	}
	steps := []struct {
		n *int64
		q string
	}{
		{&out.KeysStripped, `UPDATE hex_activity SET rider_keys = ARRAY(SELECT k FROM unnest(rider_keys) AS k WHERE k <> ALL($1) ORDER BY k)
			WHERE rider_keys && $1`},
		{&out.RiderDays, `DELETE FROM rider_days WHERE rider = ANY($1)`},
		{&out.Ranges, `DELETE FROM rider_ranges WHERE rider = ANY($1)`},
		{&out.Ledger, `DELETE FROM privacy_ledger WHERE rider = ANY($1)`},
		{&out.Assignments, `DELETE FROM assignments WHERE rider = ANY($1)`},
		{&out.Riders, `DELETE FROM riders WHERE id = ANY($1)`},
	}
	for _, st := range steps {
		tag, err := tx.Exec(ctx, st.q, keys)
		if err != nil {
			return err
		}
		*st.n += tag.RowsAffected()
	}
	if out.KeysStripped > 0 {
		return bumpVersion(ctx, tx, "activity")
	}
	return nil
}

// ForgetRider erases one rider (PIPL Art. 47): their raw ping tracks,
// days, ranges, ledger, assignments and riders row are deleted and their key
// leaves every rider set, in one transaction. The aggregates' sums still
// hold the rider's share until the caller rebuilds them from the remaining
// pings (ingest.Loader.Rebuild). It returns the local days the rider's data
// touched (whose releases must be redone) and false when no rider has key.
func (s *Store) ForgetRider(ctx context.Context, key int64) (TracesDropped, bool, error) {
	var out TracesDropped
	found := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hexcover.ingest.pings'))`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM riders WHERE id = $1)`, key).Scan(&found); err != nil || !found {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT day FROM rider_days WHERE rider = $1 ORDER BY day`, key)
		if err != nil {
			return err
		}
		if out.Days, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM ping_tracks WHERE rider = $1 RETURNING n) SELECT coalesce(sum(n), 0)::bigint FROM d`, key).Scan(&out.Pings); err != nil {
			return err
		}
		// Rows that held only this rider go entirely.
		if _, err := tx.Exec(ctx, `DELETE FROM hex_activity WHERE rider_keys = ARRAY[$1::bigint]`, key); err != nil {
			return err
		}
		if err := dropRiders(ctx, tx, []int64{key}, &out); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "activity")
	})
	if err != nil {
		return out, false, fmt.Errorf("forget rider: %w", err)
	}
	return out, found, nil
}
