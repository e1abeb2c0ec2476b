package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
)

// DayPing is one raw ping as the release reads it.
type DayPing struct {
	Rider    int64
	TS       int64 // unix nanoseconds
	Lat, Lng float64
}

// DayPings returns every raw ping with from ≤ ts < to (one local day),
// ordered by rider and time (ForEachRiderDay's order). It holds the whole
// day in memory: the release streams the day with ForEachRiderDay instead;
// this is for tests and small days.
func (s *Store) DayPings(ctx context.Context, from, to time.Time) ([]DayPing, error) {
	var out []DayPing
	err := s.ForEachRiderDay(ctx, from, to, func(_ int64, pings []DayPing) error {
		out = append(out, pings...)
		return nil
	})
	return out, err
}

// ForEachRiderDay calls fn with each rider's raw pings with from ≤ ts < to
// (one local day), riders in increasing order, each rider's pings sorted by
// time (pings of equal time in stored order: UTC day, batch, segment, then
// position in the segment). pings is reused after fn returns. Only one
// rider's pings are held at a time, decoded from the ping tracks of the UTC
// days the range spans; the query runs without the statement timeout, in
// its own transaction. An error from fn stops the scan and is returned.
func (s *Store) ForEachRiderDay(ctx context.Context, from, to time.Time, fn func(rider int64, pings []DayPing) error) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		// The order comes from the primary key (rider, day, batch_id, seq):
		// a merge of the two partitions' index scans, never a sort of the
		// day's segments (~1 KB a row with their arrays: tens of MB for a
		// file sorted by rider, hundreds when files in time order leave a
		// segment per rider at every buffer flush).
		if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT rider, t0, dt_ms, dlat, dlng FROM ping_tracks
			WHERE day BETWEEN $1::date AND $2::date AND t_max >= $3 AND t_min < $4
			ORDER BY rider, day, batch_id, seq`,
			from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly), from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			rider, cur int64 = 0, -1
			t0         time.Time
			dt, la, ln []int32
			buf        []DayPing
		)
		emit := func() error {
			if len(buf) == 0 {
				return nil
			}
			// A rider's segments (several batches, two UTC days) are in
			// time order unless the files were not.
			byTime := func(a, b DayPing) int { return cmp.Compare(a.TS, b.TS) }
			if !slices.IsSortedFunc(buf, byTime) {
				slices.SortStableFunc(buf, byTime)
			}
			err := fn(cur, buf)
			buf = buf[:0]
			return err
		}
		lo, hi := from.UnixMilli(), to.UnixMilli()
		raw := false
		for first := true; rows.Next(); first = false {
			if first {
				raw = binaryTrackRows(rows)
			}
			var ms int64
			if raw {
				// pgx's generic array scan was a third of the release's
				// CPU: the binary values are read directly.
				var err error
				if rider, ms, dt, la, ln, err = decodeTrackRow(rows.RawValues(), dt, la, ln); err != nil {
					return err
				}
				t0 = time.UnixMilli(ms)
			} else {
				if err := rows.Scan(&rider, &t0, &dt, &la, &ln); err != nil {
					return err
				}
				ms = t0.UnixMilli()
			}
			if len(dt) != len(la) || len(dt) != len(ln) {
				return fmt.Errorf("ping track of rider %d at %s is malformed", rider, t0)
			}
			if rider != cur {
				if err := emit(); err != nil {
					return err
				}
				cur = rider
			}
			lat, lng := int64(0), int64(0)
			for i := range dt {
				ms += int64(dt[i])
				lat += int64(la[i])
				lng += int64(ln[i])
				if ms >= lo && ms < hi {
					buf = append(buf, DayPing{Rider: rider, TS: ms * int64(time.Millisecond), Lat: fromE7(lat), Lng: fromE7(lng)})
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return emit()
	})
	if err != nil {
		return fmt.Errorf("pings from %s: %w", from.Format(time.DateOnly), err)
	}
	return nil
}

// binaryTrackRows reports whether rows (rider, t0, dt_ms, dlat, dlng) come
// in PostgreSQL's binary format with the expected types, so decodeTrackRow
// can read them.
func binaryTrackRows(rows pgx.Rows) bool {
	fds := rows.FieldDescriptions()
	want := []uint32{pgtype.Int8OID, pgtype.TimestamptzOID, pgtype.Int4ArrayOID, pgtype.Int4ArrayOID, pgtype.Int4ArrayOID}
	if len(fds) != len(want) {
		return false
	}
	for i, fd := range fds {
		if fd.Format != pgx.BinaryFormatCode || fd.DataTypeOID != want[i] {
			return false
		}
	}
	return true
}

var errTrackRow = errors.New("ping track row: unexpected binary value")

// decodeTrackRow reads a binary row (rider int8, t0 timestamptz, dt_ms,
// dlat, dlng int4[]) into rider, t0 in unix milliseconds and the three
// arrays (their memory reused).
func decodeTrackRow(vals [][]byte, dt, la, ln []int32) (rider, t0 int64, _, _, _ []int32, err error) {
	if len(vals) != 5 || len(vals[0]) != 8 || len(vals[1]) != 8 {
		return 0, 0, nil, nil, nil, errTrackRow
	}
	be := binary.BigEndian
	rider = int64(be.Uint64(vals[0]))
	// timestamptz: microseconds since 2000-01-01 00:00 UTC.
	t0 = floorDivInt(int64(be.Uint64(vals[1]))+946684800_000000, 1000)
	if dt, err = decodeInt4Array(vals[2], dt); err != nil {
		return 0, 0, nil, nil, nil, err
	}
	if la, err = decodeInt4Array(vals[3], la); err != nil {
		return 0, 0, nil, nil, nil, err
	}
	if ln, err = decodeInt4Array(vals[4], ln); err != nil {
		return 0, 0, nil, nil, nil, err
	}
	return rider, t0, dt, la, ln, nil
}

// decodeInt4Array reads a one-dimensional int4[] without NULLs in binary
// format: ndim, NULL flag, element type, then length and lower bound, then
// each element as its length (4) and value.
func decodeInt4Array(b []byte, dst []int32) ([]int32, error) {
	be := binary.BigEndian
	if len(b) < 12 {
		return nil, errTrackRow
	}
	switch ndim := be.Uint32(b); {
	case ndim == 0:
		return dst[:0], nil
	case ndim != 1 || len(b) < 20 || be.Uint32(b[8:]) != pgtype.Int4OID:
		return nil, errTrackRow
	}
	n := int(int32(be.Uint32(b[12:])))
	b = b[20:]
	if n < 0 || len(b) != 8*n {
		return nil, errTrackRow
	}
	dst = slices.Grow(dst[:0], n)[:n]
	for i := range dst {
		e := b[8*i : 8*i+8]
		if be.Uint32(e) != 4 {
			return nil, errTrackRow // NULL (-1) or not int4
		}
		dst[i] = int32(be.Uint32(e[4:]))
	}
	return dst, nil
}

// AreasBound is the extent of the loaded admin areas; ok is false when
// there are none.
func (s *Store) AreasBound(ctx context.Context) (orb.Bound, bool, error) {
	var minx, miny, maxx, maxy *float64
	err := s.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom)::geometry AS e FROM admin_areas) x`).Scan(&minx, &miny, &maxx, &maxy)
	if err != nil {
		return orb.Bound{}, false, fmt.Errorf("areas extent: %w", err)
	}
	if minx == nil {
		return orb.Bound{}, false, nil
	}
	return orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}, true, nil
}

// PointAreas returns, for each point, the area of each level whose polygon
// contains it (CellArea.Cell is the point's id); a point on a shared border
// goes to the area with the lowest code.
func (s *Store) PointAreas(ctx context.Context, ids []int64, pts []orb.Point) ([]CellArea, error) {
	lng, lat := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		lng[i], lat[i] = p[0], p[1]
	}
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (p.id, a.level) p.id, a.level, a.code
		FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS p(id, lng, lat)
		JOIN admin_areas a ON ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326))
		ORDER BY p.id, a.level, a.code`, ids, lng, lat)
	out, err := collectCellAreas(rows, err)
	if err != nil {
		return nil, fmt.Errorf("point areas: %w", err)
	}
	return out, nil
}

// ReleaseDaysToBuild lists the local days with pings whose release is
// missing or older than a pings import that overlaps the day or an areas
// import, and the days with a current release but no pings any more (to
// withdraw).
// offset makes local time (UTC + offset).
func (s *Store) ReleaseDaysToBuild(ctx context.Context, offset time.Duration) (build, withdraw []time.Time, err error) {
	rows, err := s.Pool.Query(ctx, `SELECT d.day FROM (SELECT DISTINCT day FROM rider_days) d
		LEFT JOIN release r ON r.day = d.day AND r.status = 'current'
		WHERE r.id IS NULL OR EXISTS (
			SELECT 1 FROM ingest_batches b
			WHERE b.status IN ('done', 'replaced') AND b.finished_at > r.created_at
				AND (b.kind = 'areas' OR (b.kind = 'pings'
					AND b.min_ts < ((d.day + 1)::timestamp - make_interval(secs => $1)) AT TIME ZONE 'UTC'
					AND b.max_ts >= (d.day::timestamp - make_interval(secs => $1)) AT TIME ZONE 'UTC')))
		ORDER BY d.day`, offset.Seconds())
	if err != nil {
		return nil, nil, fmt.Errorf("release days: %w", err)
	}
	if build, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
		return nil, nil, fmt.Errorf("release days: %w", err)
	}
	// Days older than every retained day keep their release: retention
	// removed the riders, not what was published about them.
	rows, err = s.Pool.Query(ctx, `SELECT r.day FROM release r WHERE r.status = 'current'
		AND r.day >= (SELECT min(day) FROM rider_days)
		AND NOT EXISTS (SELECT 1 FROM rider_days d WHERE d.day = r.day) ORDER BY r.day`)
	if err != nil {
		return nil, nil, fmt.Errorf("release days: %w", err)
	}
	if withdraw, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
		return nil, nil, fmt.Errorf("release days: %w", err)
	}
	return build, withdraw, nil
}

// ReleaseCellValue is one stored value of a release, by cell or by area.
type ReleaseCellValue struct {
	Figure, View int16
	Cell         int64
	Level, Code  string // areas only
	Exact        float64
	Draw         int64
	Value        float64
}

// ReleaseInfo is one row of the release table.
type ReleaseInfo struct {
	ID        int64
	Day       time.Time
	Status    string
	CreatedAt time.Time
	Rho       float64
	RiderDays int
	Redrawn   int
	BuildMs   int
	Params    json.RawMessage
	Note      string
}

// CurrentRelease returns the current release of a day with its values; ok
// is false when the day has none.
func (s *Store) CurrentRelease(ctx context.Context, day time.Time) (info ReleaseInfo, cells, areas []ReleaseCellValue, ok bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT id, day, status, created_at, rho, rider_days, redrawn, build_ms, params, note
		FROM release WHERE day = $1 AND status = 'current'`, day).Scan(&info.ID, &info.Day, &info.Status, &info.CreatedAt,
		&info.Rho, &info.RiderDays, &info.Redrawn, &info.BuildMs, &info.Params, &info.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return info, nil, nil, false, nil
	}
	if err != nil {
		return info, nil, nil, false, fmt.Errorf("release of %s: %w", day.Format(time.DateOnly), err)
	}
	if cells, err = s.releaseCells(ctx, []int64{info.ID}, true); err != nil {
		return info, nil, nil, false, err
	}
	if areas, err = s.releaseAreas(ctx, []int64{info.ID}, true); err != nil {
		return info, nil, nil, false, err
	}
	return info, cells, areas, true, nil
}

func (s *Store) releaseCells(ctx context.Context, ids []int64, exact bool) ([]ReleaseCellValue, error) {
	rows, err := s.Pool.Query(ctx, `SELECT release_id, figure, view, cell, CASE WHEN $2 THEN exact ELSE 0 END, draw, value
		FROM release_cells WHERE release_id = ANY($1)`, ids, exact)
	if err != nil {
		return nil, fmt.Errorf("release cells: %w", err)
	}
	var out []ReleaseCellValue
	var v ReleaseCellValue
	var rid int64
	_, err = pgx.ForEachRow(rows, []any{&rid, &v.Figure, &v.View, &v.Cell, &v.Exact, &v.Draw, &v.Value}, func() error {
		v.Code = "" // the release id is not needed by callers of one release
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release cells: %w", err)
	}
	return out, nil
}

func (s *Store) releaseAreas(ctx context.Context, ids []int64, exact bool) ([]ReleaseCellValue, error) {
	rows, err := s.Pool.Query(ctx, `SELECT view, level, code, CASE WHEN $2 THEN exact ELSE 0 END, draw, value
		FROM release_areas WHERE release_id = ANY($1)`, ids, exact)
	if err != nil {
		return nil, fmt.Errorf("release areas: %w", err)
	}
	var out []ReleaseCellValue
	var v ReleaseCellValue
	_, err = pgx.ForEachRow(rows, []any{&v.View, &v.Level, &v.Code, &v.Exact, &v.Draw, &v.Value}, func() error {
		v.Figure = 1
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release areas: %w", err)
	}
	return out, nil
}

// PublishedDay is the noisy values of one day's current release (no exact
// values: this is what serving reads).
type PublishedDay struct {
	Info         ReleaseInfo
	Cells, Areas []ReleaseCellValue
}

// PublishedRelease returns every day's current release, oldest day first,
// and the release data version.
func (s *Store) PublishedRelease(ctx context.Context) ([]PublishedDay, int64, error) {
	var ver int64
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce((SELECT version FROM data_versions WHERE layer = 'release'), 0)`).Scan(&ver); err != nil {
		return nil, 0, fmt.Errorf("release version: %w", err)
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, day, status, created_at, rho, rider_days, redrawn, build_ms, params, note
		FROM release WHERE status = 'current' ORDER BY day`)
	if err != nil {
		return nil, 0, fmt.Errorf("releases: %w", err)
	}
	var days []PublishedDay
	var info ReleaseInfo
	_, err = pgx.ForEachRow(rows, []any{&info.ID, &info.Day, &info.Status, &info.CreatedAt, &info.Rho, &info.RiderDays,
		&info.Redrawn, &info.BuildMs, &info.Params, &info.Note}, func() error {
		days = append(days, PublishedDay{Info: info})
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("releases: %w", err)
	}
	for i := range days {
		id := []int64{days[i].Info.ID}
		if days[i].Cells, err = s.releaseCells(ctx, id, false); err != nil {
			return nil, 0, err
		}
		if days[i].Areas, err = s.releaseAreas(ctx, id, false); err != nil {
			return nil, 0, err
		}
	}
	return days, ver, nil
}

// ReleaseVersion is the data version of the published release.
func (s *Store) ReleaseVersion(ctx context.Context) (int64, error) {
	return s.DataVersion(ctx, "release")
}

// LedgerMax returns the most rho any of the riders has spent on day.
func (s *Store) LedgerMax(ctx context.Context, day time.Time, riders []int64) (float64, error) {
	var m float64
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(rho), 0) FROM privacy_ledger WHERE day = $1 AND rider = ANY($2)`, day, riders).Scan(&m)
	if err != nil {
		return 0, fmt.Errorf("privacy ledger: %w", err)
	}
	return m, nil
}

// NewRelease is a release to store.
type NewRelease struct {
	Day       time.Time
	Rho       float64
	Riders    []int64 // the rider-days charged Rho
	Redrawn   int
	BuildMs   int
	Params    any
	Note      string
	Cells     []ReleaseCellValue
	Areas     []ReleaseCellValue
	Supersede bool // the day's current release becomes superseded
}

// SaveRelease stores a day's new current release in one transaction: the
// release row, its values, the ledger charges; the previous current release
// of the day is superseded and the release version bumped. draw(id) is
// called with the new release's id before the values are written, so
// freshly drawn values can carry it.
func (s *Store) SaveRelease(ctx context.Context, r NewRelease, draw func(id int64)) (int64, error) {
	params, err := json.Marshal(r.Params)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE release SET status = 'superseded' WHERE day = $1 AND status = 'current'`, r.Day); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO release (day, status, rho, rider_days, redrawn, build_ms, params, note)
			VALUES ($1, 'current', $2, $3, $4, $5, $6, $7) RETURNING id`,
			r.Day, r.Rho, len(r.Riders), r.Redrawn, r.BuildMs, params, r.Note).Scan(&id); err != nil {
			return err
		}
		draw(id)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"release_cells"}, []string{"release_id", "figure", "view", "cell", "exact", "draw", "value"},
			pgx.CopyFromSlice(len(r.Cells), func(i int) ([]any, error) {
				v := &r.Cells[i]
				return []any{id, v.Figure, v.View, v.Cell, v.Exact, v.Draw, v.Value}, nil
			})); err != nil {
			return fmt.Errorf("release cells: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"release_areas"}, []string{"release_id", "view", "level", "code", "exact", "draw", "value"},
			pgx.CopyFromSlice(len(r.Areas), func(i int) ([]any, error) {
				v := &r.Areas[i]
				return []any{id, v.View, v.Level, v.Code, v.Exact, v.Draw, v.Value}, nil
			})); err != nil {
			return fmt.Errorf("release areas: %w", err)
		}
		if r.Rho > 0 && len(r.Riders) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO privacy_ledger (rider, day, rho)
				SELECT unnest($1::bigint[]), $2, $3
				ON CONFLICT (rider, day) DO UPDATE SET rho = privacy_ledger.rho + EXCLUDED.rho`, r.Riders, r.Day, r.Rho); err != nil {
				return fmt.Errorf("privacy ledger: %w", err)
			}
		}
		// Keep superseded releases' values only while they are needed: the
		// current one carries every draw still in use.
		if _, err := tx.Exec(ctx, `DELETE FROM release_cells WHERE release_id IN (SELECT id FROM release WHERE day = $1 AND status <> 'current')`, r.Day); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM release_areas WHERE release_id IN (SELECT id FROM release WHERE day = $1 AND status <> 'current')`, r.Day); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "release")
	})
	if err != nil {
		return 0, fmt.Errorf("save release of %s: %w", r.Day.Format(time.DateOnly), err)
	}
	return id, nil
}

// RecordRefusedRelease notes a release the budget did not allow; the day's
// current release (if any) stays.
func (s *Store) RecordRefusedRelease(ctx context.Context, day time.Time, rho float64, riderDays int, note string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO release (day, status, rho, rider_days, redrawn, note) VALUES ($1, 'refused', $2, $3, 0, $4)`,
		day, rho, riderDays, note)
	return err
}

// WithdrawRelease withdraws the current release of a day (its data is gone).
func (s *Store) WithdrawRelease(ctx context.Context, day time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE release SET status = 'withdrawn' WHERE day = $1 AND status = 'current'`, day); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM release_cells WHERE release_id IN (SELECT id FROM release WHERE day = $1)`, day); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM release_areas WHERE release_id IN (SELECT id FROM release WHERE day = $1)`, day); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "release")
	})
}

// Releases lists the release history, newest first.
func (s *Store) Releases(ctx context.Context, limit int) ([]ReleaseInfo, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, day, status, created_at, rho, rider_days, redrawn, build_ms, params, note
		FROM release ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	var out []ReleaseInfo
	var info ReleaseInfo
	_, err = pgx.ForEachRow(rows, []any{&info.ID, &info.Day, &info.Status, &info.CreatedAt, &info.Rho, &info.RiderDays,
		&info.Redrawn, &info.BuildMs, &info.Params, &info.Note}, func() error {
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	return out, nil
}
