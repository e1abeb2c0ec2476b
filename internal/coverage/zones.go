package coverage

import (
	"context"
	"sync"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// zoneCache holds the gap zone of each demand cell of an analysis, computed
// once.
type zoneCache struct {
	once sync.Once
	of   map[geo.Cell]int64
}

// ZoneIDs maps every gap cell of a to its zone id: the zone's lowest cell as
// int64 (GapZone.ID is the same cell in hex).
func (a *Analysis) ZoneIDs() map[geo.Cell]int64 {
	a.zc.once.Do(func() {
		a.zc.of = map[geo.Cell]int64{}
		for _, comp := range a.zones(a.GapCells()) {
			id := int64(a.Cells[comp[0]].Cell) // comp is sorted; cells are in ascending order
			for _, i := range comp {
				if c := a.Cells[i].Cell; int64(c) < id {
					id = int64(c)
				}
			}
			for _, i := range comp {
				a.zc.of[a.Cells[i].Cell] = id
			}
		}
	})
	return a.zc.of
}

// TileZones serves the gaps tile layer's zone ids from the same analysis as
// /api/gaps (the whole week, rider-hours): a cell at the demand resolution or
// finer gets the zone of its demand-resolution parent; coarser cells span
// several demand cells and get none (0).
type TileZones struct{ Engine *Engine }

// Zones implements the tiles package's GapSource.
// Non-admins get the zones of the published release's analysis.
func (z TileZones) Zones(ctx context.Context, res int, cells []geo.Cell, admin bool) (map[geo.Cell]int64, error) {
	dr := z.Engine.Settings().DemandRes
	if res < dr {
		return nil, nil
	}
	a, err := z.Engine.Analyze(ctx, z.Engine.ForViewer(Params{}, viewerOf(admin)))
	if err != nil {
		return nil, err
	}
	ids := a.ZoneIDs()
	out := make(map[geo.Cell]int64, len(cells))
	for _, c := range cells {
		p := c
		if res > dr {
			p = geo.CellParent(c, dr)
		}
		if id, ok := ids[p]; ok {
			out[c] = id
		}
	}
	return out, nil
}

// viewerOf is an admin or a non-admin viewer.
func viewerOf(admin bool) model.Viewer {
	if admin {
		return model.Viewer{Name: "tiles", Role: model.RoleAdmin}
	}
	return model.Viewer{Name: "tiles"}
}
