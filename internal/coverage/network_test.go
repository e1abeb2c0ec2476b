package coverage_test

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/osm"
	"github.com/hexcover/hexcover/internal/siting"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

// creekTown is a street grid cut by a creek: rows 0–2 on the south bank,
// rows 3–5 on the north bank, 11 columns 0.002° (~190 m) apart; the creek
// runs between rows 2 and 3 (~440 m) and only column 10, in the far east, crosses it on a
// bridge. Row j lies at latitude 31.220 + 0.002·j (+0.002 north of the creek).
func creekTown() string {
	lat := func(j int) float64 {
		if j >= 3 {
			return 31.220 + 0.002*float64(j) + 0.002
		}
		return 31.220 + 0.002*float64(j)
	}
	lng := func(i int) float64 { return 121.400 + 0.002*float64(i) }
	id := func(i, j int) int { return 1 + j*11 + i }
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<osm version=\"0.6\">\n")
	for j := 0; j < 6; j++ {
		for i := 0; i <= 10; i++ {
			fmt.Fprintf(&b, " <node id=\"%d\" lat=\"%.6f\" lon=\"%.6f\"/>\n", id(i, j), lat(j), lng(i))
		}
	}
	way := 100
	w := func(nodes []int, tags ...string) {
		way++
		fmt.Fprintf(&b, " <way id=\"%d\">", way)
		for _, n := range nodes {
			fmt.Fprintf(&b, "<nd ref=\"%d\"/>", n)
		}
		for k := 0; k+1 < len(tags); k += 2 {
			fmt.Fprintf(&b, "<tag k=\"%s\" v=\"%s\"/>", tags[k], tags[k+1])
		}
		b.WriteString("</way>\n")
	}
	for j := 0; j < 6; j++ {
		var row []int
		for i := 0; i <= 10; i++ {
			row = append(row, id(i, j))
		}
		w(row, "highway", "residential", "oneway", "yes")
	}
	for i := 0; i <= 10; i++ {
		w([]int{id(i, 0), id(i, 1), id(i, 2)}, "highway", "residential")
		w([]int{id(i, 3), id(i, 4), id(i, 5)}, "highway", "residential")
		if i == 10 {
			w([]int{id(i, 2), id(i, 3)}, "highway", "secondary", "bridge", "yes")
		} else {
			// an expressway across the creek riders may not ride
			if i == 4 {
				w([]int{id(i, 2), id(i, 3)}, "highway", "motorway", "bridge", "yes")
			}
		}
	}
	b.WriteString("</osm>\n")
	return b.String()
}

var (
	station     = orb.Point{121.404, 31.2245}   // south bank, on column 2, by the creek
	northDemo   = [2]float64{121.404, 31.2290}  // north bank, ~500 m from the station across the creek
	southEast   = [2]float64{121.4195, 31.2205} // south bank, ~1.5 km east: no one covers it
	nearStation = [2]float64{121.4045, 31.2232}
	candNorth   = orb.Point{121.404, 31.2290}
	candSE      = orb.Point{121.4195, 31.2210}
)

func loadCreekTown(t *testing.T) *store.Store {
	t.Helper()
	st := dbtest.New(t)
	p := filepath.Join(t.TempDir(), "creek.osm")
	if err := os.WriteFile(p, []byte(creekTown()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&osm.Importer{Store: st}).Import(context.Background(), p, false, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 2, 11, 0, 0, 0, time.UTC)
	var pings []tilestest.Ping
	for r := 0; r < 8; r++ { // north bank: 8 riders waiting an hour
		pings = append(pings, tilestest.Walk(fmt.Sprintf("n%d", r), start, time.Minute, 60, northDemo, northDemo)...)
	}
	for r := 0; r < 5; r++ { // south-east: 5 riders
		pings = append(pings, tilestest.Walk(fmt.Sprintf("s%d", r), start, time.Minute, 60, southEast, southEast)...)
	}
	for r := 0; r < 3; r++ { // by the station: covered either way
		pings = append(pings, tilestest.Walk(fmt.Sprintf("h%d", r), start, time.Minute, 60, nearStation, nearStation)...)
	}
	tilestest.LoadActivity(t, st, "creek-pings.csv", pings)
	tilestest.LoadFeatures(t, st, "creek", nil, nil, []model.Site{
		{ExtID: "station", Kind: model.KindServiceCenter, Status: model.StatusExisting, Name: "驿站", Location: station},
		{ExtID: "cand-north", Kind: model.KindCandidate, Status: model.StatusCandidate, Name: "北岸候选", Location: candNorth},
		{ExtID: "cand-se", Kind: model.KindCandidate, Status: model.StatusCandidate, Name: "东南候选", Location: candSE},
	})
	return st
}

func engines(st *store.Store) (radius, network *coverage.Engine) {
	set := coverage.DefaultSettings(config.Default())
	radius = coverage.New(st, set)
	set.Network.Enabled = true
	network = coverage.New(st, set)
	return
}

// TestNetworkCoverageAcrossACreek: the station (a service centre, 1 km)
// covers the north bank in a straight line, but its riders must ride ~3.5 km
// round by the only bridge:
// by the network it covers strictly fewer cells, and siting then picks the
// north-bank candidate instead of the south-east one.
func TestNetworkCoverageAcrossACreek(t *testing.T) {
	ctx := context.Background()
	st := loadCreekTown(t)
	re, ne := engines(st)
	ra, err := re.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	na, err := ne.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if ra.Mode() != "radius" || na.Mode() != "network" {
		t.Fatalf("modes %s, %s; want radius, network", ra.Mode(), na.Mode())
	}
	if na.Network.Computed != 3 {
		t.Errorf("computed %d catchments; want 3 (every site)", na.Network.Computed)
	}
	var rc, nc int
	north := 0
	for i, c := range ra.Cells {
		nCov := na.Cells[i].Covered
		if nCov && !c.Covered {
			t.Errorf("cell %v covered by the network but not within the radius", c.Cell)
		}
		if c.Covered {
			rc++
		}
		if nCov {
			nc++
		}
		t.Logf("cell %v at %v demand %.2f: radius %v network %v", c.Cell, c.Center, c.Demand, c.Covered, nCov)
		if c.Covered && !nCov && c.Center[1] > 31.226 {
			north++
		}
	}
	t.Logf("covered cells: radius %d, network %d (north bank lost %d)", rc, nc, north)
	if nc >= rc || north == 0 || nc == 0 {
		t.Fatalf("network covers %d cells, radius %d, north-bank cells lost %d; want strictly fewer but some, north bank lost", nc, rc, north)
	}
	if na.CoveredDemand >= ra.CoveredDemand {
		t.Errorf("covered demand: network %.2f, radius %.2f; want less by network", na.CoveredDemand, ra.CoveredDemand)
	}

	// Siting: one new site. By radius the north bank is served, so the
	// south-east candidate wins; by the network the north bank is not.
	pick := func(e *coverage.Engine) string {
		res, err := siting.NewService(e, 1).Run(ctx, siting.Request{K: 1, Candidates: []string{"candidate"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Picks) != 1 {
			t.Fatalf("picks %+v", res.Picks)
		}
		return res.Picks[0].ID
	}
	if got := pick(re); got != "cand-se" {
		t.Errorf("radius siting picked %s; want cand-se", got)
	}
	if got := pick(ne); got != "cand-north" {
		t.Errorf("network siting picked %s; want cand-north", got)
	}

	// The map's catchment of the station: streets within reach, or a circle.
	var stationID int64
	for _, s := range na.Sites {
		if s.ExtID == "station" {
			stationID = s.ID
		}
	}
	nc2, err := ne.SiteCatchment(ctx, stationID)
	if err != nil {
		t.Fatal(err)
	}
	if ml, ok := nc2.Geometry.(orb.MultiLineString); !ok || len(ml) == 0 || nc2.Mode != "network" || nc2.Cells != nc {
		t.Errorf("network catchment: mode %s, %T, %d cells; want network streets and %d cells", nc2.Mode, nc2.Geometry, nc2.Cells, nc)
	} else {
		for _, l := range ml {
			for _, p := range l {
				if p[1] > 31.226 {
					t.Fatalf("the catchment crosses the creek at %v", p)
				}
			}
		}
	}
	rc2, err := re.SiteCatchment(ctx, stationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc2.Geometry.(orb.Polygon); !ok || rc2.Mode != "radius" || rc2.Cells != rc {
		t.Errorf("radius catchment: mode %s, %T, %d cells; want a circle and %d cells", rc2.Mode, rc2.Geometry, rc2.Cells, rc)
	}
	if _, err := ne.SiteCatchment(ctx, 999999); err == nil {
		t.Error("catchment of a missing site: no error")
	}
	// Over HTTP, by the ext_id the map's site tiles carry (by=ext_id) as by id.
	srv := httptest.NewServer(func() http.Handler {
		mux := http.NewServeMux()
		for _, rt := range (&coverage.Handlers{Engine: ne}).Routes() {
			if rt.Name == "site_catchment" {
				mux.Handle(rt.Pattern, httpkit.Handler(rt.Handler, nil))
			}
		}
		return mux
	}())
	defer srv.Close()
	for path, want := range map[string]int{
		"/api/sites/station/catchment?by=ext_id":                  200,
		fmt.Sprintf("/api/sites/%d/catchment", stationID):         200,
		fmt.Sprintf("/api/sites/%d/catchment?by=id", stationID):   200,
		"/api/sites/nosuch/catchment?by=ext_id":                   404,
		"/api/sites/station/catchment":                            400,
		fmt.Sprintf("/api/sites/%d/catchment?by=name", stationID): 400,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Properties struct {
				ExtID string `json:"ext_id"`
				Cells int    `json:"cells"`
			} `json:"properties"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&f)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && (f.Properties.ExtID != "station" || f.Properties.Cells != nc)) {
			t.Errorf("GET %s: %d %+v; want %d (the station, %d cells)", path, resp.StatusCode, f.Properties, want, nc)
		}
	}

	// A second engine (a restarted server) reads the catchments from the
	// table instead of computing them.
	_, ne2 := engines(st)
	na2, err := ne2.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if na2.Network.Computed != 0 || na2.CoveredDemand != na.CoveredDemand {
		t.Errorf("second analysis computed %d catchments, covered %.2f; want 0 and %.2f", na2.Network.Computed, na2.CoveredDemand, na.CoveredDemand)
	}
}

// TestNetworkDistancesMatchDijkstra compares the stored catchment (pgRouting)
// with Dijkstra's algorithm written here over the same rideable edges.
func TestNetworkDistancesMatchDijkstra(t *testing.T) {
	ctx := context.Background()
	st := loadCreekTown(t)
	_, ne := engines(st)
	a, err := ne.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	set := ne.Settings()
	edges, err := st.NetworkEdges(ctx, a.Network.Batch, set.Network.Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edges {
		if e.Source == 1+2*11+4 && e.Target == 1+3*11+4 {
			t.Fatal("the motorway bridge is in the rideable network")
		}
	}
	var ids []int64
	for _, s := range a.Sites {
		ids = append(ids, s.ID)
	}
	cs, err := st.Catchments(ctx, a.Network.Batch, a.Network.Rules, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("%d catchments stored; want 3", len(cs))
	}
	vs, err := st.NetworkVertices(ctx, a.Network.Batch, set.Network.Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		// The start: the nearest vertex, and the budget left after reaching it.
		p := orb.Point{c.Lng, c.Lat}
		var start int64
		best := math.Inf(1)
		for _, v := range vs {
			if d := haversine(p, orb.Point{v.Lng, v.Lat}); d < best {
				start, best = v.ID, d
			}
		}
		budget := c.RadiusM - best
		dist := dijkstra(edges, start)
		want := map[int64]float64{}
		for v, d := range dist {
			if d <= budget {
				want[v] = d
			}
		}
		if len(want) != len(c.Vertices) {
			t.Errorf("site %d: pgRouting reaches %d vertices, Dijkstra %d", c.SiteID, len(c.Vertices), len(want))
		}
		for i, v := range c.Vertices {
			if d, ok := want[v]; !ok || math.Abs(d-c.Costs[i]) > 1e-6 {
				t.Errorf("site %d vertex %d: pgRouting %.6f m, Dijkstra %.6f m (reached %v)", c.SiteID, v, c.Costs[i], d, ok)
			}
		}
		t.Logf("site %d: %d vertices within %.0f m, agree", c.SiteID, len(c.Vertices), budget)
	}
}

func haversine(a, b orb.Point) float64 {
	const r = 6378137.0 // orb's earth radius, as geo.Haversine
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dl, dp := (b[0]-a[0])*math.Pi/180, la2-la1
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

type item struct {
	v int64
	d float64
}
type pq []item

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].d < q[j].d }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(item)) }
func (q *pq) Pop() any          { o := *q; x := o[len(o)-1]; *q = o[:len(o)-1]; return x }

// dijkstra returns the shortest distance from start to every vertex, riding
// edges forwards (cost) and backwards (reverse cost when not negative).
func dijkstra(edges []store.NetEdge, start int64) map[int64]float64 {
	adj := map[int64][]item{}
	for _, e := range edges {
		adj[e.Source] = append(adj[e.Source], item{e.Target, e.Cost})
		if e.ReverseCost >= 0 {
			adj[e.Target] = append(adj[e.Target], item{e.Source, e.ReverseCost})
		}
	}
	dist := map[int64]float64{start: 0}
	q := &pq{{start, 0}}
	for q.Len() > 0 {
		it := heap.Pop(q).(item)
		if it.d > dist[it.v] {
			continue
		}
		for _, n := range adj[it.v] {
			nd := it.d + n.d
			if d, ok := dist[n.v]; !ok || nd < d {
				dist[n.v] = nd
				heap.Push(q, item{n.v, nd})
			}
		}
	}
	return dist
}
