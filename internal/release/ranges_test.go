package release

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/demo/demotest"
)

// TestRangeIsTheReleaseOfItsDays: a date range post-processes exactly the
// released days inside it: both days give the whole release, one day has
// one day's views, days without a release give nothing.
func TestRangeIsTheReleaseOfItsDays(t *testing.T) {
	ctx := context.Background()
	p := smallCity()
	p.Days = 2
	st, _ := demotest.LoadDemo(t, p)
	if _, err := newBuilder(st).Update(ctx); err != nil {
		t.Fatal(err)
	}
	whole, err := Load(ctx, st, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Days) != 2 {
		t.Fatalf("%d released days, want 2", len(whole.Days))
	}
	c := NewCurrent(st, 5)
	d1 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 0, 1)
	both, err := c.Range(ctx, d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	all := ViewOf(nil)
	if both.DaysIn(all) != 2 || !maps.Equal(both.Cells(all, Res), whole.Cells(all, Res)) {
		t.Errorf("both days: %d days, %d cells; the whole release %d cells", both.DaysIn(all), len(both.Cells(all, Res)), len(whole.Cells(all, Res)))
	}
	one, err := c.Range(ctx, d2, d2)
	if err != nil {
		t.Fatal(err)
	}
	if one.DaysIn(all) != 1 || len(one.Days) != 1 || !one.Days[0].Equal(whole.Days[1]) {
		t.Errorf("the second day: %d days %v", one.DaysIn(all), one.Days)
	}
	// One day's threshold is higher (less averaging of the noise): no more
	// cells shown than over both days, and every one at or above k.
	for cell, f := range one.Cells(all, Res) {
		if !f.Shown || f.Riders < float64(one.Threshold(all)) {
			t.Fatalf("cell %x shown below the one-day threshold: %+v", cell, f)
		}
	}
	none, err := c.Range(ctx, d1.AddDate(0, 1, 0), d1.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if none.DaysIn(all) != 0 || len(none.Cells(all, Res)) != 0 {
		t.Errorf("a range without releases: %d days, %d cells", none.DaysIn(all), len(none.Cells(all, Res)))
	}
	// CoverageSource serves a range as its own source.
	src, err := CoverageSource{C: c}.Range(ctx, d2, d2)
	if err != nil {
		t.Fatal(err)
	}
	n, err := src.(interface {
		Days(context.Context, []int16) (int, error)
	}).Days(ctx, nil)
	if err != nil || n != 1 {
		t.Errorf("range source days %d, %v", n, err)
	}
	cells, err := src.DemandCells(ctx, nil)
	if err != nil || len(cells) != len(one.Cells(all, Res)) {
		t.Errorf("range source cells %d (%v), want %d", len(cells), err, len(one.Cells(all, Res)))
	}
}
