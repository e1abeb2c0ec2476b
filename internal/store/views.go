package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/activity"
)

// The per-import rollups of fixed hour sets (migrations/00006): for every
// cell with activity, its exact figures over each view's hours, so a
// filtered tile or analysis of a view reads one row a cell instead of
// merging the rider keys of every hour row in it.

// ViewSetsRes is the resolution whose cells keep their rider sets in the
// rollups (the demand resolution of the analyses, coverage.DefaultDemandRes).
const ViewSetsRes = 9

// viewsLock is the advisory lock key serializing RefreshHexViews.
const viewsLock = 0x68657876 // "hexv"

// HexViewsInfo reports a RefreshHexViews.
type HexViewsInfo struct {
	ActivityVersion int64
	Cells           int   // (res, cell) rows written
	Keys            int64 // rider keys read
	Skipped         bool  // already up to date: nothing read or written
}

// RefreshHexViews rebuilds hex_views from hex_activity for views (each a
// sorted list of hours of week), stamped with the activity data version it
// read, in one snapshot: readers use the rows only while that version is
// current (HexViews). It does nothing when they are already up to date.
// Concurrent refreshes run one after the other.
func (s *Store) RefreshHexViews(ctx context.Context, views [][]int16) (HexViewsInfo, error) {
	var info HexViewsInfo
	roller, err := activity.NewViewRoller(views)
	if err != nil {
		return info, err
	}
	key := activity.ViewsKey(views)
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return info, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(viewsLock)); err != nil {
		return info, err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(viewsLock))
	}()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return info, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Reading every rider key can outlast the query timeout of a request.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return info, err
	}
	var done bool
	err = tx.QueryRow(ctx, `SELECT v.version, coalesce(s.activity_version = v.version AND s.views = $1 AND s.sets_res = $2, false)
		FROM (SELECT coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0) AS version) v
		LEFT JOIN hex_views_state s ON true`, key, int16(ViewSetsRes)).Scan(&info.ActivityVersion, &done)
	if err != nil {
		return info, err
	}
	if done {
		info.Skipped = true
		return info, nil
	}
	// The rollups, one (res, cell) after the other, in flat arrays.
	var (
		cells   []int64
		resOf   []int16
		pings   []int64
		riders  []int32
		rsecs   []float64
		dsecs   []float64
		keys    []int64
		weekB   [][]byte // per cell: the whole week's rider set (ViewSetsRes only)
		setsB   [][][]byte
		curRes  int16 = -1
		curCell int64
	)
	flush := func() {
		if curRes < 0 {
			return
		}
		cells, resOf = append(cells, curCell), append(resOf, curRes)
		for _, v := range roller.Stats() {
			pings, riders = append(pings, v.Pings), append(riders, v.Riders)
			rsecs, dsecs = append(rsecs, v.RiderSeconds), append(dsecs, v.DwellSeconds)
		}
		week, sets := roller.Sets()
		if week == nil {
			weekB, setsB = append(weekB, nil), append(setsB, nil)
			return
		}
		week.RunOptimize()
		wb, _ := week.ToBytes()
		sb := make([][]byte, len(sets))
		for i, b := range sets {
			b.RunOptimize()
			sb[i], _ = b.ToBytes()
		}
		weekB, setsB = append(weekB, wb), append(setsB, sb)
	}
	rows, err := tx.Query(ctx, `SELECT res, cell, how, pings, rider_seconds, dwell_seconds, rider_keys
		FROM hex_activity WHERE how >= 0 OR res = $1 ORDER BY res, cell`, int16(ViewSetsRes))
	if err != nil {
		return info, err
	}
	for rows.Next() {
		var (
			res        int16
			cell       int64
			how        int16
			n          int64
			rsec, dsec float64
		)
		raw := rows.RawValues()
		if err := rows.Scan(&res, &cell, &how, &n, &rsec, &dsec, nil); err != nil {
			rows.Close()
			return info, err
		}
		if keys, err = decodeInt8Array(raw[6], keys[:0]); err != nil {
			rows.Close()
			return info, fmt.Errorf("hex_activity rider_keys: %w", err)
		}
		if res != curRes || cell != curCell {
			flush()
			curRes, curCell = res, cell
			roller.Start(res == ViewSetsRes)
		}
		roller.Add(how, n, rsec, dsec, keys)
		info.Keys += int64(len(keys))
	}
	if err := rows.Err(); err != nil {
		return info, err
	}
	flush()
	info.Cells = len(cells)
	if _, err := tx.Exec(ctx, `DELETE FROM hex_views`); err != nil {
		return info, err
	}
	nv := len(views)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"hex_views"}, []string{"res", "cell", "pings", "riders", "rider_seconds", "dwell_seconds", "week_set", "rider_sets"},
		pgx.CopyFromSlice(len(cells), func(i int) ([]any, error) {
			a, b := i*nv, (i+1)*nv
			return []any{resOf[i], cells[i], pings[a:b], riders[a:b], rsecs[a:b], dsecs[a:b], weekB[i], setsB[i]}, nil
		}))
	if err != nil {
		return info, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hex_views_state (activity_version, views, sets_res) VALUES ($1, $2, $3)
		ON CONFLICT (one) DO UPDATE SET activity_version = EXCLUDED.activity_version, views = EXCLUDED.views,
			sets_res = EXCLUDED.sets_res, built_at = now()`,
		info.ActivityVersion, key, int16(ViewSetsRes)); err != nil {
		return info, err
	}
	return info, tx.Commit(ctx)
}

// decodeInt8Array appends the elements of a one-dimensional bigint[] in
// PostgreSQL's binary format to dst (no NULL elements).
func decodeInt8Array(b []byte, dst []int64) ([]int64, error) {
	if len(b) < 12 {
		return dst, fmt.Errorf("array of %d bytes", len(b))
	}
	ndim := binary.BigEndian.Uint32(b)
	if ndim == 0 {
		return dst, nil
	}
	if ndim != 1 || len(b) < 20 {
		return dst, fmt.Errorf("array of %d dimensions", ndim)
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	b = b[20:]
	if len(b) != n*12 {
		return dst, fmt.Errorf("array of %d elements in %d bytes", n, len(b))
	}
	for i := range n {
		e := b[i*12:]
		if binary.BigEndian.Uint32(e) != 8 {
			return dst, fmt.Errorf("element %d is not a bigint", i)
		}
		dst = append(dst, int64(binary.BigEndian.Uint64(e[4:])))
	}
	return dst, nil
}

// HexViews is the rollup of one resolution: the views' hours and, per
// cell (ascending), one ViewStat per view.
type HexViews struct {
	Views [][]int16 // nil when there is no rollup of the current activity
	Cells []int64
	Stats []activity.ViewStat // cell i, view v at i*len(Views)+v
}

// LoadHexViews returns the rollups of resolution res together with the
// activity data version read in the same snapshot; Views is nil when the
// stored rollups are of another activity version (not yet refreshed), and
// the caller merges hour rows as before.
func (s *Store) LoadHexViews(ctx context.Context, res int) (HexViews, int64, error) {
	var out HexViews
	var version int64
	var key string
	rows, err := s.Pool.Query(ctx, `SELECT v.version, coalesce(s.views, ''), h.cell, h.pings, h.riders, h.rider_seconds, h.dwell_seconds
		FROM (SELECT coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0) AS version) v
		LEFT JOIN hex_views_state s ON s.activity_version = v.version
		LEFT JOIN LATERAL (SELECT cell, pings, riders, rider_seconds, dwell_seconds FROM hex_views
			WHERE s.views IS NOT NULL AND res = $1 ORDER BY cell) h ON true`, int16(res))
	if err != nil {
		return out, 0, err
	}
	var (
		cell        *int64
		pings       []int64
		riders      []int32
		rsecs, dsec []float64
		nv          = -1
	)
	_, err = pgx.ForEachRow(rows, []any{&version, &key, &cell, &pings, &riders, &rsecs, &dsec}, func() error {
		if nv < 0 {
			if key == "" {
				nv = 0
				return nil
			}
			vs, err := parseViewsKey(key)
			if err != nil {
				return err
			}
			out.Views, nv = vs, len(vs)
		}
		if cell == nil {
			return nil
		}
		if len(pings) != nv || len(riders) != nv || len(rsecs) != nv || len(dsec) != nv {
			return fmt.Errorf("hex_views cell %d: %d views, want %d", *cell, len(pings), nv)
		}
		out.Cells = append(out.Cells, *cell)
		for v := range nv {
			out.Stats = append(out.Stats, activity.ViewStat{Pings: pings[v], Riders: riders[v], RiderSeconds: rsecs[v], DwellSeconds: dsec[v]})
		}
		return nil
	})
	if err != nil {
		return HexViews{}, 0, err
	}
	return out, version, nil
}

func parseViewsKey(key string) ([][]int16, error) {
	var out [][]int16
	for _, part := range strings.Split(key, ";") {
		hs, err := activity.ParseHours(part)
		if err != nil || len(hs) == 0 {
			return nil, fmt.Errorf("hex_views_state views %q: %v", part, err)
		}
		out = append(out, hs)
	}
	return out, nil
}

// viewCoverageCells answers CoverageCells from the rollups when hows is
// exactly one of their hour sets and they are of the current activity
// version (ok false otherwise: the caller merges the hour rows).
func (s *Store) viewCoverageCells(ctx context.Context, res int, hows []int16) ([]CoverageCell, bool, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var i *int32
	err = tx.QueryRow(ctx, `SELECT array_position(string_to_array(s.views, ';'), $1)
		FROM hex_views_state s WHERE s.activity_version = coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0)`,
		activity.FormatHours(hows)).Scan(&i)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && i == nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rows, err := tx.Query(ctx, `SELECT v.cell, ST_X(c.center), ST_Y(c.center), v.pings[$2], v.rider_seconds[$2], v.dwell_seconds[$2], v.riders[$2]
		FROM hex_views v JOIN hex_cells c ON c.cell = v.cell
		WHERE v.res = $1 AND (v.pings[$2] > 0 OR v.riders[$2] > 0 OR v.rider_seconds[$2] > 0 OR v.dwell_seconds[$2] > 0)
		ORDER BY v.cell`, int16(res), *i)
	if err != nil {
		return nil, false, err
	}
	var out []CoverageCell
	var c CoverageCell
	var riders int32
	_, err = pgx.ForEachRow(rows, []any{&c.Cell, &c.Lng, &c.Lat, &c.Pings, &c.RiderSeconds, &c.DwellSeconds, &riders}, func() error {
		c.Riders = int64(riders)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// setCache keeps the rider sets of the rollups read so far (one entry per
// hour set, of one activity version), for the distinct-rider unions of
// areas and zones. Part of Store; the zero value is ready.
type setCache struct {
	mu      sync.Mutex
	version int64
	sets    map[string]map[int64]*roaring.Bitmap // by hours key ("" = whole week)
}

// viewSets returns the rider sets of every cell of resolution res over
// hows (nil: the whole week) from the rollups, when they are of the current
// activity version, hold sets at res and hows is the whole week or one of
// their hour sets; ok false otherwise (the caller merges rider keys).
// Within one result the sets unite exactly (one numbering of riders).
func (s *Store) viewSets(ctx context.Context, res int, hows []int16) (map[int64]*roaring.Bitmap, bool, error) {
	if res != ViewSetsRes {
		return nil, false, nil
	}
	hk := activity.FormatHours(hows)
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var version int64
	var i *int32
	err = tx.QueryRow(ctx, `SELECT s.activity_version, CASE WHEN $1 = '' THEN 0 ELSE array_position(string_to_array(s.views, ';'), $1) END
		FROM hex_views_state s WHERE s.sets_res = $2
			AND s.activity_version = coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0)`,
		hk, int16(res)).Scan(&version, &i)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && i == nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c := &s.rollups
	c.mu.Lock()
	if c.version == version {
		if m, ok := c.sets[hk]; ok {
			c.mu.Unlock()
			return m, true, nil
		}
	}
	c.mu.Unlock()
	rows, err := tx.Query(ctx, `SELECT cell, CASE WHEN $2 = 0 THEN week_set ELSE rider_sets[$2] END FROM hex_views
		WHERE res = $1 AND week_set IS NOT NULL`, int16(res), *i)
	if err != nil {
		return nil, false, err
	}
	m := map[int64]*roaring.Bitmap{}
	var cell int64
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&cell, &b}, func() error {
		bm := roaring.New()
		if _, err := bm.FromBuffer(slices.Clone(b)); err != nil {
			return fmt.Errorf("hex_views cell %x: %w", cell, err)
		}
		if !bm.IsEmpty() {
			m[cell] = bm
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.version != version {
		c.version, c.sets = version, map[string]map[int64]*roaring.Bitmap{}
	}
	c.sets[hk] = m
	c.mu.Unlock()
	return m, true, nil
}

// WarmViewSets reads the rider sets of the rollups of the current activity
// version, the whole week's and every hour set's, in one pass (a cell's
// sets are one row: reading them set by set detoasts the row each time)
// and keeps them for DistinctRiders and DistinctRidersIn, so the first
// summary after an import does not wait for them. It returns how many sets
// it keeps (0 when there are no rollups of the current version).
func (s *Store) WarmViewSets(ctx context.Context) (int, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var version int64
	var key string
	err = tx.QueryRow(ctx, `SELECT s.activity_version, s.views FROM hex_views_state s WHERE s.sets_res = $1
			AND s.activity_version = coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0)`,
		int16(ViewSetsRes)).Scan(&version, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	views, err := parseViewsKey(key)
	if err != nil {
		return 0, err
	}
	keys := make([]string, 1+len(views)) // "" = the whole week
	for i, hs := range views {
		keys[1+i] = activity.FormatHours(hs)
	}
	sets := make([]map[int64]*roaring.Bitmap, len(keys))
	for i := range sets {
		sets[i] = map[int64]*roaring.Bitmap{}
	}
	rows, err := tx.Query(ctx, `SELECT cell, week_set, rider_sets FROM hex_views WHERE res = $1 AND week_set IS NOT NULL`,
		int16(ViewSetsRes))
	if err != nil {
		return 0, err
	}
	var (
		cell int64
		week []byte
		per  [][]byte
	)
	_, err = pgx.ForEachRow(rows, []any{&cell, &week, &per}, func() error {
		if len(per) != len(views) {
			return fmt.Errorf("hex_views cell %x: %d rider sets, want %d", cell, len(per), len(views))
		}
		for i, b := range append([][]byte{week}, per...) {
			bm := roaring.New()
			if _, err := bm.FromBuffer(slices.Clone(b)); err != nil {
				return fmt.Errorf("hex_views cell %x: %w", cell, err)
			}
			if !bm.IsEmpty() {
				sets[i][cell] = bm
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	c := &s.rollups
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		c.version, c.sets = version, map[string]map[int64]*roaring.Bitmap{}
	}
	for i, k := range keys {
		c.sets[k] = sets[i]
	}
	return len(keys), nil
}

// distinctFromSets is DistinctRiders from the rollups' rider sets.
func distinctFromSets(sets map[int64]*roaring.Bitmap, cells []int64, groups []int32) map[int32]int64 {
	by := map[int32][]*roaring.Bitmap{}
	for i, c := range cells {
		if b := sets[c]; b != nil {
			by[groups[i]] = append(by[groups[i]], b)
		}
	}
	out := make(map[int32]int64, len(by))
	for g, bs := range by {
		if n := roaring.FastOr(bs...).GetCardinality(); n > 0 {
			out[g] = int64(n)
		}
	}
	return out
}

// distinctAll is DistinctRidersIn from the rollups' rider sets.
func distinctAll(sets map[int64]*roaring.Bitmap) int64 {
	bs := make([]*roaring.Bitmap, 0, len(sets))
	for _, b := range sets {
		bs = append(bs, b)
	}
	return int64(roaring.FastOr(bs...).GetCardinality())
}
