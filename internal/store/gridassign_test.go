package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// A hand-made rider with two periods: cell a (centre inside grid G) and b
// (outside). Period 1: a 0.5, b 0.5; period 2: a 1.0 → stability 1 − ½·1 = 0.5.
func TestGridEvidenceAndDecisions(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	a, err := geo.CellAt(121.405, 31.205, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, err := geo.CellAt(121.50, 31.30, 9)
	if err != nil {
		t.Fatal(err)
	}
	pid := "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO grids (code, name, target, street_code, geom) VALUES ('G', 'grid G', 2, 'S',
			ST_Multi(ST_MakeEnvelope(121.40, 31.20, 121.41, 31.21, 4326)))`, nil},
		{`INSERT INTO riders (id, pid, first_seen, last_seen) VALUES (7, $1, now(), now())`, []any{pid}},
		{`INSERT INTO rider_ranges (rider, period, from_ts, to_ts, days, pings, active_seconds, dwell_seconds, centroid, gyration_m, p90_m)
			VALUES (7, 'p1', '2026-11-02', '2026-11-02 20:00', 1, 10, 1000, 100, ST_SetSRID(ST_MakePoint(121.405, 31.205), 4326), 1, 1),
			       (7, 'p2', '2026-11-03', '2026-11-03 20:00', 1, 10, 3000, 300, ST_SetSRID(ST_MakePoint(121.405, 31.205), 4326), 1, 1)`, nil},
		{`UPDATE rider_ranges r SET cells = c.cells, cell_share = c.share, cell_seconds = c.seconds, cell_dwell_seconds = c.dwell, cell_days = c.days
			FROM (SELECT period, array_agg(cell ORDER BY cell) AS cells, array_agg(share ORDER BY cell) AS share,
					array_agg(seconds ORDER BY cell) AS seconds, array_agg(dwell ORDER BY cell) AS dwell, array_agg(days ORDER BY cell) AS days
				FROM (VALUES ('p1', $1::bigint, 0.5::float8, 500::float8, 40::float8, 1), ('p1', $2, 0.5, 500, 60, 1),
					('p2', $1, 1.0, 3000, 300, 1)) AS v(period, cell, share, seconds, dwell, days) GROUP BY period) c
			WHERE r.rider = 7 AND r.period = c.period`, []any{int64(a), int64(b)}},
		{`INSERT INTO rider_days (rider, day, pings) VALUES (7, '2026-11-02', 10), (7, '2026-11-03', 10)`, nil},
	} {
		if _, err := st.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	// The cells' centres, as an import writes them with its ranges.
	if ev, err := st.GridEvidence(ctx, []string{"G"}, 9); err != nil || len(ev) != 0 {
		t.Fatalf("without cell centres: %v %v, want nothing", ev, err)
	}
	insertCells(t, st, a, b)
	ev, err := st.GridEvidence(ctx, []string{"G"}, 9)
	if err != nil || len(ev) != 1 {
		t.Fatalf("GridEvidence = %v, %v", ev, err)
	}
	e := ev[0]
	if e.Rider != 7 || e.PID != pid || e.Seconds != 3500 || e.DwellSeconds != 340 || e.Days != 2 || e.ActiveSeconds != 4000 ||
		e.TotalDwell != 400 || e.Periods != 2 || math.Abs(e.Stability-0.5) > 1e-12 {
		t.Errorf("evidence %+v, want 3500 s, 340 s dwell, 2 days of 4000 s / 400 s, 2 periods, stability 0.5", e)
	}
	if b, err := st.EvidenceBasis(ctx); err != nil || b.DaysTotal != 2 || b.Periods != 2 {
		t.Errorf("basis %+v %v", b, err)
	}

	sp, err := st.Propose(ctx, store.ProposeParams{Grids: []string{"G"}, Actor: "tester"},
		func(s store.AssignState) ([]store.NewAssignment, error) {
			return []store.NewAssignment{{Grid: "G", Rider: 7, Score: 42}}, nil
		}, func(sp store.SavedProposal) (any, error) { return map[string]int{"n": len(sp.Rows)}, nil })
	if err != nil || sp.ID == 0 || len(sp.Rows) != 1 || sp.Rows[0].Status != "proposed" || sp.Rows[0].ProposalID != sp.ID {
		t.Fatalf("Propose = %+v, %v", sp, err)
	}
	id := sp.Rows[0].ID
	row, err := st.DecideAssignment(ctx, id, "declined", "mgr")
	if err != nil || row.Status != "declined" || row.DecidedBy != "mgr" || row.DecidedAt == nil {
		t.Fatalf("decline = %+v, %v", row, err)
	}
	if _, err := st.DecideAssignment(ctx, id, "accepted", "mgr"); !errors.Is(err, store.ErrNotProposed) {
		t.Errorf("accept after decline: %v, want ErrNotProposed", err)
	}
	if _, err := st.DecideAssignment(ctx, id+100, "accepted", "mgr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("accept unknown: %v, want ErrNotFound", err)
	}
	rec, err := st.Proposal(ctx, sp.ID)
	if err != nil || string(rec.Detail) != `{"n": 1}` || len(rec.Rows) != 1 || rec.Actor != "tester" {
		t.Errorf("Proposal = %+v (%s), %v", rec, rec.Detail, err)
	}
	var declined int
	_, err = st.Propose(ctx, store.ProposeParams{Grids: []string{"G"}, Actor: "tester", DryRun: true},
		func(s store.AssignState) ([]store.NewAssignment, error) {
			declined = len(s.Declined)
			return nil, nil
		}, func(store.SavedProposal) (any, error) { return nil, nil })
	if err != nil || declined != 1 {
		t.Errorf("dry run: %v, declined pairs %d, want 1", err, declined)
	}
	var audits int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('assign.propose', 'assign.decline')`).Scan(&audits); err != nil || audits != 2 {
		t.Errorf("audit rows %d (%v), want 2 (the dry run leaves none)", audits, err)
	}
}

// Stability computed in Go equals the SQL it replaced (the mean over
// consecutive periods of 1 − ½·Σ|a−b|, clamped), for riders with 2–6
// periods of overlapping, differing cells.
func TestGridEvidenceStabilityMatchesSQL(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	r := rand.New(rand.NewPCG(5, 9))
	var cells []int64
	for range 200 {
		c, err := geo.CellAt(121.40+r.Float64()*0.01, 31.20+r.Float64()*0.01, 9)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cells, int64(c)) {
			cells = append(cells, int64(c))
		}
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO grids (code, name, target, street_code, geom) VALUES ('G', 'grid G', 2, 'S',
		ST_Multi(ST_MakeEnvelope(121.40, 31.20, 121.41, 31.21, 4326)))`); err != nil {
		t.Fatal(err)
	}
	for rider := int64(1); rider <= 30; rider++ {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO riders (id, pid, first_seen, last_seen) VALUES ($1, $2, now(), now())`,
			rider, fmt.Sprintf("%064x", rider)); err != nil {
			t.Fatal(err)
		}
		for p := range 2 + r.IntN(5) {
			var cs []int64
			for _, c := range cells {
				if r.IntN(3) > 0 {
					cs = append(cs, c)
				}
			}
			if len(cs) == 0 {
				cs = cells[:1]
			}
			slices.Sort(cs)
			share, secs, days := make([]float64, len(cs)), make([]float64, len(cs)), make([]int32, len(cs))
			total := 0.0
			for i := range share {
				share[i] = r.Float64()
				total += share[i]
			}
			for i := range share {
				share[i] /= total
				secs[i], days[i] = share[i]*3600, 1
			}
			// Periods start out of order of their names, so the order is by start.
			from := time.Date(2026, 11, 2+(p*7)%11, 0, 0, 0, 0, time.UTC)
			if _, err := st.Pool.Exec(ctx, `INSERT INTO rider_ranges (rider, period, from_ts, to_ts, days, pings, active_seconds, dwell_seconds,
				centroid, gyration_m, p90_m, cells, cell_share, cell_seconds, cell_dwell_seconds, cell_days)
				VALUES ($1, $2, $3, $3::timestamptz + interval '20 hours', 1, 10, 3600, 0, ST_SetSRID(ST_MakePoint(121.405, 31.205), 4326), 1, 1,
					$4, $5, $6, $6, $7)`, rider, fmt.Sprintf("p%d", p), from, cs, share, secs, days); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range cells {
		insertCells(t, st, geo.Cell(c))
	}
	rows, err := st.Pool.Query(ctx, `WITH seq AS (SELECT rr.rider, rr.cells, rr.cell_share, m.m, lead(rr.cells) OVER w AS ncells,
			lead(rr.cell_share) OVER w AS nshare, lead(m.m) OVER w AS nm
		FROM rider_ranges rr CROSS JOIN LATERAL (SELECT sum(x) AS m FROM unnest(rr.cell_share) AS x) m
		WINDOW w AS (PARTITION BY rr.rider ORDER BY rr.from_ts, rr.period))
		SELECT q.rider, avg(greatest(0, least(1, 1 - 0.5 * (q.m + q.nm)
			+ (SELECT coalesce(sum(least(a.share, b.share) ORDER BY a.cell), 0)
				FROM unnest(q.cells, q.cell_share) AS a(cell, share)
				JOIN unnest(q.ncells, q.nshare) AS b(cell, share) ON b.cell = a.cell))))
		FROM seq q WHERE q.ncells IS NOT NULL GROUP BY q.rider`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]float64{}
	var k int64
	var v float64
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { want[k] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	ev, err := st.GridEvidence(ctx, []string{"G"}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 30 || len(want) != 30 {
		t.Fatalf("%d riders in evidence, %d by SQL; want 30", len(ev), len(want))
	}
	for _, e := range ev {
		if math.Abs(e.Stability-want[e.Rider]) > 1e-12 || e.Stability <= 0 {
			t.Errorf("rider %d: stability %v, SQL %v", e.Rider, e.Stability, want[e.Rider])
		}
	}
}

// insertCells writes the centres and boundaries of cells into hex_cells,
// as an import does for the cells of its aggregates and ranges.
func insertCells(t *testing.T, st *store.Store, cells ...geo.Cell) {
	t.Helper()
	for _, c := range cells {
		ctr := geo.CellCenter(c)
		ring := geo.CellPolygon(c)[0]
		coords := make([]string, len(ring))
		for i, p := range ring {
			coords[i] = fmt.Sprintf("%.12f %.12f", p[0], p[1])
		}
		if _, err := st.Pool.Exec(context.Background(), `INSERT INTO hex_cells (cell, res, parent7, center, boundary)
			VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), ST_GeomFromText($6, 4326)) ON CONFLICT (cell) DO NOTHING`,
			int64(c), c.Resolution(), int64(geo.CellParent(c, 7)), ctr[0], ctr[1], "POLYGON(("+strings.Join(coords, ",")+"))"); err != nil {
			t.Fatal(err)
		}
	}
}

// An import writes the centres of its ranges' cells with the ranges, even
// of a resolution it does not aggregate at, so GridEvidence's cell-in-grid
// join sees every range cell without a search at request time.
func TestImportWritesRangeCells(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	c6, err := geo.CellAt(121.405, 31.205, 6)
	if err != nil {
		t.Fatal(err)
	}
	load, _, err := st.BeginPings(ctx, "r.csv", "sha-r", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	d := store.Derived{
		Riders: []store.RiderSeen{{Key: 7, PID: fmt.Sprintf("%064x", 7), First: at, Last: at.Add(time.Hour)}},
		Result: &activity.Result{Ranges: []activity.Range{{RiderKey: 7, From: at, To: at.Add(time.Hour), Days: 1, Pings: 2,
			ActiveSeconds: 3600, Centroid: geo.CellCenter(c6), Cells: []activity.RangeCell{{Cell: int64(c6), Share: 1, Seconds: 3600}}}}},
	}
	if err := load.Commit(ctx, d, 2, 0); err != nil {
		t.Fatal(err)
	}
	var res int
	var inside bool
	if err := st.Pool.QueryRow(ctx, `SELECT res, ST_Within(center, boundary) FROM hex_cells WHERE cell = $1`, int64(c6)).Scan(&res, &inside); err != nil {
		t.Fatalf("range cell %s not in hex_cells: %v", c6, err)
	}
	if res != 6 || !inside {
		t.Errorf("range cell %s: res %d, centre inside %v", c6, res, inside)
	}
}
