package siting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

// independentCovered recomputes the covered rider-hours of the whole week
// from the raw tables: res-9 whole-week rows, h3 cell centres, every
// existing presence site, great-circle distances.
func independentCovered(t *testing.T, st *store.Store, cfg config.Config) (total, covered float64) {
	t.Helper()
	ctx := context.Background()
	type site struct {
		p orb.Point
		r float64
	}
	var sites []site
	rows, err := st.Pool.Query(ctx, `SELECT kind, ST_X(geom), ST_Y(geom) FROM sites WHERE status = 'existing'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var x, y float64
		if err := rows.Scan(&k, &x, &y); err != nil {
			t.Fatal(err)
		}
		if r, ok := cfg.ServiceRadiusM[k]; ok {
			sites = append(sites, site{orb.Point{x, y}, r})
		}
	}
	rows.Close()
	rows, err = st.Pool.Query(ctx, `SELECT cell, rider_seconds FROM hex_activity WHERE res = 9 AND how = -1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c int64
		var rs float64
		if err := rows.Scan(&c, &rs); err != nil {
			t.Fatal(err)
		}
		d := rs / 3600
		total += d
		ctr := geo.CellCenter(geo.Cell(c))
		for _, s := range sites {
			if geo.Haversine(ctr, s.p) <= s.r {
				covered += d
				break
			}
		}
	}
	return total, covered
}

type apiClient struct {
	t     *testing.T
	h     http.Handler
	token string
}

func (c apiClient) do(method, path, body string) (int, []byte, http.Header) {
	c.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	c.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

func checkResult(t *testing.T, r *Result, k int) {
	t.Helper()
	if len(r.Picks) != k {
		t.Fatalf("%d picks, want %d", len(r.Picks), k)
	}
	sum := 0.0
	for i, p := range r.Picks {
		if p.Rank != i+1 {
			t.Errorf("pick %d has rank %d", i, p.Rank)
		}
		if i > 0 && !p.Required && !r.Picks[i-1].Required && p.Gain > r.Picks[i-1].Gain+1e-9 {
			t.Errorf("pick %d gain %.3f > pick %d gain %.3f: not in greedy order", i+1, p.Gain, i, r.Picks[i-1].Gain)
		}
		sum += p.Gain
	}
	if math.Abs(sum-(r.CoveredAfter-r.CoveredBefore)) > 1e-6*max(1, r.CoveredAfter) {
		t.Errorf("gains sum to %.6f, after − before = %.6f", sum, r.CoveredAfter-r.CoveredBefore)
	}
	if r.UpperBound < r.CoveredAfter-1e-9 {
		t.Errorf("bound %.3f < after %.3f", r.UpperBound, r.CoveredAfter)
	}
	if r.CoveredAfter > r.TotalDemand+1e-9 {
		t.Errorf("after %.3f > total %.3f", r.CoveredAfter, r.TotalDemand)
	}
}

func TestService(t *testing.T) {
	st, _ := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	cfg := config.Default()
	eng := coverage.New(st, coverage.DefaultSettings(cfg))
	svc := NewService(eng, 2)
	srv := server.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{}, svc.Routes()...)
	const secret = "hxc_test_planner_0123456789"
	if _, err := st.CreateToken(ctx, "test", "planner", nil, secret); err != nil {
		t.Fatal(err)
	}
	const gmSecret = "hxc_test_gridmanager_0123456789"
	if _, err := st.CreateToken(ctx, "gm", "grid_manager", []string{"street:310107001"}, gmSecret); err != nil {
		t.Fatal(err)
	}
	api := apiClient{t, srv.Handler(), secret}
	if code, _, _ := (apiClient{t, srv.Handler(), ""}).do("POST", "/api/siting", `{"k": 1}`); code != 401 {
		t.Errorf("anonymous POST /api/siting = %d, want 401", code)
	}
	if code, _, _ := (apiClient{t, srv.Handler(), gmSecret}).do("POST", "/api/siting", `{"k": 1}`); code != 403 {
		t.Errorf("grid manager POST /api/siting = %d, want 403", code)
	}

	var first *Result
	t.Run("siting API", func(t *testing.T) {
		code, body, _ := api.do("POST", "/api/siting", `{"k": 5, "candidates": ["fuel_station", "candidate"]}`)
		if code != 200 {
			t.Fatalf("POST /api/siting = %d %s", code, body)
		}
		var r Result
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		checkResult(t, &r, 5)
		first = &r
		total, covered := independentCovered(t, st, cfg)
		if math.Abs(r.TotalDemand-total) > 1e-6*total || math.Abs(r.CoveredBefore-covered) > 1e-6*total {
			t.Errorf("total %.4f before %.4f, independently %.4f %.4f", r.TotalDemand, r.CoveredBefore, total, covered)
		}
		for _, p := range r.Picks {
			t.Logf("%d %-6s %-8s %-12s +%.1f (%.1f%%) street %v %s", p.Rank, p.ID, p.Kind, p.Name, p.Gain, p.CumPct, p.Street != nil, p.Street.Name)
		}
		t.Logf("before %.1f%% after %.1f%% bound %.1f%% gap %.3f%% %s, %d candidates, %d cells, solve %.1f ms, total %.1f ms",
			r.BeforePct, r.AfterPct, r.UpperBoundPct, 100*r.Gap, r.Method, r.Candidates, r.DemandCells, r.SolveMs, r.ElapsedMs)
	})

	t.Run("validation", func(t *testing.T) {
		big := `{"k": 5, "remove": [` + strings.Repeat(`"x",`, 20000) + `"x"]}`
		for _, body := range []string{
			`{"k": 0}`, `{"k": 201}`, `{"k": 5, "candidates": ["castle"]}`, `{"k": 5, "colour": "red"}`, `{"k": 5`,
			`{"k": 5} {"k": 6}`, `{"k": 5, "remove": ["NOPE"]}`, `{"k": 5, "add": ["NOPE"]}`, `{"k": 1, "add": ["a", "b"]}`,
			`{"k": 5, "hours": "brunch"}`, `{"k": 5, "metric": "pings"}`, `{"k": 5, "add": [{"lng": 121.4}]}`,
			`{"k": 5, "add": [{"lng": 121.4, "lat": 31.2, "kind": "castle"}]}`, `{"k": 5, "add": [{"lng": 121.4, "lat": 31.2, "kind": "rest_station", "x": 1}]}`,
		} {
			code, resp, _ := api.do("POST", "/api/siting", body)
			var e struct{ Error string }
			if code != 400 || json.Unmarshal(resp, &e) != nil || e.Error == "" {
				t.Errorf("POST %.60s = %d %s, want 400 with a JSON error", body, code, resp)
			}
		}
		// A body over MaxRequestSize is 413, whatever it holds.
		if code, resp, _ := api.do("POST", "/api/siting", big); code != 413 || !strings.Contains(string(resp), `"error"`) {
			t.Errorf("POST of %d bytes = %d %s, want 413 with a JSON error", len(big), code, resp)
		}
	})

	t.Run("add and remove", func(t *testing.T) {
		a, err := eng.Analyze(ctx, coverage.Params{})
		if err != nil {
			t.Fatal(err)
		}
		var removeID string
		for _, s := range a.Presence {
			if s.Kind == string(model.KindServiceCenter) {
				removeID = s.ExtID
				break
			}
		}
		g, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		c := g.Zones[0].Centroid
		req := Request{K: 3, Remove: []string{removeID}, Add: []AddSite{{Lng: &c[0], Lat: &c[1], Kind: "rest_station", Name: "新驿站"}}, CellCentres: true}
		r, err := svc.Run(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, r, 3)
		if !r.Picks[0].Required || r.Picks[0].ID != "add:1" || r.Picks[0].Name != "新驿站" {
			t.Errorf("first pick %+v, want the required ad-hoc site", r.Picks[0])
		}
		if r.CoveredBefore >= first.CoveredBefore {
			t.Errorf("removing %s left coverage at %.2f (was %.2f)", removeID, r.CoveredBefore, first.CoveredBefore)
		}
		// The removed site comes back with its loss.
		if len(r.RemovedSites) != 1 || r.RemovedSites[0].ID != removeID || r.RemovedSites[0].Lng == 0 {
			t.Fatalf("removed sites %+v", r.RemovedSites)
		}
		if rs := r.RemovedSites[0]; math.Abs(rs.Loss-(first.CoveredBefore-r.CoveredBefore)) > 1e-6*first.TotalDemand ||
			math.Abs(r.Loss-rs.Loss) > 1e-6*first.TotalDemand || math.Abs(r.CoveredBase-first.CoveredBefore) > 1e-6*first.TotalDemand {
			t.Errorf("loss %.3f (site %.3f); base %.3f before %.3f; without removals before %.3f", r.Loss, rs.Loss, r.CoveredBase, r.CoveredBefore, first.CoveredBefore)
		}
		if r.Candidates <= first.Candidates {
			t.Errorf("cell centres added no candidates: %d vs %d", r.Candidates, first.Candidates)
		}
	})

	t.Run("picks name the zones they reach and the riders", func(t *testing.T) {
		actx := httpkit.WithViewer(ctx, model.Viewer{Name: "a", Role: model.RoleAdmin})
		r, err := svc.Run(actx, Request{K: 5})
		if err != nil {
			t.Fatal(err)
		}
		g, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin}, 0)
		if err != nil {
			t.Fatal(err)
		}
		byRank := map[int]coverage.GapZone{}
		for _, z := range g.Zones {
			byRank[z.Rank] = z
		}
		if r.Unit.Zh != "骑手·小时" || r.MaxK != MaxK || len(r.CandidateKinds) != len(DefaultCandidateKinds) {
			t.Errorf("unit %v max_k %d kinds %v", r.Unit, r.MaxK, r.CandidateKinds)
		}
		if r.Days < 1 || r.GainPerDay == nil || math.Abs(*r.GainPerDay*float64(r.Days)-r.Gain) > 1e-6*max(1, r.Gain) {
			t.Errorf("days %d, gain %.3f, per day %v", r.Days, r.Gain, r.GainPerDay)
		}
		reached, zoneGain := 0, map[int]float64{}
		for _, p := range r.Picks {
			if p.GainPerDay == nil || math.Abs(*p.GainPerDay*float64(r.Days)-p.Gain) > 1e-6*max(1, p.Gain) {
				t.Errorf("pick %d: gain %.3f, per day %v over %d days", p.Rank, p.Gain, p.GainPerDay, r.Days)
			}
			// Rider-hours is the measure: the gain is the rider-hours it reaches.
			if math.Abs(p.RiderHours-p.Gain) > 1e-6*max(1, p.Gain) {
				t.Errorf("pick %d: gain %.3f, rider-hours reached %.3f", p.Rank, p.Gain, p.RiderHours)
			}
			if p.Riders == nil || (*p.Riders == 0) != (p.Gain == 0) {
				t.Errorf("pick %d: riders %v with gain %.3f", p.Rank, p.Riders, p.Gain)
			}
			for _, z := range p.Zones {
				gz, ok := byRank[z.Rank]
				if !ok || gz.ID != z.ID {
					t.Errorf("pick %d names zone #%d %s; /api/gaps has %s", p.Rank, z.Rank, z.ID, gz.ID)
					continue
				}
				reached++
				zoneGain[z.Rank] += z.Gain
				if z.Closed != (math.Abs(zoneGain[z.Rank]-gz.Demand) <= 1e-6*gz.Demand) || z.Closed != (z.CoveredPct > 99.9999) {
					t.Errorf("pick %d zone #%d: closed %v, covered %.1f%%, %.3f of %.3f", p.Rank, z.Rank, z.Closed, z.CoveredPct, zoneGain[z.Rank], gz.Demand)
				}
			}
		}
		if reached == 0 {
			t.Error("no pick reaches a gap zone")
		}
		// Outside the admin role: released (here: exact above k) rider-hours, no riders.
		code, body, _ := api.do("POST", "/api/siting", `{"k": 2}`)
		var pr Result
		if code != 200 || json.Unmarshal(body, &pr) != nil {
			t.Fatalf("planner siting = %d %s", code, body)
		}
		for _, p := range pr.Picks {
			if p.Riders != nil {
				t.Errorf("planner pick %d carries riders %d", p.Rank, *p.Riders)
			}
		}
	})

	t.Run("no candidates is said, not defaulted", func(t *testing.T) {
		a, err := eng.Analyze(ctx, coverage.Params{})
		if err != nil {
			t.Fatal(err)
		}
		none := ""
		for k := range model.SiteKindLabels {
			if !slices.ContainsFunc(a.Sites, func(s coverage.Site) bool {
				return s.Kind == string(k) && (s.Status == "candidate" || s.Status == "planned")
			}) {
				none = string(k)
				break
			}
		}
		for body, want := range map[string]string{
			`{"k": 2, "candidates": []}`:               "no kind given",
			`{"k": 2, "candidates": ["` + none + `"]}`: "no candidate sites of the kinds asked (" + model.SiteKindLabels[model.SiteKind(none)].Zh,
		} {
			code, resp, _ := api.do("POST", "/api/siting", body)
			if code != 400 || !strings.Contains(string(resp), want) {
				t.Errorf("POST %s = %d %s, want 400 saying %q", body, code, resp, want)
			}
		}
		// A kind without candidates beside one with: counted, so the page can say why.
		r, err := svc.Run(ctx, Request{K: 2, Candidates: []string{none, "candidate"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.CandidateKinds) != 2 || r.CandidateKinds[0] != (KindCount{none, 0}) || r.CandidateKinds[1].Candidates == 0 {
			t.Errorf("candidate kinds %v", r.CandidateKinds)
		}
	})

	t.Run("busy", func(t *testing.T) {
		if !svc.sem.TryAcquire(2) {
			t.Fatal("solve slots taken")
		}
		code, body, h := api.do("POST", "/api/siting", `{"k": 2}`)
		svc.sem.Release(2)
		if code != 503 || h.Get("Retry-After") == "" {
			t.Errorf("saturated POST /api/siting = %d %s Retry-After %q, want 503 with Retry-After", code, body, h.Get("Retry-After"))
		}
	})

	t.Run("scenarios", func(t *testing.T) {
		code, body, _ := api.do("POST", "/api/scenarios", `{"name": "五个新站", "request": {"k": 5, "hours": "lunch"}}`)
		if code != 201 {
			t.Fatalf("POST /api/scenarios = %d %s", code, body)
		}
		var saved struct {
			ID      int64   `json:"id"`
			Name    string  `json:"name"`
			Request Request `json:"request"`
			Result  Result  `json:"result"`
		}
		if err := json.Unmarshal(body, &saved); err != nil {
			t.Fatal(err)
		}
		checkResult(t, &saved.Result, 5)
		var createdBy struct {
			CreatedBy string `json:"created_by"`
		}
		_ = json.Unmarshal(body, &createdBy)
		if saved.Request.Hours != "lunch" || saved.Name != "五个新站" || createdBy.CreatedBy != "planner:test" {
			t.Errorf("saved %+v", saved)
		}
		for _, bad := range []string{`{"name": "", "request": {"k": 5}}`, `{"name": "x"}`, `{"name": "x", "request": {"k": 0}}`, `{"name": "x", "request": {"k": 1}, "y": 2}`} {
			if code, body, _ := api.do("POST", "/api/scenarios", bad); code != 400 {
				t.Errorf("POST /api/scenarios %s = %d %s, want 400", bad, code, body)
			}
		}
		code, body, _ = api.do("GET", "/api/scenarios", "")
		if code != 200 || !bytes.Contains(body, []byte("五个新站")) {
			t.Errorf("GET /api/scenarios = %d %s", code, body)
		}
		code, body, _ = api.do("GET", fmt.Sprintf("/api/scenarios/%d", saved.ID), "")
		var reopened struct{ Result Result }
		if code != 200 || json.Unmarshal(body, &reopened) != nil || len(reopened.Result.Picks) != 5 ||
			reopened.Result.CoveredAfter != saved.Result.CoveredAfter {
			t.Errorf("GET /api/scenarios/%d = %d %s", saved.ID, code, body)
		}
		code, body, _ = api.do("GET", fmt.Sprintf("/api/scenarios/%d/compare", saved.ID), "")
		var cmp Comparison
		if code != 200 || json.Unmarshal(body, &cmp) != nil {
			t.Fatalf("compare = %d %s", code, body)
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }
		if cmp.Stale || !near(cmp.Baseline.CoveredDemand, saved.Result.CoveredBefore) || !near(cmp.Scenario.CoveredDemand, saved.Result.CoveredAfter) ||
			!near(cmp.Delta, saved.Result.CoveredAfter-saved.Result.CoveredBefore) {
			t.Errorf("compare %+v; saved before %.3f after %.3f", cmp, saved.Result.CoveredBefore, saved.Result.CoveredAfter)
		}
		if code, _, _ := api.do("GET", "/api/scenarios/99999", ""); code != 404 {
			t.Errorf("unknown scenario = %d, want 404", code)
		}
		if code, _, _ := api.do("GET", "/api/scenarios/abc/compare", ""); code != 400 {
			t.Errorf("bad scenario id = %d, want 400", code)
		}
	})

	// Last: it changes the data.
	t.Run("first pick built raises coverage by its gain", func(t *testing.T) {
		p := first.Picks[0]
		kind := model.SiteKind(p.Kind)
		if _, ok := cfg.ServiceRadiusM[p.Kind]; !ok {
			kind = model.KindRestStation // a non-presence kind is built as a rest station (same default radius)
		}
		if cfg.ServiceRadiusM[string(kind)] != p.RadiusM {
			t.Fatalf("pick radius %.0f differs from the radius of %s", p.RadiusM, kind)
		}
		// Build it: the same ext id becomes an existing presence site.
		demotest.AddSite(t, st, model.Site{ExtID: p.ID, Kind: kind, Status: model.StatusExisting, Name: p.Name, Location: orb.Point{p.Lng, p.Lat}})
		total, covered := independentCovered(t, st, cfg)
		if math.Abs(covered-(first.CoveredBefore+p.Gain)) > 1e-6*total {
			t.Errorf("covered after building %s = %.4f, want before %.4f + gain %.4f = %.4f", p.ID, covered, first.CoveredBefore, p.Gain, first.CoveredBefore+p.Gain)
		}
		// And the service agrees: the next solve starts from there.
		r, err := svc.Run(ctx, Request{K: 4})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.CoveredBefore-covered) > 1e-6*total {
			t.Errorf("service before = %.4f, want %.4f", r.CoveredBefore, covered)
		}
	})
}

// BenchmarkServiceDemo solves on the demo city (300 riders, one day) at
// demand resolution 9 with the stored candidate sites and every demand cell
// centre as a candidate: the Solve alone, and the whole request (problem
// built from a cached analysis, streets of the picks looked up).
func BenchmarkServiceDemo(b *testing.B) {
	st, _ := demotest.LoadDemo(b, demotest.Params())
	ctx := context.Background()
	svc := NewService(coverage.New(st, coverage.DefaultSettings(config.Default())), 1)
	for _, k := range []int{10, 50} {
		req := Request{K: k, CellCentres: true}
		bl, err := svc.build(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("solve/K=%d", k), func(b *testing.B) {
			var s Solution
			for b.Loop() {
				if s, err = Solve(ctx, bl.p, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(s.CoveredAfter/s.UpperBound, "cover/bound")
			b.ReportMetric(float64(len(bl.p.Demand)), "cells")
			b.ReportMetric(float64(len(bl.p.Candidates)), "candidates")
		})
		b.Run(fmt.Sprintf("request/K=%d", k), func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Run(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
