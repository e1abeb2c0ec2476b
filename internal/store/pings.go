package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
)

// PingRow is one ping as stored (see Quantize).
type PingRow struct {
	Rider    int64
	Time     time.Time
	Lng, Lat float64
	Status   string
}

// RiderSeen is what an import learned about one rider.
type RiderSeen struct {
	Key         int64
	PID         string
	Platform    string
	First, Last time.Time
}

// RiderDay counts one rider's pings on one local date.
type RiderDay struct {
	Rider int64
	Day   time.Time // local date at 00:00 UTC
	Pings int64
}

// PingLoad is an open import of one pings file. Everything it writes is in
// one transaction: Commit makes it visible at once, Rollback leaves nothing.
type PingLoad struct {
	s     *Store
	tx    pgx.Tx
	batch *Batch
	parts map[int32]bool // day partitions known to exist
	// the open track segments (tracks.go) and their pings
	tracks   map[trackKey]*track
	closed   []segment // full segments, written with the next flush
	buffered int
	w        *trackWriter // nil until the first flush
	// time range of the rows written so far
	minTS, maxTS time.Time
	phases       []Phase
}

// Phase is one step of an import's commit and the time it took, so an
// import can say where its time went (docs/SCALING.md).
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
}

// Phases are the steps of the last Commit, in order.
func (l *PingLoad) Phases() []Phase { return l.phases }

// BeginPings starts importing a pings file.
func (s *Store) BeginPings(ctx context.Context, name, sha, crs string, replace bool) (*PingLoad, *Batch, error) {
	b := &Batch{Kind: "pings", Name: name, SHA256: sha, CRS: crs}
	tx, old, err := s.beginBatch(ctx, b, replace)
	if err != nil {
		return nil, old, err
	}
	return &PingLoad{s: s, tx: tx, batch: b, parts: map[int32]bool{}, tracks: map[trackKey]*track{}}, old, nil
}

// Batch is the batch being written.
func (l *PingLoad) Batch() *Batch { return l.batch }

// Rollback abandons the import.
func (l *PingLoad) Rollback(ctx context.Context) {
	if l.w != nil { // the connection is free once the writer stops
		_ = l.w.wait()
		l.w = nil
	}
	_ = l.tx.Rollback(context.WithoutCancel(ctx))
}

// partitionName is the daily partition of ping_tracks holding UTC day d.
func partitionName(d time.Time) string { return "ping_tracks_" + d.UTC().Format("20060102") }

// EnsurePartitions creates the daily partitions (UTC days) for the given
// times if they do not exist yet. It runs on its own connection and commits
// at once, attaching with ATTACH PARTITION, whose lock does not conflict with
// the import's own writes; an empty partition left by a failed import is
// harmless.
func (s *Store) EnsurePartitions(ctx context.Context, days []time.Time) error {
	for _, d := range days {
		d = d.UTC().Truncate(24 * time.Hour)
		name := partitionName(d)
		var exists bool
		if err := s.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		from, to := d.Format("2006-01-02"), d.Add(24*time.Hour).Format("2006-01-02")
		// Identifiers cannot be parameters; name is built from a date only.
		err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('hexcover.partition.' || $1))`, name); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+name).Scan(&exists); err != nil || exists {
				return err
			}
			stmts := []string{
				fmt.Sprintf(`CREATE TABLE %s (LIKE ping_tracks INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION)`, name),
				fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s_day CHECK (day >= '%s' AND day < '%s')`, name, name, from, to),
				fmt.Sprintf(`ALTER TABLE ping_tracks ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')`, name, from, to),
			}
			for _, q := range stmts {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("create partition %s: %w", name, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Derived is what the ingest pipeline learned from one file's pings.
type Derived struct {
	Riders []RiderSeen
	Days   []RiderDay
	Result *activity.Result
	// Offset is the local time (UTC+Offset) range periods are named in.
	Offset time.Duration
	// MinTS and MaxTS are the time range of the file's pings.
	MinTS, MaxTS time.Time
}

// Commit writes riders, rider days and the aggregates, bumps the activity
// data version, records the counts and commits.
func (l *PingLoad) Commit(ctx context.Context, d Derived, rowsOK, rowsRejected int64) error {
	l.phases = l.phases[:0]
	t0 := time.Now()
	phase := func(name string) {
		l.phases = append(l.phases, Phase{name, time.Since(t0)})
		t0 = time.Now()
	}
	err := func() error {
		if err := l.waitTracks(ctx); err != nil {
			return fmt.Errorf("pings: %w", err)
		}
		phase("tracks")
		if err := upsertRiders(ctx, l.tx, d.Riders); err != nil {
			return fmt.Errorf("riders: %w", err)
		}
		if err := addRiderDays(ctx, l.tx, d.Days); err != nil {
			return fmt.Errorf("rider days: %w", err)
		}
		phase("riders")
		if err := writeActivity(ctx, l.tx, d.Result, false); err != nil {
			return fmt.Errorf("aggregates: %w", err)
		}
		phase("aggregates")
		if err := writeRanges(ctx, l.tx, d.Result.Ranges, d.Offset); err != nil {
			return fmt.Errorf("rider ranges: %w", err)
		}
		phase("ranges")
		if !d.MinTS.IsZero() {
			if _, err := l.tx.Exec(ctx, `UPDATE ingest_batches SET min_ts = $2, max_ts = $3 WHERE id = $1`, l.batch.ID, d.MinTS, d.MaxTS); err != nil {
				return err
			}
		}
		if err := bumpVersion(ctx, l.tx, "activity"); err != nil {
			return err
		}
		l.batch.RowsOK, l.batch.RowsRejected = rowsOK, rowsRejected
		err := finishBatch(ctx, l.tx, l.batch)
		phase("commit")
		return err
	}()
	if err != nil {
		l.Rollback(ctx)
	}
	return err
}

func upsertRiders(ctx context.Context, tx pgx.Tx, riders []RiderSeen) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE tmp_riders (id bigint, pid text, platform text, first_seen timestamptz, last_seen timestamptz) ON COMMIT DROP`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"tmp_riders"}, []string{"id", "pid", "platform", "first_seen", "last_seen"},
		pgx.CopyFromSlice(len(riders), func(i int) ([]any, error) {
			r := riders[i]
			return []any{r.Key, r.PID, r.Platform, r.First, r.Last}, nil
		}))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO riders (id, pid, platform, first_seen, last_seen)
		SELECT id, pid, platform, first_seen, last_seen FROM tmp_riders
		ON CONFLICT (id) DO UPDATE SET first_seen = least(riders.first_seen, EXCLUDED.first_seen),
			last_seen = greatest(riders.last_seen, EXCLUDED.last_seen)`)
	return err
}

func addRiderDays(ctx context.Context, tx pgx.Tx, days []RiderDay) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE tmp_rider_days (rider bigint, day date, pings bigint) ON COMMIT DROP`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"tmp_rider_days"}, []string{"rider", "day", "pings"},
		pgx.CopyFromSlice(len(days), func(i int) ([]any, error) {
			d := days[i]
			return []any{d.Rider, d.Day, d.Pings}, nil
		}))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO rider_days (rider, day, pings) SELECT rider, day, pings FROM tmp_rider_days
		ON CONFLICT (rider, day) DO UPDATE SET pings = rider_days.pings + EXCLUDED.pings`)
	return err
}

// writeActivity adds an aggregation result to hex_activity, merging the
// distinct rider sets of cells that already have activity. With replace, the
// table is emptied first (rebuild).
//
// Rows whose key (resolution, cell, hour) is new — every row of a first
// import, and of the first day of each weekday after it — are COPYed
// straight into hex_activity; only rows that exist already go through a
// temporary table and an UPDATE that adds the sums and merges the sets.
// (Imports of pings hold the ingest lock, so nobody adds keys meanwhile.)
func writeActivity(ctx context.Context, tx pgx.Tx, res *activity.Result, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `TRUNCATE hex_activity`); err != nil {
			return err
		}
	}
	cells := res.Cells
	ids := make([]int64, 0, len(cells)/4)
	for i := range cells { // sorted by key: a cell's entries are adjacent
		if c := cells[i].Key.Cell; len(ids) == 0 || ids[len(ids)-1] != c {
			ids = append(ids, c)
		}
	}
	var fresh, merge []activity.KeyStat
	if replace {
		fresh = cells
	} else {
		// By primary key, cell by cell (an H3 index holds its resolution
		// in bits 52–55).
		rows, err := tx.Query(ctx, `SELECT h.res, h.cell, h.how
			FROM (SELECT ((c >> 52) & 15)::smallint AS res, c AS cell FROM unnest($1::bigint[]) AS c) c
			JOIN hex_activity h ON h.res = c.res AND h.cell = c.cell`, ids)
		if err != nil {
			return err
		}
		have := map[activity.Key]bool{}
		var k activity.Key
		var r int16
		if _, err := pgx.ForEachRow(rows, []any{&r, &k.Cell, &k.How}, func() error {
			k.Res = int8(r)
			have[k] = true
			return nil
		}); err != nil {
			return err
		}
		if len(have) == 0 {
			fresh = cells
		} else {
			for i := range cells {
				if have[cells[i].Key] {
					merge = append(merge, cells[i])
				} else {
					fresh = append(fresh, cells[i])
				}
			}
		}
	}
	if len(fresh) > 0 {
		if err := copyActivity(ctx, tx, "hex_activity", &actSource{res: res, cells: fresh}); err != nil {
			return err
		}
	}
	if len(merge) > 0 {
		if err := mergeActivity(ctx, tx, res, merge); err != nil {
			return err
		}
	}
	return writeCellIDs(ctx, tx, ids)
}

// mergeChunk is how many existing aggregate rows mergeActivity reads and
// merges at a time.
const mergeChunk = 4096

// mergeActivity adds rows whose key exists in hex_activity: the sums are
// added and the rider sets merged. The sets are united here, chunk by chunk
// (two sorted sets in one pass), and the database only assigns the union:
// merging them in SQL (unnest, DISTINCT, ORDER BY per row) cost 14× a plain
// read of the same arrays.
func mergeActivity(ctx context.Context, tx pgx.Tx, result *activity.Result, rows []activity.KeyStat) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE tmp_act (res smallint, cell bigint, how smallint, pings bigint,
		rider_seconds double precision, dwell_seconds double precision, rider_keys bigint[]) ON COMMIT DROP`); err != nil {
		return err
	}
	var gone []activity.KeyStat // rows that vanished meanwhile: inserted as they are
	old := make(map[activity.Key][]int64, mergeChunk)
	for lo := 0; lo < len(rows); lo += mergeChunk {
		part := rows[lo:min(lo+mergeChunk, len(rows))]
		ress, cells, hows := make([]int16, len(part)), make([]int64, len(part)), make([]int16, len(part))
		for i := range part {
			ress[i], cells[i], hows[i] = int16(part[i].Key.Res), part[i].Key.Cell, part[i].Key.How
		}
		r, err := tx.Query(ctx, `SELECT h.res, h.cell, h.how, h.rider_keys
			FROM unnest($1::smallint[], $2::bigint[], $3::smallint[]) AS k(res, cell, how)
			JOIN hex_activity h ON h.res = k.res AND h.cell = k.cell AND h.how = k.how`, ress, cells, hows)
		if err != nil {
			return err
		}
		clear(old)
		var (
			k    activity.Key
			res  int16
			keys []int64
		)
		if _, err := pgx.ForEachRow(r, []any{&res, &k.Cell, &k.How, &keys}, func() error {
			k.Res = int8(res)
			old[k] = keys
			keys = nil
			return nil
		}); err != nil {
			return err
		}
		united := make([]activity.KeyStat, 0, len(part))
		unitedKeys := make([][]int64, 0, len(part))
		for _, c := range part {
			prev, ok := old[c.Key]
			if !ok {
				gone = append(gone, c)
				continue
			}
			united = append(united, c)
			unitedKeys = append(unitedKeys, unionSorted(prev, result.AppendRiderKeys(nil, &c.Stat)))
		}
		if err := copyActivity(ctx, tx, "tmp_act", &actSource{res: result, cells: united, keys: unitedKeys}); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE hex_activity AS h SET pings = h.pings + t.pings,
		rider_seconds = h.rider_seconds + t.rider_seconds, dwell_seconds = h.dwell_seconds + t.dwell_seconds,
		rider_keys = t.rider_keys
		FROM tmp_act t WHERE h.res = t.res AND h.cell = t.cell AND h.how = t.how`); err != nil {
		return err
	}
	if len(gone) > 0 {
		if err := copyActivity(ctx, tx, "hex_activity", &actSource{res: result, cells: gone}); err != nil {
			return err
		}
	}
	return nil
}

// unionSorted returns the sorted distinct union of two sets of rider keys
// (each sorted and distinct as stored; sorted here first if not).
func unionSorted(a, b []int64) []int64 {
	tidy := func(s []int64) []int64 {
		for i := 1; i < len(s); i++ {
			if s[i] <= s[i-1] {
				s = slices.Clone(s)
				slices.Sort(s)
				return slices.Compact(s)
			}
		}
		return s
	}
	a, b = tidy(a), tidy(b)
	out := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// actSource streams entries of res to COPY, with their rider keys (res's
// ordinals turned into keys row by row, or keys[i] when keys is given).
type actSource struct {
	res   *activity.Result
	cells []activity.KeyStat
	keys  [][]int64
	i     int
	buf   []int64 // the row's rider keys
}

// copyActivity COPYs the entries of src into table (hex_activity or a
// temporary table of its columns).
func copyActivity(ctx context.Context, tx pgx.Tx, table string, src *actSource) error {
	_, err := copyBinary(ctx, tx, table, []string{"res", "cell", "how", "pings", "rider_seconds", "dwell_seconds", "rider_keys"},
		func(r *copyRow) bool {
			if src.i >= len(src.cells) {
				return false
			}
			c := &src.cells[src.i]
			var set []int64
			if src.keys != nil {
				set = src.keys[src.i]
			} else {
				src.buf = src.res.AppendRiderKeys(src.buf[:0], &c.Stat)
				set = src.buf
			}
			src.i++
			r.Int2(int16(c.Key.Res))
			r.Int8(c.Key.Cell)
			r.Int2(c.Key.How)
			r.Int8(c.Stat.Pings)
			r.Float8(c.Stat.RiderSeconds)
			r.Float8(c.Stat.DwellSeconds)
			r.Int8Array(set)
			return true
		})
	return err
}

// writeCellIDs adds the geometry of the distinct cells not yet in hex_cells.
func writeCellIDs(ctx context.Context, tx pgx.Tx, cells []int64) error {
	rows, err := tx.Query(ctx, `SELECT c FROM unnest($1::bigint[]) AS c WHERE NOT EXISTS (SELECT 1 FROM hex_cells h WHERE h.cell = c)`, cells)
	if err != nil {
		return err
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE tmp_cells (cell bigint, res smallint, parent7 bigint, cx double precision,
		cy double precision, wkb bytea) ON COMMIT DROP`); err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"tmp_cells"}, []string{"cell", "res", "parent7", "cx", "cy", "wkb"},
		pgx.CopyFromSlice(len(missing), func(i int) ([]any, error) {
			c := geo.Cell(missing[i])
			res := c.Resolution()
			p7 := c
			if res > 7 {
				p7 = geo.CellParent(c, 7)
			}
			ctr := geo.CellCenter(c)
			b, err := wkb.Marshal(geo.CellPolygon(c))
			if err != nil {
				return nil, err
			}
			return []any{int64(c), int16(res), int64(p7), ctr.Lon(), ctr.Lat(), b}, nil
		}))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO hex_cells (cell, res, parent7, center, boundary)
		SELECT cell, res, parent7, ST_SetSRID(ST_MakePoint(cx, cy), 4326), ST_SetSRID(ST_GeomFromWKB(wkb), 4326) FROM tmp_cells
		ON CONFLICT (cell) DO NOTHING`)
	return err
}

// writeRanges replaces the ranges of the same riders and periods from
// earlier imports (ranges are per import period, docs/ARCHITECTURE.md) and
// COPYs the new ones straight into rider_ranges, each with its cells as
// arrays sorted by cell and its geometries as EWKB (a temporary table and an
// INSERT … SELECT that built the geometries cost twice the COPY).
func writeRanges(ctx context.Context, tx pgx.Tx, ranges []activity.Range, offset time.Duration) error {
	if len(ranges) == 0 {
		return nil
	}
	riders, periods := make([]int64, len(ranges)), make([]string, len(ranges))
	for i := range ranges {
		riders[i], periods[i] = ranges[i].RiderKey, ranges[i].Period(offset)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM rider_ranges r USING unnest($1::bigint[], $2::text[]) AS k(rider, period)
		WHERE r.rider = k.rider AND r.period = k.period`, riders, periods); err != nil {
		return err
	}
	var (
		order              []int32
		cells              []int64
		share, secs, dwell []float64
		days               []int32
		ewkb               []byte
		i                  int
		werr               error
	)
	_, err := copyBinary(ctx, tx, "rider_ranges", []string{"rider", "period", "from_ts", "to_ts", "days", "pings",
		"active_seconds", "dwell_seconds", "centroid", "gyration_m", "p90_m", "hull", "cells", "cell_share", "cell_seconds",
		"cell_dwell_seconds", "cell_days"}, func(r *copyRow) bool {
		if i >= len(ranges) || werr != nil {
			return false
		}
		rg := &ranges[i]
		cs := rg.Cells
		order = order[:0]
		for j := range cs {
			order = append(order, int32(j))
		}
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(cs[a].Cell, cs[b].Cell) })
		cells, share, secs, dwell, days = cells[:0], share[:0], secs[:0], dwell[:0], days[:0]
		for _, j := range order {
			c := &cs[j]
			cells = append(cells, c.Cell)
			share = append(share, c.Share)
			secs = append(secs, c.Seconds)
			dwell = append(dwell, c.DwellSeconds)
			days = append(days, int32(c.Days))
		}
		r.Int8(rg.RiderKey)
		r.Text(periods[i])
		r.TimestampUs(rg.From.UnixMicro())
		r.TimestampUs(rg.To.UnixMicro())
		r.Int4(int32(rg.Days))
		r.Int8(rg.Pings)
		r.Float8(rg.ActiveSeconds)
		r.Float8(rg.DwellSeconds)
		if ewkb, werr = appendEWKB(ewkb[:0], rg.Centroid, 4326); werr != nil {
			return false
		}
		r.Bytes(ewkb)
		r.Float8(rg.GyrationM)
		r.Float8(rg.P90M)
		if len(rg.Hull) == 0 {
			r.Null()
		} else {
			if ewkb, werr = appendEWKB(ewkb[:0], rg.Hull, 4326); werr != nil {
				return false
			}
			r.Bytes(ewkb)
		}
		r.Int8Array(cells)
		r.Float8Array(share)
		r.Float8Array(secs)
		r.Float8Array(dwell)
		r.Int4Array(days)
		i++
		return true
	})
	if werr != nil {
		return fmt.Errorf("range of rider %d: %w", ranges[i].RiderKey, werr)
	}
	if err != nil {
		return err
	}
	// Every range cell has its centre in hex_cells (GridEvidence's
	// cell-in-grid join), whatever the range resolution: written here, in
	// the same transaction, rather than searched for at request time.
	seen := map[int64]bool{}
	var ids []int64
	for i := range ranges {
		for _, c := range ranges[i].Cells {
			if !seen[c.Cell] {
				seen[c.Cell] = true
				ids = append(ids, c.Cell)
			}
		}
	}
	return writeCellIDs(ctx, tx, ids)
}

// ScanPings calls fn with each ping of this import written so far, ordered
// by rider and time (in the import's transaction); fn must not retain the row.
// The ingest pipeline uses it when a file's pings were not in time order.
func (l *PingLoad) ScanPings(ctx context.Context, fn func(*PingRow) error) error {
	if err := l.waitTracks(ctx); err != nil {
		return err
	}
	return scanPings(ctx, l.tx, BatchSpan{ID: l.batch.ID, Min: l.minTS, Max: l.maxTS}, fn)
}

// BatchSpan is a completed pings import and the time range of its pings
// (zero when unknown).
type BatchSpan struct {
	ID       int64
	Min, Max time.Time
}

// Rebuild is an open rebuild of every derived table from the stored pings, in
// one transaction that holds the pings import lock: Begin empties the
// aggregates, ranges and rider days; the caller scans each batch, writes what
// it derived, and commits.
type Rebuild struct {
	tx pgx.Tx
}

// BeginRebuild starts a rebuild.
func (s *Store) BeginRebuild(ctx context.Context) (*Rebuild, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	r := &Rebuild{tx: tx}
	for _, q := range []string{
		`SET LOCAL statement_timeout = 0`,
		`SELECT pg_advisory_xact_lock(hashtext('hexcover.ingest.pings'))`,
		`TRUNCATE hex_activity, rider_ranges, rider_days`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			r.Rollback(ctx)
			return nil, err
		}
	}
	return r, nil
}

// Rollback abandons the rebuild.
func (r *Rebuild) Rollback(ctx context.Context) { _ = r.tx.Rollback(context.WithoutCancel(ctx)) }

// Batches lists the completed pings imports in the order they were made.
func (r *Rebuild) Batches(ctx context.Context) ([]BatchSpan, error) {
	rows, err := r.tx.Query(ctx, `SELECT id, min_ts, max_ts FROM ingest_batches
		WHERE kind = 'pings' AND status = 'done' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (BatchSpan, error) {
		var b BatchSpan
		var lo, hi *time.Time
		err := row.Scan(&b.ID, &lo, &hi)
		if lo != nil && hi != nil {
			b.Min, b.Max = *lo, *hi
		}
		return b, err
	})
}

// RiderPIDs maps every rider key to its pseudonym.
func (r *Rebuild) RiderPIDs(ctx context.Context) (map[int64]model.RiderID, error) {
	rows, err := r.tx.Query(ctx, `SELECT id, pid FROM riders`)
	if err != nil {
		return nil, err
	}
	pids := map[int64]model.RiderID{}
	var id int64
	var pid string
	_, err = pgx.ForEachRow(rows, []any{&id, &pid}, func() error { pids[id] = model.RiderID(pid); return nil })
	return pids, err
}

// ScanPings calls fn with each ping of batch b, ordered by rider and time; fn
// must not retain the row.
func (r *Rebuild) ScanPings(ctx context.Context, b BatchSpan, fn func(*PingRow) error) error {
	return scanPings(ctx, r.tx, b, fn)
}

// Write adds what was derived from one batch: aggregates, ranges (their
// periods named in local dates, UTC+offset) and rider days.
func (r *Rebuild) Write(ctx context.Context, res *activity.Result, days []RiderDay, offset time.Duration) error {
	if err := addRiderDays(ctx, r.tx, days); err != nil {
		return fmt.Errorf("rider days: %w", err)
	}
	if err := writeActivity(ctx, r.tx, res, false); err != nil {
		return fmt.Errorf("aggregates: %w", err)
	}
	if err := writeRanges(ctx, r.tx, res.Ranges, offset); err != nil {
		return fmt.Errorf("rider ranges: %w", err)
	}
	for _, t := range []string{"tmp_act", "tmp_cells", "tmp_rider_days"} {
		if _, err := r.tx.Exec(ctx, `DROP TABLE IF EXISTS `+t); err != nil {
			return err
		}
	}
	return nil
}

// Commit bumps the activity data version and commits the rebuild.
func (r *Rebuild) Commit(ctx context.Context) error {
	if err := bumpVersion(ctx, r.tx, "activity"); err != nil {
		r.Rollback(ctx)
		return err
	}
	return r.tx.Commit(ctx)
}
