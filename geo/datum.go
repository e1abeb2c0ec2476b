package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Basemap datums: drawing WGS-84 data over a basemap in another datum.
//
// A GCJ-02 basemap (Amap/Gaode, Tencent) draws every street 300–700 m away
// from where WGS-84 puts it (in Shanghai about 500 m). To make hexagons and
// sites sit on the right street, hexcover shifts every overlay vertex into
// the basemap's datum before drawing it, and shifts every coordinate the map
// reports back (a click, a view) into WGS-84 before using it. The shift is
// nonlinear, but it varies by only a few metres per kilometre, so shifting
// the vertices of a straight segment keeps it straight to well under a
// pixel at the zooms the map uses.

// boundSamples is how many points per edge BoundToWGS84 maps back.
const boundSamples = 8

// boundPad is added around BoundToWGS84's result: the mapped edges are
// sampled, and between samples the curve bends by far less than this
// (about 1 m).
const boundPad = 1e-5

// PointFromWGS84 returns p (WGS-84) as drawn on a basemap in datum c.
func (c CRS) PointFromWGS84(p orb.Point) orb.Point {
	lng, lat := c.FromWGS84(p[0], p[1])
	return orb.Point{lng, lat}
}

// PointToWGS84 returns p, a position on a basemap in datum c, in WGS-84.
func (c CRS) PointToWGS84(p orb.Point) orb.Point {
	lng, lat := c.ToWGS84(p[0], p[1])
	return orb.Point{lng, lat}
}

// Shifted reports whether c moves coordinates at all (anything but WGS-84
// and the empty value).
func (c CRS) Shifted() bool {
	return c == GCJ02 || c == BD09
}

// BoundToWGS84 returns a WGS-84 bound holding every point whose position in
// datum c falls inside b: the bound of a map tile of a GCJ-02 basemap is
// mapped back to the data to draw in it. The edges of b are sampled
// (boundSamples points each), mapped back and padded by about a metre. For
// WGS-84 (or an unknown c) b is returned as is.
func (c CRS) BoundToWGS84(b orb.Bound) orb.Bound {
	if !c.Shifted() {
		return b
	}
	out := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	add := func(lng, lat float64) {
		w := c.PointToWGS84(orb.Point{lng, lat})
		out = out.Extend(w)
	}
	for i := 0; i <= boundSamples; i++ {
		f := float64(i) / boundSamples
		lng := b.Min[0] + f*(b.Max[0]-b.Min[0])
		lat := b.Min[1] + f*(b.Max[1]-b.Min[1])
		add(lng, b.Min[1])
		add(lng, b.Max[1])
		add(b.Min[0], lat)
		add(b.Max[0], lat)
	}
	out.Min[0] -= boundPad
	out.Min[1] -= boundPad
	out.Max[0] += boundPad
	out.Max[1] += boundPad
	return out
}
