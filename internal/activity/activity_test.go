package activity

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/hexcover/hexcover/internal/model"
)

func TestHowOfWeek(t *testing.T) {
	off := 8 * time.Hour
	for _, tc := range []struct {
		name string
		t    time.Time
		want int16
	}{
		{"Monday 00:30 +08:00", time.Date(2024, 1, 1, 0, 30, 0, 0, cst), 0},
		{"Monday 00:00 +08:00", time.Date(2024, 1, 1, 0, 0, 0, 0, cst), 0},
		{"Monday 12:59:59 +08:00", time.Date(2024, 1, 1, 12, 59, 59, 0, cst), 12},
		{"Sunday 23:59 +08:00", time.Date(2024, 1, 7, 23, 59, 0, 0, cst), 167},
		{"Sunday 20:00Z = Monday 04:00 local", time.Date(2024, 1, 7, 20, 0, 0, 0, time.UTC), 4},
		{"Sunday 15:59Z = Sunday 23:59 local", time.Date(2024, 1, 7, 15, 59, 0, 0, time.UTC), 167},
		{"Sunday 16:00Z = Monday 00:00 local", time.Date(2024, 1, 7, 16, 0, 0, 0, time.UTC), 0},
		{"Thursday 1970-01-01 00:00Z = 08:00 local", time.Unix(0, 0), 3*24 + 8},
		{"before 1970: Wednesday 1969-12-31 23:00 local", time.Date(1969, 12, 31, 23, 0, 0, 0, cst), 2*24 + 23},
	} {
		if got := How(tc.t, off); got != tc.want {
			t.Errorf("How(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
	// The aggregator uses the same mapping.
	pt := at(0, 0)
	r := run(t, DefaultSettings(), ping(1, time.Date(2024, 1, 7, 20, 0, 0, 0, time.UTC), pt))
	c := cellAt(t, pt)
	if st := r.Stats[Key{10, c, 4}]; st == nil || st.Pings != 1 {
		t.Errorf("Stats[how 4] = %+v, want 1 ping", st)
	}
}

func TestDwell(t *testing.T) {
	s := DefaultSettings()
	a, b := at(0, 0), at(60, 0)
	ca := cellAt(t, a)
	for _, tc := range []struct {
		name  string
		pings []model.Ping
		want  map[int16]float64 // dwell seconds by how in a's base cell
	}{
		{"every 30 s at one spot 12:00:00–12:04:30 (10 pings)",
			every(1, a, local(0, 12, 0, 0), local(0, 12, 4, 30), 30*time.Second),
			map[int16]float64{12: 270}},
		{"exactly 3 min counts",
			every(1, a, local(0, 12, 0, 0), local(0, 12, 3, 0), 30*time.Second),
			map[int16]float64{12: 180}},
		{"2 min at one spot: no dwell",
			every(1, a, local(0, 12, 0, 0), local(0, 12, 2, 0), 30*time.Second),
			map[int16]float64{}},
		{"moving 60 m away ends the run",
			append(every(1, a, local(0, 12, 0, 0), local(0, 12, 4, 0), 30*time.Second),
				every(1, b, local(0, 12, 4, 30), local(0, 12, 7, 0), 30*time.Second)...),
			map[int16]float64{12: 240}}, // the 150 s at b is too short
		{"11:58–12:05 splits across how 11 and 12",
			every(1, a, local(0, 11, 58, 0), local(0, 12, 5, 0), 30*time.Second),
			map[int16]float64{11: 120, 12: 300}},
		{"a gap of 11 min ends the run",
			append(every(1, a, local(0, 12, 0, 0), local(0, 12, 2, 0), 30*time.Second),
				every(1, a, local(0, 12, 13, 0), local(0, 12, 15, 0), 30*time.Second)...),
			map[int16]float64{}},
		{"a gap of 9 min does not",
			append(every(1, a, local(0, 12, 0, 0), local(0, 12, 2, 0), 30*time.Second),
				every(1, a, local(0, 12, 11, 0), local(0, 12, 13, 0), 30*time.Second)...),
			map[int16]float64{12: 780}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, s, tc.pings...)
			got := map[int16]float64{}
			for k, st := range r.Stats {
				if k.Res == 10 && k.How >= 0 && st.DwellSeconds != 0 {
					if k.Cell != ca {
						t.Errorf("dwell %v s in cell %x, want only in the anchor's cell %x", st.DwellSeconds, k.Cell, ca)
					}
					got[k.How] = st.DwellSeconds
				}
			}
			if !mapsEqual(got, tc.want) {
				t.Errorf("dwell by how = %v, want %v", got, tc.want)
			}
			sum := 0.0
			for _, v := range tc.want {
				sum += v
			}
			if g := r.Stats[Key{10, ca, AllHours}].DwellSeconds; g != sum {
				t.Errorf("week dwell = %v, want %v", g, sum)
			}
			if g := r.Ranges[0].DwellSeconds; g != sum {
				t.Errorf("range dwell = %v, want %v", g, sum)
			}
		})
	}
}

func TestDwellJitterAroundAnchor(t *testing.T) {
	// ±40 m either side of the anchor: consecutive pings are 80 m apart but
	// all within 50 m of the first ping, so it is one run.
	var ps []model.Ping
	t0 := local(0, 12, 0, 0)
	ps = append(ps, ping(1, t0, at(0, 0)))
	for i := 1; i <= 8; i++ {
		x := 40.0
		if i%2 == 0 {
			x = -40
		}
		ps = append(ps, ping(1, t0.Add(time.Duration(i)*30*time.Second), at(x, 0)))
	}
	r := run(t, DefaultSettings(), ps...)
	if got := r.Ranges[0].DwellSeconds; got != 240 {
		t.Errorf("dwell = %v, want 240", got)
	}
}

func mapsEqual(a, b map[int16]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !near(v, w, 1e-9) {
			return false
		}
	}
	return true
}

func TestRiderSeconds(t *testing.T) {
	a, b := at(0, 0), at(1000, 0)
	ca, cb := cellAt(t, a), cellAt(t, b)
	t0 := local(0, 12, 0, 0)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	r := run(t, DefaultSettings(),
		ping(1, sec(0), a),    // 60 s (to next)
		ping(1, sec(60), a),   // min(90, 120) = 90 s
		ping(1, sec(150), b),  // next is 850 s later > MaxGap: session ends, 30 s
		ping(1, sec(1000), b), // 10 s
		ping(1, sec(1010), a), // last ping: 30 s
	)
	for _, tc := range []struct {
		cell int64
		want float64
	}{{ca, 180}, {cb, 40}} {
		if got := r.Stats[Key{10, tc.cell, 12}].RiderSeconds; got != tc.want {
			t.Errorf("rider seconds in %x at how 12 = %v, want %v", tc.cell, got, tc.want)
		}
		if got := r.Stats[Key{10, tc.cell, AllHours}].RiderSeconds; got != tc.want {
			t.Errorf("rider seconds in %x all week = %v, want %v", tc.cell, got, tc.want)
		}
	}
	if got := r.Ranges[0].ActiveSeconds; got != 220 {
		t.Errorf("active seconds = %v, want 220", got)
	}

	// A capped interval crossing an hour boundary is split.
	r = run(t, DefaultSettings(),
		ping(1, local(0, 12, 59, 30), a), // min(90, 120) = 90: 30 in 12, 60 in 13
		ping(1, local(0, 13, 1, 0), a),   // 30 s in 13
	)
	if got := r.Stats[Key{10, ca, 12}]; got == nil || got.RiderSeconds != 30 || got.Pings != 1 {
		t.Errorf("how 12 = %+v, want 30 s and 1 ping", got)
	}
	if got := r.Stats[Key{10, ca, 13}]; got == nil || got.RiderSeconds != 90 || got.Pings != 1 || got.Riders != 1 {
		t.Errorf("how 13 = %+v, want 90 s, 1 ping, 1 rider", got)
	}
	// Rolled up to every resolution.
	for _, res := range []int{9, 8, 7} {
		k := Key{int8(res), parentCell(ca, res), AllHours}
		if got := r.Stats[k]; got == nil || got.RiderSeconds != 120 || got.Pings != 2 || got.Riders != 1 {
			t.Errorf("res %d week = %+v, want 120 s, 2 pings, 1 rider", res, got)
		}
	}
}

func TestDistinctRidersRollup(t *testing.T) {
	parent, err := h3.LatLngToCell(h3.NewLatLng(centre[1], centre[0]), 9)
	if err != nil {
		t.Fatal(err)
	}
	kids, err := parent.Children(10)
	if err != nil {
		t.Fatal(err)
	}
	ll1, _ := kids[0].LatLng()
	ll2, _ := kids[1].LatLng()
	p1, p2 := [2]float64{ll1.Lng, ll1.Lat}, [2]float64{ll2.Lng, ll2.Lat}
	c1, c2, pc := int64(kids[0]), int64(kids[1]), int64(parent)
	t0 := local(2, 18, 10, 0) // Wednesday 18:10
	how := int16(2*24 + 18)

	check := func(r *Result, k Key, wantRiders int32, wantPings int64) {
		t.Helper()
		st := r.Stats[k]
		if st == nil {
			t.Fatalf("no stat for %+v", k)
		}
		if st.Riders != wantRiders || st.Pings != wantPings {
			t.Errorf("%+v: riders %d pings %d, want riders %d pings %d", k, st.Riders, st.Pings, wantRiders, wantPings)
		}
	}
	// Two riders, one in each child.
	r := run(t, DefaultSettings(),
		ping(1, t0, p1),
		ping(2, t0.Add(time.Minute), p2))
	check(r, Key{10, c1, how}, 1, 1)
	check(r, Key{10, c2, how}, 1, 1)
	check(r, Key{9, pc, how}, 2, 2)
	check(r, Key{9, pc, AllHours}, 2, 2)
	check(r, Key{7, parentCell(pc, 7), AllHours}, 2, 2)
	if r.Riders != 2 || r.Pings != 2 {
		t.Errorf("riders %d pings %d, want 2 and 2", r.Riders, r.Pings)
	}

	// One rider in both children: 1 rider everywhere, not 2 in the parent.
	r = run(t, DefaultSettings(),
		ping(1, t0, p1),
		ping(1, t0.Add(time.Minute), p2))
	check(r, Key{10, c1, how}, 1, 1)
	check(r, Key{10, c2, how}, 1, 1)
	check(r, Key{9, pc, how}, 1, 2)
	check(r, Key{9, pc, AllHours}, 1, 2)
	check(r, Key{8, parentCell(pc, 8), how}, 1, 2)

	// Same rider in two hours: 1 rider per hour and 1 over the week.
	r = run(t, DefaultSettings(),
		ping(1, t0, p1),
		ping(1, t0.Add(time.Hour), p1))
	check(r, Key{10, c1, how}, 1, 1)
	check(r, Key{10, c1, how + 1}, 1, 1)
	check(r, Key{10, c1, AllHours}, 1, 2)

	// Cells: sorted by key, the same entries as Stats, and rider sets that
	// are sorted, distinct and exactly the riders behind Riders.
	if !slices.IsSortedFunc(r.Cells, func(a, b KeyStat) int { return cmpKey(a.Key, b.Key) }) {
		t.Error("Cells not sorted")
	}
	if len(r.Cells) != len(r.Stats) {
		t.Errorf("len(Cells) = %d, want %d (len(Stats))", len(r.Cells), len(r.Stats))
	}
	want, got := 0, 0
	for k, st := range r.Stats {
		want += int(st.Riders)
		keys := r.AppendRiderKeys(nil, st)
		if len(keys) != int(st.Riders) || !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Errorf("%+v: rider keys %v, want %d sorted distinct keys", k, keys, st.Riders)
		}
	}
	for _, c := range r.Cells {
		got += len(c.Stat.RiderOrds)
		if r.Stats[c.Key] == nil || r.Stats[c.Key].Riders != c.Stat.Riders {
			t.Errorf("%+v: Cells and Stats differ", c.Key)
		}
	}
	if got != want {
		t.Errorf("rider keys in Cells = %d, want %d (sum of Riders)", got, want)
	}
}

func TestParentCell(t *testing.T) {
	for i, pt := range [][2]float64{{31.2304, 121.4737}, {-33.86, 151.2}, {64.1, -21.9}, {0, 0}, {89.9, 10}} {
		c, err := h3.LatLngToCell(h3.NewLatLng(pt[0], pt[1]), 15)
		if err != nil {
			t.Fatal(err)
		}
		for res := 0; res <= 15; res++ {
			want, err := c.Parent(res)
			if err != nil {
				t.Fatal(err)
			}
			if got := parentCell(int64(c), res); got != int64(want) {
				t.Errorf("point %d res %d: parentCell = %x, want %x", i, res, got, int64(want))
			}
			if got := cellRes(int64(want)); got != res {
				t.Errorf("cellRes(%x) = %d, want %d", int64(want), got, res)
			}
		}
	}
}

func TestOutOfOrder(t *testing.T) {
	a := NewAggregator(DefaultSettings())
	pt := at(0, 0)
	c := cellAt(t, pt)
	t0 := local(0, 9, 0, 0)
	for i, p := range []model.Ping{
		ping(7, t0.Add(10*time.Second), pt),
		ping(8, t0.Add(5*time.Second), pt), // another rider, earlier: fine
		ping(7, t0.Add(20*time.Second), pt),
		ping(7, t0.Add(20*time.Second), pt), // same time: fine
		ping(8, t0.Add(6*time.Second), pt),
	} {
		if err := a.Add(p, c); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
	}
	err := a.Add(ping(7, t0.Add(15*time.Second), pt), c)
	if !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("err = %v, want ErrOutOfOrder", err)
	}
	if !strings.Contains(err.Error(), "rider 7") {
		t.Errorf("error %q does not name rider key 7", err)
	}
	// The aggregator stays usable and the bad ping is ignored.
	if err := a.Add(ping(7, t0.Add(30*time.Second), pt), c); err != nil {
		t.Fatal(err)
	}
	r := a.Finish()
	if r.Pings != 6 || r.Riders != 2 {
		t.Errorf("pings %d riders %d, want 6 and 2", r.Pings, r.Riders)
	}
	if err := a.Add(ping(7, t0.Add(time.Hour), pt), c); !errors.Is(err, ErrFinished) {
		t.Errorf("Add after Finish = %v, want ErrFinished", err)
	}
}

func TestAddRejects(t *testing.T) {
	a := NewAggregator(DefaultSettings())
	pt := at(0, 0)
	if err := a.Add(model.Ping{Rider: "short", Time: local(0, 1, 0, 0), Lat: pt[1], Lng: pt[0]}, cellAt(t, pt)); err == nil {
		t.Error("malformed rider id accepted")
	}
	c9, _ := CellOf(pt[1], pt[0], 9)
	if err := a.Add(ping(1, local(0, 1, 0, 0), pt), c9); err == nil {
		t.Error("res-9 cell accepted as base cell")
	}
	if _, err := CellOf(100, 0, 10); err == nil {
		t.Error("CellOf(lat 100) accepted")
	}
	bad := DefaultSettings()
	bad.Resolutions = []int{11}
	if err := NewAggregator(bad).Add(ping(1, local(0, 1, 0, 0), pt), cellAt(t, pt)); err == nil {
		t.Error("resolution finer than base accepted")
	}
}
