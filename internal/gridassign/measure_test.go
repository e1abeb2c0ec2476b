package gridassign_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb/planar"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/gridassign"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// TestMeasureTopCandidates measures, without a database, the share of grids
// whose top candidate spends at least 20% of his active time in the grid, on
// a demo city of any size (docs/DEMO.md). It runs only when asked:
//
//	HEXCOVER_MEASURE_RIDERS=35000 HEXCOVER_MEASURE_DAYS=1 go test -run TestMeasureTopCandidates -v ./internal/gridassign
//
// Each rider's pings go through the importer's aggregation (activity) as one
// period; the evidence, thresholds, weights and ranking are the Service's.
func TestMeasureTopCandidates(t *testing.T) {
	riders, _ := strconv.Atoi(os.Getenv("HEXCOVER_MEASURE_RIDERS"))
	if riders == 0 {
		t.Skip("set HEXCOVER_MEASURE_RIDERS (and HEXCOVER_MEASURE_DAYS, _SEED, _COURIERS_SHARE) to measure")
	}
	p := demo.DefaultParams()
	p.Riders = riders
	if v, err := strconv.Atoi(os.Getenv("HEXCOVER_MEASURE_DAYS")); err == nil {
		p.Days = v
	}
	if v, err := strconv.ParseInt(os.Getenv("HEXCOVER_MEASURE_SEED"), 10, 64); err == nil {
		p.Seed = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("HEXCOVER_MEASURE_COURIERS_SHARE"), 64); err == nil {
		p.CourierShare = v
	}
	start := time.Now()
	city, err := demo.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	// Which grid holds each res-9 cell centre ("in the grid").
	gridOf := map[int64]int{}
	gridFor := func(cell int64) int {
		if g, ok := gridOf[cell]; ok {
			return g
		}
		ctr := geo.CellCenter(geo.Cell(cell))
		g := -1
		for i, gr := range city.Grids {
			if gr.Geometry.Bound().Contains(ctr) && planar.MultiPolygonContains(gr.Geometry, ctr) {
				g = i
				break
			}
		}
		gridOf[cell] = g
		return g
	}
	type ev struct {
		s, d float64
		days int
	}
	perGrid := make([]map[int]*ev, len(city.Grids))
	active := make([]float64, len(city.Riders))
	dwell := make([]float64, len(city.Riders))
	dates := map[int64]bool{}
	idx := map[string]int{}
	for i, r := range city.Riders {
		idx[r.PlatformID] = i
	}
	var agg *activity.Aggregator
	cur := -1
	flush := func() {
		if agg == nil {
			return
		}
		res := agg.Finish()
		for _, rg := range res.Ranges {
			active[cur], dwell[cur] = rg.ActiveSeconds, rg.DwellSeconds
			for _, c := range rg.Cells {
				g := gridFor(c.Cell)
				if g < 0 {
					continue
				}
				if perGrid[g] == nil {
					perGrid[g] = map[int]*ev{}
				}
				e := perGrid[g][cur]
				if e == nil {
					e = &ev{}
					perGrid[g][cur] = e
				}
				e.s += c.Seconds
				e.d += c.DwellSeconds
				e.days = max(e.days, c.Days)
			}
		}
		agg = nil
	}
	pings := 0
	settings := activity.DefaultSettings()
	settings.Resolutions = []int{10}
	err = city.Pings(func(rp demo.RawPing) error {
		i := idx[rp.PlatformID]
		if i != cur {
			flush()
			cur = i
			agg = activity.NewAggregator(settings)
		}
		cell, err := geo.CellAt(rp.Lng, rp.Lat, 10)
		if err != nil {
			return err
		}
		pings++
		dates[activity.LocalDate(rp.Time, 8*time.Hour)] = true
		return agg.Add(model.Ping{Rider: model.RiderID(pid(i)), Time: rp.Time, Lat: rp.Lat, Lng: rp.Lng}, int64(cell))
	})
	if err != nil {
		t.Fatal(err)
	}
	flush()
	daysTotal := len(dates)
	w := gridassign.DefaultWeights()
	w.Stability = 0 // one period
	th := gridassign.DefaultThresholds()
	good, empty, food := 0, 0, 0
	for g := range city.Grids {
		var evs []gridassign.Evidence
		for r, e := range perGrid[g] {
			x := gridassign.EvidenceOf(store.GridEvidence{PID: pid(r), Seconds: e.s, DwellSeconds: e.d,
				Days: e.days, ActiveSeconds: active[r], TotalDwell: dwell[r], Periods: 1}, daysTotal)
			if th.Qualifies(x) {
				evs = append(evs, x)
			}
		}
		ranked := gridassign.Rank(evs, w, 1)
		switch {
		case len(ranked) == 0:
			empty++
		case ranked[0].TimeShare >= 0.2:
			good++
		}
		if len(ranked) > 0 {
			r, _ := strconv.ParseInt(ranked[0].Rider, 16, 64)
			if city.Riders[r-1].Kind == demo.KindFood {
				food++
			}
		}
	}
	n := len(city.Grids)
	t.Logf("seed %d, %d riders (%d couriers), %d days, %d pings, %s: top candidate ≥ 20%% in %d of %d grids (%.1f%%); %d grids with no suitable candidate; top is a food rider in %d",
		p.Seed, p.Riders, p.Couriers(), daysTotal, pings, time.Since(start).Round(time.Second), good, n, 100*float64(good)/float64(n), empty, food)
}

// pid is a made-up pseudonym whose first 12 characters (the short id) hold
// the rider's index.
func pid(i int) string { return fmt.Sprintf("%012x0000", i+1) }
