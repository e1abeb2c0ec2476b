package coverage

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
)

// syntheticAnalysis is a solid disc of res-9 gap cells (no sites cover
// it) with random demand, and the sites given.
func syntheticAnalysis(t *testing.T, rings int, sites []Site) *Analysis {
	t.Helper()
	centre, err := geo.CellAt(121.40, 31.24, 9)
	if err != nil {
		t.Fatal(err)
	}
	cells := []geo.Cell{centre}
	seen := map[geo.Cell]bool{centre: true}
	for front := []geo.Cell{centre}; rings > 0; rings-- {
		var next []geo.Cell
		for _, c := range front {
			for _, nb := range geo.Neighbors(c) {
				if !seen[nb] {
					seen[nb] = true
					next = append(next, nb)
				}
			}
		}
		cells = append(cells, next...)
		front = next
	}
	slices.Sort(cells)
	rng := rand.New(rand.NewPCG(1, 2))
	a := &Analysis{Settings: Settings{DemandRes: 9, GapMinRiderHours: 1, DefaultRadiusM: 500,
		ServiceRadiusM: map[string]float64{"rest_station": 500, "kiosk": 300}}, cellIdx: map[geo.Cell]int{}, Sites: sites}
	var pts []orb.Point
	for _, c := range cells {
		p := geo.CellCenter(c)
		a.cellIdx[c] = len(a.Cells)
		a.Cells = append(a.Cells, Cell{Cell: c, Center: p, Demand: 1 + 20*rng.Float64(), RiderHours: 1, District: -1, Street: -1, Community: -1})
		pts = append(pts, p)
	}
	a.Index = NewIndex(pts, 0)
	return a
}

// A large connected uncovered area (331 cells, about 35 km²) is split into
// zones that each fit one station's disc, covering every gap cell once,
// the same way every time.
func TestSplitLargeArea(t *testing.T) {
	a := syntheticAnalysis(t, 10, nil)
	zs := a.partition()
	check := func(zs *zoneSet, r float64) {
		t.Helper()
		in := map[int]bool{}
		for _, z := range zs.zones {
			if z.radius != r {
				t.Errorf("zone radius %v, want %v", z.radius, r)
			}
			for _, i := range z.cells {
				if in[i] {
					t.Errorf("cell %d in two zones", i)
				}
				in[i] = true
				if d := geo.Haversine(a.Cells[z.centre].Center, a.Cells[i].Center); d > r {
					t.Errorf("cell %d is %.0f m from its zone's centre, radius %.0f", i, d, r)
				}
			}
		}
		if len(in) != len(a.Cells) {
			t.Errorf("%d of %d gap cells in zones", len(in), len(a.Cells))
		}
		for z := 1; z < len(zs.zones); z++ {
			if zs.zones[z].demand > zs.zones[z-1].demand {
				t.Errorf("zone %d has more demand than zone %d", z, z-1)
			}
		}
	}
	check(zs, 500)
	if len(zs.zones) < 20 {
		t.Errorf("%d zones for %d cells: the area was not split", len(zs.zones), len(a.Cells))
	}
	again := a.partition()
	if len(again.zones) != len(zs.zones) {
		t.Fatal("not deterministic")
	}
	for z := range zs.zones {
		if !slices.Equal(zs.zones[z].cells, again.zones[z].cells) || zs.zones[z].centre != again.zones[z].centre {
			t.Fatalf("zone %d differs between runs", z)
		}
	}
	// The greedy's first zone holds the most demand any disc of the area holds.
	best := 0.0
	for i := range a.Cells {
		var d float64
		a.Index.Within(a.Cells[i].Center, 500, func(j int) { d += a.Cells[j].Demand })
		best = max(best, d)
	}
	if zs.zones[0].demand != best {
		t.Errorf("first zone demand %.3f, best disc %.3f", zs.zones[0].demand, best)
	}

	// A candidate kiosk (radius 300 m) reaching the area: its zones are
	// those a kiosk can serve.
	k := syntheticAnalysis(t, 10, []Site{{ID: 1, Kind: "kiosk", Status: "candidate", Point: a.Cells[0].Center}})
	check(k.partition(), 300)
	// A kiosk far away does not shrink them.
	far := syntheticAnalysis(t, 10, []Site{{ID: 1, Kind: "kiosk", Status: "candidate", Point: orb.Point{121.6, 31.4}}})
	check(far.partition(), 500)
}

// The gap rule does not drift with the amount of data: the same activity
// over twice the days (every cell's rider-hours doubled) gives the same gap
// cells, so loading a second month changes nothing by itself.
func TestGapRulePerDay(t *testing.T) {
	one := syntheticAnalysis(t, 6, nil)
	one.Settings.GapMinRiderHours, one.Settings.GapDenseQuantile = 14, 0.5
	one.Days = 1
	two := syntheticAnalysis(t, 6, nil)
	two.Settings = one.Settings
	two.Days = 2
	for i := range two.Cells {
		two.Cells[i].Demand *= 2
	}
	a, b := one.GapCells(), two.GapCells()
	n := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("cell %d: gap %v over one day, %v over two", i, a[i], b[i])
		}
		if a[i] {
			n++
		}
	}
	// The absolute part bites (not only the median): some cells above the
	// median are below 14 a day.
	if n == 0 || n >= len(a)/2 {
		t.Errorf("%d of %d cells are gaps", n, len(a))
	}
	if got := two.GapThreshold(); got != 28 {
		t.Errorf("threshold over two days %.3f, want 28", got)
	}
}
