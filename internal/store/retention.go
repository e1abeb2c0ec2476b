package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

var partitionRE = regexp.MustCompile(`^ping_tracks_(\d{8})$`)

// DropPingsBefore drops the daily partitions of raw pings that end on or
// before cutoff (UTC days) and returns their names. Aggregates, ranges and
// rider days stay: retention removes raw tracks, not what was learned.
func (s *Store) DropPingsBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass('public.ping_tracks') ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, n := range names {
		m := partitionRE.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		day, err := time.Parse("20060102", m[1])
		if err != nil || day.Add(24*time.Hour).After(cutoff) {
			continue
		}
		// The name matched ^ping_tracks_\d{8}$, so it is safe as an identifier.
		err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE ping_tracks DETACH PARTITION %s`, n)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, fmt.Sprintf(`DROP TABLE %s`, n))
			return err
		})
		if err != nil {
			return dropped, fmt.Errorf("drop %s: %w", n, err)
		}
		dropped = append(dropped, n)
	}
	return dropped, nil
}
