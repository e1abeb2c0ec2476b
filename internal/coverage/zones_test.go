package coverage_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/model"
)

// On the demo city: every gap zone fits one station (all cell centres
// within its radius of its centre), the zones partition the gap cells,
// every street and community a zone touches is named, the gaps tile layer's
// source gives exactly the listed zones' cells with their ids and ranks
// (admin and non-admin), and the summary's zone column adds up to the list.
func TestGapZones(t *testing.T) {
	st, _ := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	set := coverage.DefaultSettings(config.Default())
	eng := coverage.New(st, set)
	a, err := eng.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	admin := model.Viewer{Role: model.RoleAdmin}
	g, err := eng.Gaps(ctx, coverage.Params{}, admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Zones) < 2 {
		t.Fatalf("%d gap zones in the demo city", len(g.Zones))
	}
	gap := a.GapCells()
	seen := map[geo.Cell]string{}
	var sizes []int
	maxSpan := 0.0
	for _, z := range g.Zones {
		if z.RadiusM <= 0 || z.RadiusM > set.DefaultRadiusM {
			t.Errorf("zone %d: radius %v, want (0, %v]", z.Rank, z.RadiusM, set.DefaultRadiusM)
		}
		streets, communities := map[string]bool{}, map[string]bool{}
		for _, c := range z.Cells {
			if d := geo.Haversine(z.Centre, geo.CellCenter(c)); d > z.RadiusM+0.5 {
				t.Errorf("zone %d: cell %x is %.0f m from the centre, radius %.0f m", z.Rank, uint64(c), d, z.RadiusM)
			}
			for _, c2 := range z.Cells {
				maxSpan = max(maxSpan, geo.Haversine(geo.CellCenter(c), geo.CellCenter(c2))/z.RadiusM)
			}
			if other, dup := seen[c]; dup {
				t.Errorf("cell %x in zones %s and %s", uint64(c), other, z.ID)
			}
			seen[c] = z.ID
			i := a.CellIndex(c)
			if i < 0 || !gap[i] {
				t.Errorf("zone %d: cell %x is not a gap cell", z.Rank, uint64(c))
				continue
			}
			if ar := a.AreaOf("street", i); ar != nil {
				streets[ar.Code] = true
			}
			if ar := a.AreaOf("community", i); ar != nil {
				communities[ar.Code] = true
			}
		}
		if !sameCodes(z.Streets, streets) || !sameCodes(z.Communities, communities) {
			t.Errorf("zone %d names streets %v communities %v; its cells touch %v and %v", z.Rank, z.Streets, z.Communities, streets, communities)
		}
		if len(z.Streets) > 0 && (z.Street == nil || z.Street.Code != z.Streets[0].Code) {
			t.Errorf("zone %d: street %v is not the first of %v", z.Rank, z.Street, z.Streets)
		}
		sizes = append(sizes, len(z.Cells))
	}
	n := 0
	for i := range gap {
		if gap[i] {
			n++
			if _, ok := seen[a.Cells[i].Cell]; !ok {
				t.Errorf("gap cell %x is in no zone", uint64(a.Cells[i].Cell))
			}
		}
	}
	if n != g.GapCells || len(g.Zones) != g.ZoneCount {
		t.Errorf("gap cells %d (list says %d), zones %d (list says %d)", n, g.GapCells, len(g.Zones), g.ZoneCount)
	}
	slices.Sort(sizes)
	t.Logf("%d zones over %d gap cells; cells per zone median %d max %d; largest diameter %.2f r", len(sizes), n, sizes[len(sizes)/2], sizes[len(sizes)-1], maxSpan)

	// Tiles: the GapSource's cells are the listed zones' cells, with id and
	// rank, for both roles (no release here: non-admins see zones ≥ k).
	tz := coverage.TileZones{Engine: eng}
	for _, v := range []model.Viewer{admin, {Role: model.RolePlanner}} {
		list, err := eng.Gaps(ctx, coverage.Params{}, v, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64][2]int64{}
		for _, z := range list.Zones {
			id, err := strconv.ParseUint(z.ID, 16, 64)
			if err != nil {
				t.Fatalf("zone id %q", z.ID)
			}
			for _, c := range z.Cells {
				want[int64(c)] = [2]int64{int64(id), int64(z.Rank)}
			}
		}
		cells, err := tz.GapCells(ctx, nil, model.MetricPings, v.Admin())
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != len(want) {
			t.Errorf("%s: tiles have %d gap cells, /api/gaps %d", v.Role, len(cells), len(want))
		}
		for _, c := range cells {
			if w, ok := want[c.Cell]; !ok || w != [2]int64{c.Zone, int64(c.ZoneRank)} {
				t.Errorf("%s: tile cell %x zone %x rank %d; list %x rank %d (%v)", v.Role, uint64(c.Cell), uint64(c.Zone), c.ZoneRank, uint64(w[0]), w[1], ok)
			}
		}
		// The summary's column adds up to the list.
		for _, l := range model.AreaLevels {
			s, err := eng.Summary(ctx, coverage.Params{}, string(l), v)
			if err != nil {
				t.Fatal(err)
			}
			sum, cellSum := 0, 0
			if o := s.Other; o != nil && o.GapZones != nil {
				sum, cellSum = *o.GapZones, *o.GapCells
			}
			for _, r := range s.Rows {
				if r.GapZones != nil {
					sum += *r.GapZones
					cellSum += *r.GapCells
				}
			}
			if sum != list.ZoneCount || cellSum != list.GapCells {
				t.Errorf("%s %s summary: %d zones, %d gap cells; /api/gaps %d zones, %d cells", v.Role, l, sum, cellSum, list.ZoneCount, list.GapCells)
			}
		}
	}
}

func sameCodes(refs []coverage.AreaRef, codes map[string]bool) bool {
	if len(refs) != len(codes) {
		return false
	}
	for _, r := range refs {
		if !codes[r.Code] || r.Name == "" {
			return false
		}
	}
	return true
}
