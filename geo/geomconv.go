package geo

import (
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// SRIDWGS84 is the EPSG code set on go-geom geometries built here.
const SRIDWGS84 = 4326

// ToGeom converts an orb polygon to a 2D go-geom polygon with SRID 4326.
// Rings are copied as they are (no closing or reorienting). A nil or empty
// polygon gives an empty go-geom polygon.
func ToGeom(p orb.Polygon) *geom.Polygon {
	n := 0
	for _, r := range p {
		n += len(r)
	}
	flat := make([]float64, 0, 2*n)
	ends := make([]int, 0, len(p))
	for _, r := range p {
		for _, pt := range r {
			flat = append(flat, pt[0], pt[1])
		}
		ends = append(ends, len(flat))
	}
	return geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(SRIDWGS84)
}

// FromGeom converts a go-geom polygon to an orb polygon, keeping the first
// two ordinates (x = lng, y = lat) of every coordinate. A nil polygon gives
// nil.
func FromGeom(p *geom.Polygon) orb.Polygon {
	if p == nil || p.NumLinearRings() == 0 {
		return nil
	}
	out := make(orb.Polygon, p.NumLinearRings())
	for i := range out {
		out[i] = flatToRing(p.LinearRing(i).FlatCoords(), p.Stride())
	}
	return out
}

// PointsToGeom converts points to a 2D go-geom multipoint with SRID 4326.
func PointsToGeom(pts []orb.Point) *geom.MultiPoint {
	flat := make([]float64, 0, 2*len(pts))
	for _, pt := range pts {
		flat = append(flat, pt[0], pt[1])
	}
	return geom.NewMultiPointFlat(geom.XY, flat).SetSRID(SRIDWGS84)
}

// flatToRing turns flat coordinates with the given stride into an orb ring.
func flatToRing(flat []float64, stride int) orb.Ring {
	if stride < 2 {
		return nil
	}
	r := make(orb.Ring, 0, len(flat)/stride)
	for i := 0; i+stride <= len(flat); i += stride {
		r = append(r, orb.Point{flat[i], flat[i+1]})
	}
	return r
}
