package release

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/store"
)

func TestLatticeMatchesParseHours(t *testing.T) {
	if len(Lattice) != 18 {
		t.Fatalf("lattice has %d views, want 18", len(Lattice))
	}
	for i, v := range Lattice {
		name := v.Name
		if name == "all" {
			name = ""
		}
		hs, err := activity.ParseHours(name)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if got := ViewOf(hs); got != i {
			t.Errorf("ViewOf(ParseHours(%q)) = %d, want %d", v.Name, got, i)
		}
	}
	// The map sends weekday lunch as explicit hour ranges.
	hs, _ := activity.ParseHours("11-13,35-37,59-61,83-85,107-109")
	if got := ViewOf(hs); got < 0 || Lattice[got].Name != "lunch:weekday" {
		t.Errorf("map's weekday lunch = view %d, want lunch:weekday", got)
	}
	for _, bad := range []string{"27-29", "0-26,30-167", "5", "lunch,breakfast"} {
		hs, _ := activity.ParseHours(bad)
		if ViewOf(hs) >= 0 {
			t.Errorf("hours %q is a view, want none", bad)
		}
		if CheckHours(hs) == nil {
			t.Errorf("CheckHours(%q) = nil, want a 403", bad)
		}
	}
}

func TestBlocksAndSetsMatchTheViews(t *testing.T) {
	for h := range 24 {
		b := namedBlockOfHour(h)
		sets := setsOfHour(h)
		for _, v := range Lattice {
			if v.Days != AllDays || v.Hours == nil {
				continue
			}
			inView := slices.Contains(v.Hours, int16(h))
			if inView != slices.Contains(v.Blocks, b) {
				t.Errorf("hour %d: in view %s = %t, but its block %d in the view's blocks = %t", h, v.Name, inView, b, !inView)
			}
			if inView != slices.Contains(sets, v.Set) {
				t.Errorf("hour %d: in view %s = %t, but set %d among the hour's sets = %t", h, v.Name, inView, v.Set, !inView)
			}
		}
		if !slices.Contains(sets, SetDay) {
			t.Errorf("hour %d is not in the day set", h)
		}
	}
}

func TestNoiseIsDeterministicAndNormal(t *testing.T) {
	n := NewNoise([]byte("a secret of sixteen bytes"))
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	if a, b := n.Normal(day, 7, 0, 1, 42, ""), n.Normal(day, 7, 0, 1, 42, ""); a != b {
		t.Errorf("same coordinates gave %v and %v", a, b)
	}
	if a, b := n.Normal(day, 7, 0, 1, 42, ""), n.Normal(day, 8, 0, 1, 42, ""); a == b {
		t.Errorf("another draw gave the same value %v", a)
	}
	if a, b := n.Normal(day, 7, 0, 1, 42, ""), NewNoise([]byte("another secret, 16+ bytes")).Normal(day, 7, 0, 1, 42, ""); a == b {
		t.Errorf("another key gave the same value %v", a)
	}
	var sum, sq float64
	const N = 20000
	for i := range N {
		z := n.Normal(day, 1, 1, 0, int64(i), "")
		sum += z
		sq += z * z
	}
	mean, variance := sum/N, sq/N-(sum/N)*(sum/N)
	if math.Abs(mean) > 0.03 || math.Abs(variance-1) > 0.05 {
		t.Errorf("mean %.3f variance %.3f, want 0 and 1", mean, variance)
	}
}

func TestParamsSigmas(t *testing.T) {
	p := DefaultParams(5)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// The ρ of the four figures, Δ²/(2σ²), add up to Rho.
	area := float64(p.MArea[0] + p.MArea[1] + p.MArea[2])
	rho := func(delta2, sigma float64) float64 { return delta2 / (2 * sigma * sigma) }
	got := rho(p.ClipHours*p.ClipHours, p.Sigma(FigureRiderHours, BlockDay)) +
		rho(p.ClipNamedHours*p.ClipNamedHours, p.Sigma(FigureRiderHours, BlockLunch)) +
		rho(float64(p.MDay)+area, p.Sigma(FigureRiders, SetDay)) +
		rho(5*(float64(p.MNamed)+area), p.Sigma(FigureRiders, SetLunch))
	if math.Abs(got-p.Rho) > 1e-9 {
		t.Errorf("ρ of the figures = %v, want %v", got, p.Rho)
	}
	if e := Epsilon(1, 1e-6); e < 8 || e > 9 {
		t.Errorf("ε(ρ=1, δ=1e-6) = %v, want about 8.4", e)
	}
}

// TestComputeBoundsEachRiderDay checks the contribution bounds on a
// hand-made day: one rider in 30 cells, one sitting 5 hours in one cell.
func TestComputeBoundsEachRiderDay(t *testing.T) {
	p := DefaultParams(5)
	p.MDay, p.MNamed, p.MArea = 3, 3, [3]int{1, 1, 1}
	p.ClipHours, p.ClipNamedHours = 1, 1
	d := &Domain{idx: map[int64]int32{}}
	base := cellsAround(t, 31)
	for i, c := range base {
		d.Cells = append(d.Cells, c)
		d.idx[c] = int32(i)
	}
	for l := range 3 {
		d.Area[l] = make([]int32, len(d.Cells))
		for i := range d.Area[l] {
			d.Area[l][i] = -1
		}
	}
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	t0 := dayStart(day, 8*time.Hour).Add(12 * time.Hour).UnixNano()
	var pings []store.DayPing
	// Rider 1 walks 30 cells (not cell 0), 10 minutes each (a ping every
	// minute): L2 norm √(30/36) < 1 h, not clipped.
	for i := range 300 {
		pings = append(pings, ping(1, t0+int64(i)*int64(time.Minute), base[1+i/10]))
	}
	// Rider 2 sits 5 hours in cell 0.
	for i := range 300 {
		pings = append(pings, ping(2, t0+int64(i)*int64(time.Minute), base[0]))
	}
	in := Compute(pings, d, p)
	if len(in.Riders) != 2 {
		t.Fatalf("rider-days = %d, want 2", len(in.Riders))
	}
	for s := range NumSets {
		var n float64
		for _, c := range in.Counts[s] {
			n += c
		}
		if n > 2*3 {
			t.Errorf("set %d: %v presences counted, want at most M·riders = 6", s, n)
		}
	}
	if in.ExactCounts[SetDay][d.Index(base[5])] != 1 {
		t.Errorf("exact riders of cell 5 = %v, want 1", in.ExactCounts[SetDay][5])
	}
	// Each rider-day's rider-hours have L2 norm at most ClipHours.
	var sum float64
	for b := range NumBlocks {
		for _, x := range in.Sums[b] {
			sum += x
		}
	}
	if sum > 2*2*p.ClipHours*math.Sqrt(30)+1e-9 {
		t.Errorf("total clipped rider-hours %v exceed the L2 bound", sum)
	}
	// Rider 2's 5 h in cell 0 (2 h of them lunch), each vector scaled to 1 h.
	i0 := d.Index(base[0])
	if got := in.Sums[BlockDay][i0]; math.Abs(got-p.ClipHours) > 1e-6 {
		t.Errorf("rider 2's whole day in cell 0 = %v h after clipping, want %v", got, p.ClipHours)
	}
	if got := in.Sums[BlockLunch][i0]; math.Abs(got-p.ClipHours) > 1e-6 {
		t.Errorf("rider 2's lunch in cell 0 = %v h after clipping, want %v", got, p.ClipHours)
	}
	if got := in.ExactSums[BlockDay][i0]; math.Abs(got-5) > 0.01 {
		t.Errorf("exact rider-hours of cell 0 = %v, want 5", got)
	}
	if in.Clipped != 1 {
		t.Errorf("clipped rider-days = %d, want 1", in.Clipped)
	}
}

// TestComputeNamedHoursAtOffset: the named hours are local hours under the
// configured UTC offset, not a fixed +8 h.
func TestComputeNamedHoursAtOffset(t *testing.T) {
	d := &Domain{idx: map[int64]int32{}}
	base := cellsAround(t, 1)
	d.Cells = append(d.Cells, base[0])
	d.idx[base[0]] = 0
	for l := range 3 {
		d.Area[l] = []int32{-1}
	}
	// 04:00–05:00 UTC: 12:00–13:00 (lunch) at +8 h, 23:00–24:00 at −5 h.
	t0 := time.Date(2026, 11, 2, 4, 0, 0, 0, time.UTC).UnixNano()
	var pings []store.DayPing
	for i := range 60 {
		pings = append(pings, ping(1, t0+int64(i)*int64(time.Minute), base[0]))
	}
	for _, c := range []struct {
		offset time.Duration
		lunch  bool
	}{{8 * time.Hour, true}, {-5 * time.Hour, false}} {
		p := DefaultParams(5)
		p.Offset = c.offset
		in := Compute(pings, d, p)
		if got := in.ExactSums[BlockLunch][0] > 0; got != c.lunch {
			t.Errorf("offset %v: lunch rider-hours %v, want lunch=%v", c.offset, in.ExactSums[BlockLunch][0], c.lunch)
		}
	}
}
