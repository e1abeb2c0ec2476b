package coverage_test

import (
	"context"
	"testing"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/model"
)

// TestOpeningHours: a 党群服务中心 open 09:00–17:00 covers its cells at lunch,
// not at night, and over the whole week only where most of a cell's
// rider-hours fall in its opening hours; single hours of week are exact.
func TestOpeningHours(t *testing.T) {
	st, city := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	cfg := config.Default()
	eng := coverage.New(st, coverage.DefaultSettings(cfg))
	analyze := func(hours string) *coverage.Analysis {
		t.Helper()
		hs, err := activity.ParseHours(hours)
		if err != nil {
			t.Fatal(err)
		}
		a, err := eng.Analyze(ctx, coverage.Params{Hours: hs})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	all := analyze("")
	// The service centre that alone covers the most demand.
	var best model.Site
	var sole []geo.Cell
	for _, s := range city.Sites {
		if s.Kind != model.KindServiceCenter || s.Status != model.StatusExisting {
			continue
		}
		var others []coverage.Site
		for _, p := range all.Presence {
			if p.ExtID != s.ExtID {
				others = append(others, p)
			}
		}
		base := all.CoveredBy(others, all.Settings.Radius)
		var cells []geo.Cell
		for i, c := range all.Cells {
			if c.Covered && !base[i] {
				cells = append(cells, c.Cell)
			}
		}
		if len(cells) > len(sole) {
			best, sole = s, cells
		}
	}
	if len(sole) == 0 {
		t.Fatal("no service centre covers demand alone")
	}
	lunchBefore, nightBefore := analyze("lunch"), analyze("night")
	hoursBefore, err := eng.HourCoverage(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	best.OpeningHours = "09:00-17:00"
	demotest.AddSite(t, st, best)

	lunch, night, week := analyze("lunch"), analyze("night"), analyze("")
	if !near(lunch.CoveredDemand, lunchBefore.CoveredDemand) {
		t.Errorf("lunch: covered %.3f, %.3f with the centre open around the clock", lunch.CoveredDemand, lunchBefore.CoveredDemand)
	}
	var soleNight float64
	for _, c := range sole {
		if i := night.CellIndex(c); i >= 0 {
			if night.Cells[i].Covered {
				t.Errorf("night: cell %x covered by a centre closed at night", uint64(c))
			}
			soleNight += night.Cells[i].Demand
		}
	}
	if soleNight <= 0 || !near(night.CoveredDemand, nightBefore.CoveredDemand-soleNight) {
		t.Errorf("night: covered %.3f, want %.3f less the centre's %.3f", night.CoveredDemand, nightBefore.CoveredDemand, soleNight)
	}
	// Whole week: covered where at least half the cell's rider-hours are
	// between 09:00 and 17:00 (reference from the raw hourly rows).
	var flips int
	for _, c := range sole {
		var tot, open float64
		rows, err := st.Pool.Query(ctx, `SELECT how, rider_seconds FROM hex_activity WHERE res = 9 AND cell = $1 AND how >= 0`, int64(c))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var how int16
			var rs float64
			if err := rows.Scan(&how, &rs); err != nil {
				t.Fatal(err)
			}
			tot += rs
			if h := how % 24; h >= 9 && h < 17 {
				open += rs
			}
		}
		rows.Close()
		want := tot > 0 && open/tot >= coverage.OpenShareMin
		if got := week.Cells[week.CellIndex(c)].Covered; got != want {
			t.Errorf("week: cell %x covered %v, open share %.2f", uint64(c), got, open/tot)
		}
		if !want {
			flips++
		}
	}
	t.Logf("centre %s: %d cells it alone covers, %d of them not covered over the week with 09:00-17:00", best.ExtID, len(sole), flips)
	// Single hours: Monday 03:00 loses the centre's cells, Monday 12:00 keeps them.
	hoursAfter, err := eng.HourCoverage(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	at := func(rs []coverage.RangeCoverage, name string) coverage.RangeCoverage {
		for _, r := range rs {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no range %s", name)
		return coverage.RangeCoverage{}
	}
	if a, b := at(hoursAfter, "how:12"), at(hoursBefore, "how:12"); !near(a.CoveredDemand, b.CoveredDemand) {
		t.Errorf("Monday 12:00: covered %.3f, was %.3f", a.CoveredDemand, b.CoveredDemand)
	}
	var lost float64
	for _, h := range []string{"how:0", "how:1", "how:2", "how:3", "how:4", "how:5", "how:6", "how:7", "how:8", "how:17", "how:18", "how:19", "how:20", "how:21", "how:22", "how:23"} {
		a, b := at(hoursAfter, h), at(hoursBefore, h)
		if a.CoveredDemand > b.CoveredDemand+1e-9 {
			t.Errorf("%s: covered %.3f, more than %.3f", h, a.CoveredDemand, b.CoveredDemand)
		}
		lost += b.CoveredDemand - a.CoveredDemand
	}
	if lost <= 0 {
		t.Error("closing the centre outside 09:00-17:00 lost no covered demand outside those hours")
	}
}
