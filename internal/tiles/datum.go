package tiles

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
)

// The basemap datum hook (HEXCOVER_BASEMAP_DATUM, Options.Datum).
//
// Over an external basemap in GCJ-02 (Amap, Tencent) the tiles are drawn in
// that datum: every vertex is shifted from WGS-84 into it in the projection
// (projector.world), before it is snapped to the tile grid, and a tile
// reads the data whose shifted position falls in it (tileBound). Each vertex
// is shifted on its own; the shift changes by a few metres per kilometre,
// so segments stay straight to well under a pixel. A hexagon crossing a
// tile edge gets the same vertices from both tiles, so borders stay
// seamless. The basemap layer (PostGIS) is not shifted: it is not drawn over
// an external basemap.

// datumShift returns the datum tiles are drawn in, or "" when that is
// WGS-84 and nothing moves.
func (s *Service) datumShift() geo.CRS {
	if s.o.Datum.Shifted() {
		return s.o.Datum
	}
	return ""
}

// projector is newProjector(t) drawing in the service's datum.
func (s *Service) projector(t maptile.Tile) projector {
	pr := newProjector(t)
	pr.datum = s.datumShift()
	return pr
}

// tileBound is the WGS-84 bound of the data tile t draws, buffer included:
// t's own bound, or under a shifted datum the region whose shifted
// position falls in it.
func (s *Service) tileBound(t maptile.Tile) orb.Bound {
	b := t.Bound(float64(Buffer) / Extent)
	if d := s.datumShift(); d != "" {
		b = d.BoundToWGS84(b)
	}
	return b
}

// datumKey is what a tile's cache key and ETag add for the datum, so a
// restart under another datum never revalidates a tile drawn in the old one.
func (s *Service) datumKey() string {
	if d := s.datumShift(); d != "" {
		return "&datum=" + string(d)
	}
	return ""
}
