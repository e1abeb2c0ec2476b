package coverage_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/model"
)

// The gaps tile layer's zone ids are those of /api/gaps.
func TestTileZonesMatchGaps(t *testing.T) {
	st, _ := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	g, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Zones) == 0 {
		t.Fatal("no gap zones in the demo city")
	}
	tz := coverage.TileZones{Engine: eng}
	for _, z := range g.Zones[:min(3, len(g.Zones))] {
		want, err := strconv.ParseInt(z.ID, 16, 64)
		if err != nil {
			t.Fatalf("zone id %q is not a hex cell", z.ID)
		}
		got, err := tz.Zones(ctx, 9, z.Cells, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range z.Cells {
			if got[c] != want {
				t.Errorf("res-9 cell %x of zone %s: tile zone %x", int64(c), z.ID, got[c])
			}
		}
		// A res-10 child of a zone cell belongs to the same zone.
		child := geo.Cell(0)
		if cs, err := z.Cells[0].Children(10); err == nil && len(cs) > 0 {
			child = cs[0]
		}
		got10, err := tz.Zones(ctx, 10, []geo.Cell{child}, true)
		if err != nil || got10[child] != want {
			t.Errorf("res-10 child %x of zone %s: tile zone %x (%v)", int64(child), z.ID, got10[child], err)
		}
	}
	// Coarser than the demand resolution: no zone.
	if got, err := tz.Zones(ctx, 8, []geo.Cell{geo.CellParent(g.Zones[0].Cells[0], 8)}, true); err != nil || len(got) != 0 {
		t.Errorf("res-8 zones = %v (%v), want none", got, err)
	}
}
