package tiles

import (
	"context"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"
	"github.com/paulmach/orb/simplify"

	"github.com/hexcover/hexcover/internal/store"
)

// simplifyTolerance is the Douglas–Peucker tolerance in tile units (1/8 of a
// pixel of a 512-pixel tile is 1 unit; 2 units are invisible).
const simplifyTolerance = 2.0

// buildFeatures builds an areas, grids or sites tile; nil means no
// features. The rows come from memory (read once per data version) unless
// the layer is too large, in which case the tile's rows are read by the
// GiST index.
func (s *Service) buildFeatures(ctx context.Context, l Layer, t maptile.Tile, ver string) ([]byte, error) {
	q := s.tileBound(t)
	fs, err := s.data.featureSet(ctx, l, ver)
	if err != nil {
		return nil, err
	}
	var rows []store.Feature
	if fs.tooMany {
		if rows, err = s.st.FeaturesInBound(ctx, string(l), q, 0, 1<<20); err != nil {
			return nil, err
		}
	} else {
		for _, f := range fs.features {
			if f.bound.Intersects(q) {
				rows = append(rows, f.Feature)
			}
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	start := nowFunc()
	pr := s.projector(t)
	box := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	dp := simplify.DouglasPeucker(simplifyTolerance)
	layer := newLayer(string(l))
	props := make([]prop, 0, 8)
	for _, f := range rows {
		// project → clip → simplify → snap and orient, on a copy: the
		// cached rows are shared.
		g := project.Geometry(orb.Clone(f.Geometry), pr.float)
		g = clip.Geometry(box, g)
		if g == nil {
			continue
		}
		if l != LayerSites {
			g = dp.Simplify(g)
		}
		if g = finishGeometry(g); g == nil {
			continue
		}
		props = props[:0]
		for _, k := range propOrder[l] {
			switch v := f.Properties[k].(type) {
			case string:
				props = append(props, prop{k, strVal(v)})
			case int64:
				props = append(props, prop{k, intVal(v)})
			case float64:
				props = append(props, prop{k, floatVal(v)})
			}
		}
		layer.addGeometry(g, props)
	}
	if layer.count == 0 {
		return nil, nil
	}
	b, err := marshalGzip(layer)
	s.metrics.encode.WithLabelValues(string(l)).Observe(sinceSeconds(start))
	return b, err
}

// propOrder lists each feature layer's properties in encoding order.
var propOrder = map[Layer][]string{
	LayerAreas: {"code", "name", "name_en", "level"},
	LayerGrids: {"code", "name", "community_code", "street_code", "manager", "target"},
	LayerSites: {"id", "kind", "status", "name", "capacity", "amenities", "opening_hours"},
}
