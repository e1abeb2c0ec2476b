package gridassign_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/gridassign"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// mux mounts the routes with the real error mapping (httpkit); the server
// adds authentication, which do replaces with a viewer in the context.
func mux(routes []httpkit.Route) http.Handler {
	m := http.NewServeMux()
	for _, rt := range routes {
		m.Handle(rt.Pattern, httpkit.Handler(rt.Handler, nil))
	}
	return m
}

func do(t *testing.T, h http.Handler, method, url, actor, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	if actor == "" {
		actor = "anonymous"
	}
	// The server authenticates; here the viewer is an admin named actor,
	// or a role given as "role:name[:scope]".
	v := model.Viewer{Role: model.RoleAdmin, Name: actor}
	if parts := strings.SplitN(actor, ":", 3); len(parts) >= 2 {
		v = model.Viewer{Role: parts[0], Name: parts[1]}
		if len(parts) == 3 {
			v.Scope = []string{parts[2]}
		}
	}
	req = req.WithContext(httpkit.WithViewer(req.Context(), v))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// gridPolygon reads a grid's geometry.
func gridPolygon(t *testing.T, st *store.Store, code string) orb.MultiPolygon {
	t.Helper()
	var b []byte
	if err := st.Pool.QueryRow(context.Background(), `SELECT ST_AsBinary(geom) FROM grids WHERE code = $1`, code).Scan(&b); err != nil {
		t.Fatal(err)
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return g.(orb.MultiPolygon)
}

// expected recomputes one rider's evidence in one grid independently: cell
// centres with h3 in Go, point in polygon with orb/planar, days of data from
// the raw pings.
type expected struct {
	ev      gridassign.Evidence
	periods int
}

func recompute(t *testing.T, st *store.Store, code, short string) expected {
	t.Helper()
	ctx := context.Background()
	poly := gridPolygon(t, st, code)
	var rider int64
	if err := st.Pool.QueryRow(ctx, `SELECT id FROM riders WHERE pid LIKE $1 || '%'`, short).Scan(&rider); err != nil {
		t.Fatal(err)
	}
	var daysTotal int
	if err := st.Pool.QueryRow(ctx, `SELECT count(DISTINCT (ts AT TIME ZONE 'UTC' + interval '8 hours')::date) FROM pings`).Scan(&daysTotal); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Pool.Query(ctx, `SELECT period, active_seconds, dwell_seconds FROM rider_ranges WHERE rider = $1 ORDER BY from_ts, period`, rider)
	if err != nil {
		t.Fatal(err)
	}
	var periods []string
	var active, dwell float64
	for rows.Next() {
		var p string
		var a, d float64
		if err := rows.Scan(&p, &a, &d); err != nil {
			t.Fatal(err)
		}
		periods = append(periods, p)
		active += a
		dwell += d
	}
	rows.Close()
	shares := map[string]map[int64]float64{}
	maxDays := map[string]int{}
	var in, inDwell float64
	rows, err = st.Pool.Query(ctx, `SELECT period, u.* FROM rider_ranges,
		unnest(cells, cell_share, cell_seconds, cell_dwell_seconds, cell_days) AS u WHERE rider = $1`, rider)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		var cell int64
		var share, sec, dw float64
		var days int
		if err := rows.Scan(&p, &cell, &share, &sec, &dw, &days); err != nil {
			t.Fatal(err)
		}
		if shares[p] == nil {
			shares[p] = map[int64]float64{}
		}
		shares[p][cell] = share
		if planar.MultiPolygonContains(poly, geo.CellCenter(geo.Cell(cell))) {
			in += sec
			inDwell += dw
			maxDays[p] = max(maxDays[p], days)
		}
	}
	rows.Close()
	days := 0
	for _, d := range maxDays {
		days += d
	}
	stab := 0.0
	for i := 1; i < len(periods); i++ {
		a, b := shares[periods[i-1]], shares[periods[i]]
		l1 := 0.0
		for c, x := range a {
			l1 += math.Abs(x - b[c])
		}
		for c, y := range b {
			if _, ok := a[c]; !ok {
				l1 += y
			}
		}
		stab += 1 - l1/2
	}
	if len(periods) > 1 {
		stab /= float64(len(periods) - 1)
	}
	e := gridassign.Evidence{Rider: short, TimeShare: in / active, DaysActive: min(days, daysTotal), DaysTotal: daysTotal, Stability: stab}
	if dwell > 0 {
		e.DwellShare = inDwell / dwell
	}
	return expected{e, len(periods)}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

// hasTimeInside checks independently that the rider has range time in a
// cell whose centre is inside the grid polygon, and counts his raw pings
// inside it (PostGIS ST_Contains on pings_geom).
func hasTimeInside(t *testing.T, st *store.Store, code, short string) (cells bool, pings int) {
	t.Helper()
	ctx := context.Background()
	poly := gridPolygon(t, st, code)
	rows, err := st.Pool.Query(ctx, `SELECT c.cell FROM rider_ranges g JOIN riders r ON r.id = g.rider,
		unnest(g.cells, g.cell_seconds) AS c(cell, seconds) WHERE r.pid LIKE $1 || '%' AND c.seconds > 0`, short)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		if planar.MultiPolygonContains(poly, geo.CellCenter(geo.Cell(c))) {
			cells = true
		}
	}
	rows.Close()
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM pings_geom p JOIN riders r ON r.id = p.rider JOIN grids g ON g.code = $2
		WHERE r.pid LIKE $1 || '%' AND ST_Contains(g.geom, p.geom)`, short, code).Scan(&pings); err != nil {
		t.Fatal(err)
	}
	return cells, pings
}

func TestDemoCityAssignment(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo city")
	}
	ctx := context.Background()
	st, _ := demotest.LoadDemoByDay(t, demo.Params{Seed: 1, Riders: 300, Days: 2, CourierShare: 0.5})
	svc := gridassign.NewService(st, gridassign.ServiceOptions{})
	h := mux(gridassign.Routes(svc))

	grids, err := svc.SearchGrids(ctx, "", gridassign.MaxLimit)
	if err != nil || len(grids) == 0 {
		t.Fatalf("grids: %v (%d)", err, len(grids))
	}

	t.Run("ranking", func(t *testing.T) {
		best, bestN := "", 0
		for _, g := range grids[:min(40, len(grids))] {
			l, err := svc.Candidates(ctx, g.Code, gridassign.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			if l.Total > bestN {
				best, bestN = g.Code, l.Total
			}
		}
		code, body := do(t, h, "GET", "/api/grids/"+best+"/candidates?limit=200", "", "")
		if code != 200 {
			t.Fatalf("candidates: %d %s", code, body)
		}
		var l gridassign.CandidateList
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		if l.Basis.Periods < 2 || l.Basis.Weights.Stability == 0 {
			t.Fatalf("basis %+v: want ≥ 2 periods and stability weighted (pings were imported per day)", l.Basis)
		}
		w := gridassign.Weights{Time: l.Basis.Weights.Time, Days: l.Basis.Weights.Days, Dwell: l.Basis.Weights.Dwell, Stability: l.Basis.Weights.Stability}
		if w != gridassign.DefaultWeights() {
			t.Errorf("weights %+v, want the defaults", w)
		}
		t.Logf("grid %s: %d candidates, days %d, periods %d", best, l.Total, l.Basis.DaysTotal, l.Basis.Periods)
		for i, c := range l.Candidates {
			// Shown figures are rounded (shares to 1%, stability to
			// 0.01), so the score from them is within 0.5 points.
			e := gridassign.Evidence{Rider: c.Rider, TimeShare: c.TimeShare, DaysActive: c.DaysActive, DaysTotal: c.DaysTotal, DwellShare: c.DwellShare, Stability: c.Stability}
			if got, want := c.Score, gridassign.Score(e, w); math.Abs(got-want) > 0.5 || got != math.Round(got*10)/10 {
				t.Errorf("%s: score %v, want Score(shown evidence) = %v to within rounding, and rounded to 0.1", c.Rider, got, want)
			}
			if c.Rank != i+1 || i > 0 && c.Score > l.Candidates[i-1].Score {
				t.Errorf("rank %d (%s, %.3f) out of order", c.Rank, c.Rider, c.Score)
			}
			if len(c.Rider) != store.ShortPIDLen || c.Explanation.Zh == "" || !strings.Contains(c.Explanation.En, "of active time") {
				t.Errorf("candidate %+v: want a 12-character pseudonym and explanations", c)
			}
		}
		// Independent recomputation for the top, a middle and the last rider.
		for _, i := range []int{0, len(l.Candidates) / 2, len(l.Candidates) - 1} {
			c := l.Candidates[i]
			x := recompute(t, st, best, c.Rider)
			if !near(c.TimeShare, math.Round(100*x.ev.TimeShare)/100) || c.DaysActive != x.ev.DaysActive || c.DaysTotal != x.ev.DaysTotal ||
				!near(c.DwellShare, math.Round(100*x.ev.DwellShare)/100) || math.Abs(c.Stability-x.ev.Stability) > 0.005 || c.Periods != x.periods {
				t.Errorf("%s: evidence %+v, independent recomputation %+v (%d periods)", c.Rider, c, x.ev, x.periods)
			}
		}
		if code, body := do(t, h, "GET", "/api/grids/NO-SUCH-GRID/candidates", "", ""); code != 404 || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("unknown grid: %d %s, want 404 JSON", code, body)
		}
		for _, q := range []string{"limit=0", "limit=201", "limit=x"} {
			if code, _ := do(t, h, "GET", "/api/grids/"+best+"/candidates?"+q, "", ""); code != 400 {
				t.Errorf("%s: %d, want 400", q, code)
			}
		}
	})

	// First proposal over the whole city.
	code, body := do(t, h, "POST", "/api/assignments", "manager-wang", `{"all": true}`)
	if code != 201 {
		t.Fatalf("propose: %d %s", code, body)
	}
	var p1 gridassign.ProposalResult
	if err := json.Unmarshal(body, &p1); err != nil {
		t.Fatal(err)
	}
	if p1.ProposalID == 0 || p1.Proposed == 0 {
		t.Fatalf("proposal %d with %d proposals", p1.ProposalID, p1.Proposed)
	}
	t.Logf("proposal %d: %d grids, %d proposed, %d shortfalls, total %.1f", p1.ProposalID, len(p1.Grids), p1.Proposed, p1.Shortfalls, p1.TotalScore)

	perRider := map[string]int{}
	checkProposal := func(t *testing.T, p gridassign.ProposalResult, maxGrids int) {
		t.Helper()
		clear(perRider)
		outside, checked := 0, 0
		for _, g := range p.Grids {
			if n := len(g.Kept) + len(g.Proposals); n > g.Grid.Target {
				t.Errorf("grid %s: %d kept + %d proposed > target %d", g.Grid.Code, len(g.Kept), len(g.Proposals), g.Grid.Target)
			}
			if g.Shortfall == nil && len(g.Kept)+len(g.Proposals) < g.Grid.Target {
				t.Errorf("grid %s short without a shortfall", g.Grid.Code)
			}
			for _, m := range g.Kept {
				perRider[m.Rider]++
			}
			for _, a := range g.Proposals {
				perRider[a.Rider]++
				if a.Evidence.TimeShare < 0.1 || a.Score <= 0 || math.Abs(a.Evidence.Score-a.Score) > 0.05 {
					t.Errorf("grid %s rider %s: evidence %+v score %v", g.Grid.Code, a.Rider, a.Evidence, a.Score)
				}
				checked++
				if checked > 60 { // enough for the test, and fast
					continue
				}
				cells, pings := hasTimeInside(t, st, g.Grid.Code, a.Rider)
				if !cells {
					t.Errorf("grid %s: proposed rider %s has no range cell with its centre inside the grid", g.Grid.Code, a.Rider)
				}
				if pings == 0 {
					outside++
				}
			}
		}
		// A res-9 cell can straddle the border: its centre inside, the
		// rider's pings in it just outside. That must stay rare.
		if n := min(checked, 60); outside*20 > n {
			t.Errorf("%d of %d proposed riders checked have no ping inside their grid polygon", outside, n)
		}
		for r, n := range perRider {
			if n > maxGrids {
				t.Errorf("rider %s serves %d grids, max %d", r, n, maxGrids)
			}
		}
	}
	t.Run("proposal limits", func(t *testing.T) { checkProposal(t, p1, 1) })

	// The manager accepts the best and declines the second of some grids.
	accepted := map[[2]string]int64{}
	declined := map[[2]string]bool{}
	undecided := map[int64]bool{}
	for _, g := range p1.Grids {
		for i, a := range g.Proposals {
			switch {
			case i == 0:
				if code, body := do(t, h, "POST", fmt.Sprintf("/api/assignments/%d/accept", a.ID), "manager-li", ""); code != 200 {
					t.Fatalf("accept: %d %s", code, body)
				}
				accepted[[2]string{g.Grid.Code, a.Rider}] = a.ID
			case i == 1 && len(declined) < 5:
				if code, body := do(t, h, "POST", fmt.Sprintf("/api/assignments/%d/decline", a.ID), "manager-li", ""); code != 200 {
					t.Fatalf("decline: %d %s", code, body)
				}
				declined[[2]string{g.Grid.Code, a.Rider}] = true
			default:
				undecided[a.ID] = true
			}
		}
	}
	if len(accepted) == 0 || len(declined) == 0 {
		t.Fatalf("accepted %d, declined %d: the demo city should allow both", len(accepted), len(declined))
	}

	t.Run("decisions", func(t *testing.T) {
		var id int64
		for _, v := range accepted {
			id = v
			break
		}
		for _, path := range []string{"accept", "decline"} {
			if code, body := do(t, h, "POST", fmt.Sprintf("/api/assignments/%d/%s", id, path), "x", ""); code != 409 {
				t.Errorf("%s of an accepted row: %d %s, want 409", path, code, body)
			}
		}
		if code, _ := do(t, h, "POST", "/api/assignments/999999999/accept", "x", ""); code != 404 {
			t.Errorf("accept unknown: %d, want 404", code)
		}
		if code, _ := do(t, h, "POST", "/api/assignments/abc/accept", "x", ""); code != 400 {
			t.Errorf("accept bad id: %d, want 400", code)
		}
		code, body := do(t, h, "GET", fmt.Sprintf("/api/assignments/%d", p1.ProposalID), "", "")
		if code != 200 {
			t.Fatalf("get proposal: %d %s", code, body)
		}
		var pv gridassign.ProposalView
		if err := json.Unmarshal(body, &pv); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, g := range pv.Grids {
			for _, a := range g.Proposals {
				k := [2]string{g.Grid.Code, a.Rider}
				want := "proposed"
				if accepted[k] != 0 {
					want = "accepted"
				} else if declined[k] {
					want = "declined"
				}
				if a.Status != want || a.Evidence.Explanation.En == "" {
					t.Errorf("proposal row %s/%s: status %q, want %q", k[0], k[1], a.Status, want)
				}
				n++
			}
		}
		if n != p1.Proposed || len(pv.Rows) != p1.Proposed {
			t.Errorf("saved proposal has %d (%d rows), want %d", n, len(pv.Rows), p1.Proposed)
		}
		if code, _ := do(t, h, "GET", "/api/assignments/999999999", "", ""); code != 404 {
			t.Errorf("unknown proposal: %d, want 404", code)
		}
	})

	t.Run("roster", func(t *testing.T) {
		var street string
		want := map[[2]string]bool{}
		for k := range accepted {
			want[k] = true
		}
		got := map[[2]string]bool{}
		for _, g := range p1.Grids {
			street = g.Grid.StreetCode
			code, body := do(t, h, "GET", "/api/grids/"+g.Grid.Code+"/roster.csv", "", "")
			if code != 200 {
				t.Fatalf("roster.csv: %d %s", code, body)
			}
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(recs[0], gridassign.RosterCSVHeader) {
				t.Fatalf("header %v", recs[0])
			}
			for _, r := range recs[1:] {
				k := [2]string{r[0], r[2]}
				got[k] = true
				if r[5] != "admin:manager-li" || r[4] == "" || r[3] == "" {
					t.Errorf("roster row %v: want accepted_by admin:manager-li, accepted_at and score", r)
				}
			}
			code, body = do(t, h, "GET", "/api/grids/"+g.Grid.Code+"/roster.geojson", "", "")
			if code != 200 {
				t.Fatalf("roster.geojson: %d %s", code, body)
			}
			var fc struct {
				Type     string
				Features []struct {
					Geometry   *struct{ Type string }
					Properties struct{ Grid, Rider string }
				}
			}
			if err := json.Unmarshal(body, &fc); err != nil {
				t.Fatal(err)
			}
			if fc.Type != "FeatureCollection" || len(fc.Features) != len(recs)-1 {
				t.Errorf("grid %s: geojson %d features, csv %d rows", g.Grid.Code, len(fc.Features), len(recs)-1)
			}
			for _, f := range fc.Features {
				if f.Geometry == nil || f.Geometry.Type != "Polygon" && f.Geometry.Type != "Point" && f.Geometry.Type != "LineString" || !want[[2]string{f.Properties.Grid, f.Properties.Rider}] {
					t.Errorf("geojson feature %+v", f)
				}
			}
		}
		if len(got) != len(want) {
			t.Errorf("roster has %d members, accepted %d", len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Errorf("accepted %v missing from the roster", k)
			}
		}
		code, body := do(t, h, "GET", "/api/roster.csv?street="+street, "", "")
		if code != 200 || !bytes.HasPrefix(body, []byte("grid_code,")) {
			t.Errorf("street roster: %d %s", code, body)
		}
		if code, _ := do(t, h, "GET", "/api/roster.csv", "", ""); code != 400 {
			t.Errorf("street roster without street: %d, want 400", code)
		}
	})

	t.Run("grid manager sees only his grids", func(t *testing.T) {
		var grid, rider string
		for k := range accepted {
			if grid == "" || k[0] < grid {
				grid, rider = k[0], k[1]
			}
		}
		g, err := svc.Grid(ctx, grid)
		if err != nil {
			t.Fatal(err)
		}
		mgr := "grid_manager:mgr:street:" + g.StreetCode
		// Candidates: bands, hours and days in the grid; no exact share,
		// score or stability; the accepted member marked.
		code, body := do(t, h, "GET", "/api/grids/"+grid+"/candidates?limit=200", mgr, "")
		if code != 200 {
			t.Fatalf("manager candidates: %d %s", code, body)
		}
		var raw struct{ Candidates []map[string]any }
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		for _, c := range raw.Candidates {
			for _, key := range []string{"score", "time_share", "dwell_share", "stability"} {
				if _, ok := c[key]; ok {
					t.Errorf("manager candidate carries %s: %v", key, c)
				}
			}
		}
		var ml gridassign.ManagerCandidateList
		if err := json.Unmarshal(body, &ml); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range ml.Candidates {
			if c.TimeShareBand == "" || !strings.Contains(c.Explanation.Zh, c.TimeShareBand) || strings.Contains(c.Explanation.Zh, "得分") {
				t.Errorf("manager candidate %+v: want a band, explained, without a score", c)
			}
			if c.Rider == rider {
				found = c.Decision == "accepted"
			}
		}
		if !found {
			t.Errorf("accepted member %s not marked decision=accepted among %d candidates", rider, len(ml.Candidates))
		}
		// The admin sees the exact figures and the same mark.
		al, err := svc.Candidates(ctx, grid, gridassign.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range al.Candidates {
			if c.Rider == rider && c.Decision != "accepted" {
				t.Errorf("admin view: member %s decision %q, want accepted", rider, c.Decision)
			}
		}
		// Roster: no score, range inside the street's grids.
		code, body = do(t, h, "GET", "/api/grids/"+grid+"/roster.csv", mgr, "")
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if code != 200 || err != nil || len(recs) < 2 {
			t.Fatalf("manager roster.csv: %d %v %s", code, err, body)
		}
		for _, r := range recs[1:] {
			if r[3] != "" {
				t.Errorf("manager roster row %v carries a score", r)
			}
		}
		code, body = do(t, h, "GET", "/api/grids/"+grid+"/roster.geojson", mgr, "")
		if code != 200 {
			t.Fatalf("manager roster.geojson: %d %s", code, body)
		}
		var fc struct {
			Features []struct {
				Geometry json.RawMessage
			}
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			var inside bool
			if err := st.Pool.QueryRow(ctx, `SELECT ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326),
				ST_Buffer((SELECT ST_Union(geom) FROM grids WHERE code = $2), 1e-6))`, string(f.Geometry), grid).Scan(&inside); err != nil {
				t.Fatal(err)
			}
			if !inside {
				t.Errorf("manager roster range %s reaches outside grid %s", f.Geometry, grid)
			}
		}
		// The grid's members: no scores for the manager.
		code, body = do(t, h, "GET", "/api/grids/"+grid, mgr, "")
		if code != 200 || bytes.Contains(body, []byte(`"score"`)) || !bytes.Contains(body, []byte(rider)) {
			t.Errorf("manager grid detail: %d %.300s; want the member %s without a score", code, body, rider)
		}
		// Proposals: no scores for the manager; another scope's are refused.
		code, body = do(t, h, "POST", "/api/assignments", mgr, `{"street":"`+g.StreetCode+`","dry_run":true}`)
		if code != 200 || bytes.Contains(body, []byte(`"score"`)) || bytes.Contains(body, []byte(`"total_score"`)) || !bytes.Contains(body, []byte(`"time_share_band"`)) {
			t.Errorf("manager dry-run proposal: %d %.400s; want bands and no scores", code, body)
		}
		code, body = do(t, h, "GET", fmt.Sprintf("/api/assignments/%d", p1.ProposalID), "grid_manager:mgr:all-grids-of-nobody", "")
		if code != 403 {
			t.Errorf("proposal over the whole city read by a manager of no grid: %d %.200s, want 403", code, body)
		}
		// Every read above is in the audit log under the manager's name.
		do(t, h, "GET", fmt.Sprintf("/api/assignments/%d", p1.ProposalID), "admin:auditor", "")
		var n int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor = 'admin:auditor' AND action = $1 AND target = $2`,
			gridassign.AuditProposal, fmt.Sprint(p1.ProposalID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("proposal read audit rows = %d (%v), want 1", n, err)
		}
		for _, action := range []string{gridassign.AuditCandidates, gridassign.AuditRoster} {
			var n int
			if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor = 'grid_manager:mgr' AND action = $1`, action).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("no %s audit row for the manager", action)
			}
		}
	})

	t.Run("second proposal", func(t *testing.T) {
		var v0 int64
		if err := st.Pool.QueryRow(ctx, `SELECT version FROM data_versions WHERE layer = 'assignments'`).Scan(&v0); err != nil {
			t.Fatal(err)
		}
		dry, err := svc.Propose(ctx, gridassign.ProposeRequest{All: true, DryRun: true}, "planner")
		if err != nil {
			t.Fatal(err)
		}
		var n1 int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM assignments`).Scan(&n1); err != nil {
			t.Fatal(err)
		}
		if dry.ProposalID != 0 || n1 != p1.Proposed {
			t.Errorf("dry run: id %d, %d rows stored, want 0 and %d", dry.ProposalID, n1, p1.Proposed)
		}
		code, body := do(t, h, "POST", "/api/assignments", "manager-wang", `{"all": true}`)
		if code != 201 {
			t.Fatalf("propose: %d %s", code, body)
		}
		var p2 gridassign.ProposalResult
		if err := json.Unmarshal(body, &p2); err != nil {
			t.Fatal(err)
		}
		checkProposal(t, p2, 1)
		kept := map[[2]string]bool{}
		for _, g := range p2.Grids {
			for _, m := range g.Kept {
				kept[[2]string{g.Grid.Code, m.Rider}] = true
				if m.Status != "accepted" {
					t.Errorf("kept %s/%s has status %s", g.Grid.Code, m.Rider, m.Status)
				}
			}
			for _, a := range g.Proposals {
				k := [2]string{g.Grid.Code, a.Rider}
				if declined[k] {
					t.Errorf("declined %v proposed again", k)
				}
				if accepted[k] != 0 {
					t.Errorf("member %v proposed again", k)
				}
			}
		}
		for k := range accepted {
			if !kept[k] {
				t.Errorf("member %v not kept", k)
			}
		}
		if len(p2.Withdrawn) != len(undecided) {
			t.Errorf("withdrawn %d, want the %d undecided proposals", len(p2.Withdrawn), len(undecided))
		}
		for _, w := range p2.Withdrawn {
			if !undecided[w.ID] || w.Status != "withdrawn" {
				t.Errorf("withdrawn %+v", w)
			}
		}
		var v1 int64
		if err := st.Pool.QueryRow(ctx, `SELECT version FROM data_versions WHERE layer = 'assignments'`).Scan(&v1); err != nil {
			t.Fatal(err)
		}
		if v1 != v0+1 {
			t.Errorf("assignments version %d → %d, want one bump (the dry run bumps nothing)", v0, v1)
		}
		two, err := svc.Propose(ctx, gridassign.ProposeRequest{All: true, DryRun: true, MaxGrids: 2}, "planner")
		if err != nil {
			t.Fatal(err)
		}
		checkProposal(t, *two, 2)
		if two.TotalScore < p2.TotalScore-1e-6 {
			t.Errorf("max_grids 2 total %.3f < max_grids 1 total %.3f", two.TotalScore, p2.TotalScore)
		}
	})

	t.Run("audit", func(t *testing.T) {
		rows, err := st.Pool.Query(ctx, `SELECT action, actor, count(*) FROM audit_log WHERE action LIKE 'assign.%' GROUP BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for rows.Next() {
			var a, who string
			var n int
			if err := rows.Scan(&a, &who, &n); err != nil {
				t.Fatal(err)
			}
			got[a+" by "+who] = n
		}
		rows.Close()
		want := map[string]int{"assign.propose by admin:manager-wang": 2, "assign.accept by admin:manager-li": len(accepted),
			"assign.decline by admin:manager-li": len(declined), "assign.withdraw by admin:manager-wang": 1}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("audit %q: %d rows, want %d (all: %v)", k, got[k], n, got)
			}
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct {
			body string
			code int
		}{
			{`{"all": true, "bogus": 1}`, 400},
			{`{}`, 400},
			{`{"all": true, "street": "x"}`, 400},
			{`{"all": true, "max_grids": 6}`, 400},
			{`{"grids": ["NO-SUCH"]}`, 404},
			{`{"street": "NO-SUCH"}`, 404},
			{`{"all": true} {}`, 400},
			{`not json`, 400},
			{`{"grids": ["` + strings.Repeat("x", 70<<10) + `"]}`, 413},
		} {
			if code, body := do(t, h, "POST", "/api/assignments", "", tc.body); code != tc.code {
				t.Errorf("body %.40q: %d %s, want %d", tc.body, code, body, tc.code)
			}
		}
		code, body := do(t, h, "GET", "/api/grids?q="+grids[0].Code, "", "")
		if code != 200 || !bytes.Contains(body, []byte(grids[0].Code)) {
			t.Errorf("search: %d %s", code, body)
		}
		code, body = do(t, h, "GET", "/api/grids/"+grids[0].Code, "", "")
		if code != 200 || !bytes.Contains(body, []byte(`"members"`)) {
			t.Errorf("grid: %d %s", code, body)
		}
		// Roles: rider-level data only for admins and the grid's own manager.
		g0 := grids[0]
		for _, c := range []struct {
			who  string
			want int
		}{
			{"planner:p", 403}, {"leader:l", 403}, {"grid_manager:m:" + g0.Code, 200},
			{"grid_manager:m:street:" + g0.StreetCode, 200}, {"grid_manager:m:OTHER-GRID", 403},
		} {
			if code, body := do(t, h, "GET", "/api/grids/"+g0.Code+"/candidates", c.who, ""); code != c.want {
				t.Errorf("candidates of %s as %s = %d %s, want %d", g0.Code, c.who, code, body, c.want)
			}
			if code, _ := do(t, h, "GET", "/api/grids/"+g0.Code+"/roster.csv", c.who, ""); code != c.want {
				t.Errorf("roster of %s as %s = %d, want %d", g0.Code, c.who, code, c.want)
			}
		}
		if code, _ := do(t, h, "POST", "/api/assignments", "grid_manager:m:"+g0.Code, `{"all": true}`); code != 403 {
			t.Errorf("a grid manager proposing for all grids = %d, want 403", code)
		}
		if code, _ := do(t, h, "GET", "/api/grids?q=", "leader:l", ""); code != 200 {
			t.Errorf("grid search as leader = %d, want 200", code)
		}
		if code, _ := do(t, h, "GET", "/api/grids/NO-SUCH", "", ""); code != 404 {
			t.Errorf("grid unknown: %d", code)
		}
	})
}

// BenchmarkAssignDemoCity is a proposal over every grid of the demo city
// (1,000 riders, 2 days, loaded once): evidence from PostGIS, the exact
// solve, and (Save) the proposal written with its audit row.
func BenchmarkAssignDemoCity(b *testing.B) {
	st, _ := demotest.LoadDemo(b, demo.Params{Seed: 1, Riders: 1000, Days: 2})
	svc := gridassign.NewService(st, gridassign.ServiceOptions{})
	ctx := context.Background()
	for _, save := range []bool{false, true} {
		name := "DryRun"
		if save {
			name = "Save"
		}
		b.Run(name, func(b *testing.B) {
			var res *gridassign.ProposalResult
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if res, err = svc.Propose(ctx, gridassign.ProposeRequest{All: true, DryRun: !save}, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(res.Grids)), "grids")
			b.ReportMetric(float64(res.Proposed), "proposals")
		})
	}
}
