package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// CoverageCell is one H3 cell's activity summed over a set of hours of week,
// with its centre. Riders is the number of distinct riders over the union
// of the hours' rider sets, never a sum.
type CoverageCell struct {
	Cell         int64
	Lng, Lat     float64
	Pings        int64
	RiderSeconds float64
	DwellSeconds float64
	Riders       int64
}

// hoursOrAll maps "no hours" to the whole-week rows (how = -1).
func hoursOrAll(hows []int16) []int16 {
	if len(hows) == 0 {
		return []int16{-1}
	}
	return hows
}

// CoverageCells returns every cell of resolution res with activity in the
// hours of week hows (nil: the whole week), with its centre.
func (s *Store) CoverageCells(ctx context.Context, res int, hows []int16) ([]CoverageCell, error) {
	if len(hows) > 0 { // one of the rolled-up hour sets: no merge (views.go)
		if cells, ok, err := s.viewCoverageCells(ctx, res, hows); err != nil || ok {
			return cells, err
		}
	}
	var rows pgx.Rows
	var err error
	if len(hows) == 0 {
		rows, err = s.Pool.Query(ctx, `SELECT h.cell, ST_X(c.center), ST_Y(c.center), h.pings, h.rider_seconds, h.dwell_seconds, h.riders
			FROM hex_activity h JOIN hex_cells c ON c.cell = h.cell
			WHERE h.res = $1 AND h.how = -1
			ORDER BY h.cell`, int16(res))
	} else {
		// Sums per cell, and distinct riders over the union of the hours'
		// rider sets in a second aggregation.
		rows, err = s.Pool.Query(ctx, `WITH a AS (
				SELECT cell, pings, rider_seconds, dwell_seconds, rider_keys FROM hex_activity WHERE res = $1 AND how = ANY($2::smallint[])),
			sums AS (SELECT cell, sum(pings)::bigint AS pings, sum(rider_seconds) AS rs, sum(dwell_seconds) AS ds FROM a GROUP BY cell),
			dist AS (SELECT a.cell, count(DISTINCT k)::bigint AS n FROM a CROSS JOIN LATERAL unnest(a.rider_keys) AS k GROUP BY a.cell)
			SELECT x.cell, ST_X(c.center), ST_Y(c.center), x.pings, x.rs, x.ds, coalesce(d.n, 0)
			FROM sums x JOIN hex_cells c ON c.cell = x.cell LEFT JOIN dist d ON d.cell = x.cell
			ORDER BY x.cell`, int16(res), hows)
	}
	if err != nil {
		return nil, fmt.Errorf("coverage cells: %w", err)
	}
	var out []CoverageCell
	var c CoverageCell
	var riders int64
	_, err = pgx.ForEachRow(rows, []any{&c.Cell, &c.Lng, &c.Lat, &c.Pings, &c.RiderSeconds, &c.DwellSeconds, &riders}, func() error {
		c.Riders = riders
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("coverage cells: %w", err)
	}
	return out, nil
}

// CellHour is one cell's activity in one hour of week.
type CellHour struct {
	Cell         int64
	How          int16
	RiderSeconds float64
	Riders       int64
}

// CellHours streams every (cell, hour of week) row of resolution res to fn.
func (s *Store) CellHours(ctx context.Context, res int, fn func(CellHour) error) error {
	return s.CellHoursOf(ctx, res, nil, fn)
}

// CellHoursOf streams the (cell, hour of week) rows of the given cells of
// resolution res to fn; nil cells means every cell.
func (s *Store) CellHoursOf(ctx context.Context, res int, cells []int64, fn func(CellHour) error) error {
	q, args := `SELECT cell, how, rider_seconds, riders FROM hex_activity WHERE res = $1 AND how >= 0`, []any{int16(res)}
	if cells != nil { // its own statement, so that a plan of the list uses the cell index
		q, args = q+` AND cell = ANY($2::bigint[])`, append(args, cells)
	}
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("cell hours: %w", err)
	}
	var h CellHour
	var riders int32
	_, err = pgx.ForEachRow(rows, []any{&h.Cell, &h.How, &h.RiderSeconds, &riders}, func() error {
		h.Riders = int64(riders)
		return fn(h)
	})
	return err
}

// DistinctRiders counts, for each group of cells, the distinct riders over
// the union of the rider sets of its cells in the hours hows (nil: whole
// week). cells[i] belongs to group groups[i]; the result maps group to count
// (groups without activity are absent). Exact: the sets are merged, never
// summed.
func (s *Store) DistinctRiders(ctx context.Context, res int, hows []int16, cells []int64, groups []int32) (map[int32]int64, error) {
	if len(cells) != len(groups) {
		return nil, fmt.Errorf("distinct riders: %d cells but %d groups", len(cells), len(groups))
	}
	out := map[int32]int64{}
	if len(cells) == 0 {
		return out, nil
	}
	if sets, ok, err := s.viewSets(ctx, res, hows); err != nil || ok { // the rollups' sets (views.go)
		if err != nil {
			return nil, fmt.Errorf("distinct riders: %w", err)
		}
		return distinctFromSets(sets, cells, groups), nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT g.grp, count(DISTINCT k)::bigint
		FROM unnest($1::bigint[], $2::int[]) AS g(cell, grp)
		JOIN hex_activity h ON h.res = $3 AND h.cell = g.cell AND h.how = ANY($4::smallint[])
		CROSS JOIN LATERAL unnest(h.rider_keys) AS k
		GROUP BY g.grp`, cells, groups, int16(res), hoursOrAll(hows))
	if err != nil {
		return nil, fmt.Errorf("distinct riders: %w", err)
	}
	var g int32
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&g, &n}, func() error { out[g] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("distinct riders: %w", err)
	}
	return out, nil
}

// CoverageSite is a site as coverage and siting see it.
type CoverageSite struct {
	ID       int64
	ExtID    string
	Kind     string
	Status   string
	Name     string
	Lng, Lat float64
	// OpeningHours as imported ("" = always open; model.ParseOpeningHours).
	OpeningHours string
}

// CoverageSites returns every site, ordered by id.
func (s *Store) CoverageSites(ctx context.Context) ([]CoverageSite, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, ext_id, kind, status, name, ST_X(geom), ST_Y(geom), opening_hours FROM sites ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sites: %w", err)
	}
	var out []CoverageSite
	var c CoverageSite
	_, err = pgx.ForEachRow(rows, []any{&c.ID, &c.ExtID, &c.Kind, &c.Status, &c.Name, &c.Lng, &c.Lat, &c.OpeningHours}, func() error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sites: %w", err)
	}
	return out, nil
}

// AreaRow is an administrative area with its bounding box.
type AreaRow struct {
	Code, Name, NameEn, Level, Parent string
	BBox                              [4]float64 // minLng, minLat, maxLng, maxLat
}

// AreaRows returns the areas of a level ("district", "street",
// "community"; "" for all), ordered by code.
func (s *Store) AreaRows(ctx context.Context, level string) ([]AreaRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, name, name_en, level, coalesce(parent_code, ''),
			ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
		FROM admin_areas WHERE $1 = '' OR level = $1 ORDER BY code`, level)
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	var out []AreaRow
	var a AreaRow
	_, err = pgx.ForEachRow(rows, []any{&a.Code, &a.Name, &a.NameEn, &a.Level, &a.Parent, &a.BBox[0], &a.BBox[1], &a.BBox[2], &a.BBox[3]}, func() error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	return out, nil
}

// CellArea says which area of a level a cell's centre lies in.
type CellArea struct {
	Cell  int64
	Level string
	Code  string
}

// CellAreas returns, for every cell of resolution res, the area of each
// level whose polygon contains the cell's centre (a point-in-polygon join
// on the GiST indexes of hex_cells.center and admin_areas.geom). A centre on
// a shared border goes to the area with the lowest code.
func (s *Store) CellAreas(ctx context.Context, res int) ([]CellArea, error) {
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (c.cell, a.level) c.cell, a.level, a.code
		FROM hex_cells c JOIN admin_areas a ON ST_Intersects(a.geom, c.center)
		WHERE c.res = $1
		ORDER BY c.cell, a.level, a.code`, int16(res))
	out, err := collectCellAreas(rows, err)
	if err != nil {
		return nil, fmt.Errorf("cell areas: %w", err)
	}
	return out, nil
}

// collectCellAreas reads (cell, level, code) rows of a query.
func collectCellAreas(rows pgx.Rows, err error) ([]CellArea, error) {
	if err != nil {
		return nil, err
	}
	var out []CellArea
	var c CellArea
	_, err = pgx.ForEachRow(rows, []any{&c.Cell, &c.Level, &c.Code}, func() error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// CellUnion is the dissolved outline of a group of cells.
type CellUnion struct {
	Geometry orb.Geometry // Polygon or MultiPolygon
	AreaKm2  float64      // on the spheroid
}

// DissolveCells unions the boundaries of each group of cells in PostGIS
// (cells[i] belongs to groups[i]) and returns each group's outline and area.
func (s *Store) DissolveCells(ctx context.Context, cells []int64, groups []int32) (map[int32]CellUnion, error) {
	if len(cells) != len(groups) {
		return nil, fmt.Errorf("dissolve cells: %d cells but %d groups", len(cells), len(groups))
	}
	out := map[int32]CellUnion{}
	if len(cells) == 0 {
		return out, nil
	}
	// Snapping to ~1 cm first makes the shared edges of neighbouring
	// hexagons identical, so the union leaves no slivers.
	rows, err := s.Pool.Query(ctx, `SELECT grp, ST_AsBinary(u), ST_Area(u::geography) / 1e6 FROM (
			SELECT g.grp, ST_Union(ST_SnapToGrid(c.boundary, 1e-7)) AS u
			FROM unnest($1::bigint[], $2::int[]) AS g(cell, grp) JOIN hex_cells c ON c.cell = g.cell
			GROUP BY g.grp) x`, cells, groups)
	if err != nil {
		return nil, fmt.Errorf("dissolve cells: %w", err)
	}
	var g int32
	var b []byte
	var area float64
	_, err = pgx.ForEachRow(rows, []any{&g, &b, &area}, func() error {
		geom, err := wkb.Unmarshal(b)
		if err != nil {
			return err
		}
		out[g] = CellUnion{Geometry: geom, AreaKm2: area}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dissolve cells: %w", err)
	}
	return out, nil
}

// CoverageVersion is the combined data version of everything coverage
// depends on (activity, sites, areas): it changes whenever any of them does.
func (s *Store) CoverageVersion(ctx context.Context) (string, error) {
	var a, b, c int64
	err := s.Pool.QueryRow(ctx, `SELECT
		coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0),
		coalesce((SELECT version FROM data_versions WHERE layer = 'sites'), 0),
		coalesce((SELECT version FROM data_versions WHERE layer = 'areas'), 0)`).Scan(&a, &b, &c)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	return fmt.Sprintf("a%d.s%d.r%d", a, b, c), nil
}

// AreasAt returns, for each point, the code, name and English name of the
// area of a level containing it ("" codes where none does).
func (s *Store) AreasAt(ctx context.Context, level string, points []orb.Point) ([]AreaRow, error) {
	out := make([]AreaRow, len(points))
	if len(points) == 0 {
		return out, nil
	}
	xs, ys := make([]float64, len(points)), make([]float64, len(points))
	for i, p := range points {
		xs[i], ys[i] = p.Lon(), p.Lat()
	}
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (p.i) p.i, a.code, a.name, a.name_en, coalesce(a.parent_code, '')
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i)
		JOIN admin_areas a ON a.level = $3 AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
		ORDER BY p.i, a.code`, xs, ys, level)
	if err != nil {
		return nil, fmt.Errorf("areas at: %w", err)
	}
	var i int64
	var a AreaRow
	_, err = pgx.ForEachRow(rows, []any{&i, &a.Code, &a.Name, &a.NameEn, &a.Parent}, func() error {
		a.Level = level
		out[i-1] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("areas at: %w", err)
	}
	return out, nil
}

// DatesByWeekday counts the local dates with any activity (rider_days) per
// ISO weekday: out[1] Mondays .. out[7] Sundays (out[0] unused).
func (s *Store) DatesByWeekday(ctx context.Context) ([8]int, error) {
	var out [8]int
	rows, err := s.Pool.Query(ctx, `SELECT extract(isodow FROM day)::int, count(DISTINCT day)::int FROM rider_days GROUP BY 1`)
	if err != nil {
		return out, fmt.Errorf("dates by weekday: %w", err)
	}
	var dow, n int
	_, err = pgx.ForEachRow(rows, []any{&dow, &n}, func() error {
		if dow >= 1 && dow <= 7 {
			out[dow] = n
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("dates by weekday: %w", err)
	}
	return out, nil
}

// DistinctRidersIn counts the distinct riders over every cell of
// resolution res in the hours hows (nil: whole week): the riders a view of
// the whole data holds, merged from the rider sets, never summed.
func (s *Store) DistinctRidersIn(ctx context.Context, res int, hows []int16) (int64, error) {
	if sets, ok, err := s.viewSets(ctx, res, hows); err != nil || ok { // the rollups' sets (views.go)
		if err != nil {
			return 0, fmt.Errorf("distinct riders: %w", err)
		}
		return distinctAll(sets), nil
	}
	var n int64
	err := s.Pool.QueryRow(ctx, `SELECT count(DISTINCT k)::bigint FROM hex_activity h CROSS JOIN LATERAL unnest(h.rider_keys) AS k
		WHERE h.res = $1 AND h.how = ANY($2::smallint[])`, int16(res), hoursOrAll(hows)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("distinct riders: %w", err)
	}
	return n, nil
}
