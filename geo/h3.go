package geo

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// Cell is an H3 cell index. It is an alias, so int64(cell) and Cell(v) work
// and h3-go's methods are available.
type Cell = h3.Cell

// Valid H3 resolutions.
const (
	MinRes = 0
	MaxRes = 15
)

// ErrInvalidInput is returned (wrapped) for NaN or out-of-range coordinates,
// bounds or resolutions.
var ErrInvalidInput = errors.New("invalid input")

func checkRes(res int) error {
	if res < MinRes || res > MaxRes {
		return fmt.Errorf("resolution %d outside %d..%d: %w", res, MinRes, MaxRes, ErrInvalidInput)
	}
	return nil
}

func checkLngLat(lng, lat float64) error {
	if math.IsNaN(lng) || math.IsNaN(lat) || lng < -180 || lng > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("coordinate (%v, %v) outside lng -180..180, lat -90..90: %w", lng, lat, ErrInvalidInput)
	}
	return nil
}

// CellAt returns the cell of resolution res that contains (lng, lat), in
// WGS-84 degrees.
func CellAt(lng, lat float64, res int) (Cell, error) {
	if err := checkRes(res); err != nil {
		return 0, fmt.Errorf("cell at: %w", err)
	}
	if err := checkLngLat(lng, lat); err != nil {
		return 0, fmt.Errorf("cell at: %w", err)
	}
	c, err := h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lng}, res)
	if err != nil {
		return 0, fmt.Errorf("cell at (%v, %v) res %d: %w", lng, lat, res, err)
	}
	return c, nil
}

// CellCenter returns the centre of c as [lng, lat]. An invalid cell gives the
// zero Point.
func CellCenter(c Cell) orb.Point {
	if !c.IsValid() {
		return orb.Point{}
	}
	ll, err := c.LatLng()
	if err != nil {
		return orb.Point{}
	}
	return orb.Point{ll.Lng, ll.Lat}
}

// CellPolygon returns the boundary of c as a single closed ring (first point
// repeated last), counter-clockwise, in [lng, lat]. An invalid cell gives nil.
// Cells crossing the antimeridian are not unwrapped.
func CellPolygon(c Cell) orb.Polygon {
	if !c.IsValid() {
		return nil
	}
	b, err := c.Boundary()
	if err != nil || len(b) == 0 {
		return nil
	}
	r := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	r = append(r, r[0])
	if r.Orientation() == orb.CW {
		r.Reverse()
	}
	return orb.Polygon{r}
}

// CellParent returns the ancestor of c at resolution res (c itself when res
// is c's resolution). It returns 0, not a valid cell, when res is finer than
// c's resolution or out of range, or when c is invalid.
func CellParent(c Cell, res int) Cell {
	if !c.IsValid() {
		return 0
	}
	p, err := c.Parent(res)
	if err != nil {
		return 0
	}
	return p
}

// DisplayRes returns the H3 resolution to draw at web-map zoom z: 7 up to
// zoom 10, 8 at 11, 9 at 12–13 and 10 from 14.
func DisplayRes(z int) int {
	switch {
	case z <= 10:
		return 7
	case z == 11:
		return 8
	case z <= 13:
		return 9
	default:
		return 10
	}
}

// EdgeLengthM returns the average hexagon edge length in metres at res, or 0
// if res is outside 0..15.
func EdgeLengthM(res int) float64 {
	m, err := h3.HexagonEdgeLengthAvgM(res)
	if err != nil {
		return 0
	}
	return m
}

// Neighbors returns the cells adjacent to c (6, or 5 for a pentagon), sorted
// ascending, excluding c. An invalid cell gives nil.
func Neighbors(c Cell) []Cell {
	if !c.IsValid() {
		return nil
	}
	disk, err := c.GridDisk(1)
	if err != nil {
		return nil
	}
	out := make([]Cell, 0, len(disk))
	for _, n := range disk {
		if n != c && n != 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// CellsInPolygon returns the cells of resolution res whose centres lie in p
// (outer ring p[0], holes p[1:]), sorted ascending without duplicates. An
// empty polygon gives no cells.
func CellsInPolygon(p orb.Polygon, res int) ([]Cell, error) {
	if err := checkRes(res); err != nil {
		return nil, fmt.Errorf("cells in polygon: %w", err)
	}
	if len(p) == 0 || len(p[0]) < 3 {
		return nil, nil
	}
	gp := h3.GeoPolygon{GeoLoop: ringToLoop(p[0])}
	for _, h := range p[1:] {
		gp.Holes = append(gp.Holes, ringToLoop(h))
	}
	cells, err := h3.PolygonToCells(gp, res)
	if err != nil {
		return nil, fmt.Errorf("cells in polygon res %d: %w", res, err)
	}
	return sortedUnique(cells), nil
}

// CellsInBound returns every cell of resolution res whose boundary
// intersects the bound b (not only those whose centre is inside), sorted
// ascending without duplicates. The test is planar in lng/lat degrees, which
// is exact enough at the resolutions hexcover uses (7–10).
func CellsInBound(b orb.Bound, res int) ([]Cell, error) {
	if err := checkRes(res); err != nil {
		return nil, fmt.Errorf("cells in bound: %w", err)
	}
	for _, pt := range []orb.Point{b.Min, b.Max} {
		if err := checkLngLat(pt[0], pt[1]); err != nil {
			return nil, fmt.Errorf("cells in bound: %w", err)
		}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return nil, fmt.Errorf("cells in bound: min %v greater than max %v: %w", b.Min, b.Max, ErrInvalidInput)
	}

	// A cell meeting the bound has its centre within one circumradius (the
	// edge length for a hexagon) of it. Pad by twice the average edge to
	// cover cells larger than average, then keep the exact intersections.
	pad := 2 * EdgeLengthM(res)
	maxAbsLat := math.Min(89, math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))+pad/(EarthRadiusM*degToRad))
	padLat := pad / (EarthRadiusM * degToRad)
	padLng := math.Min(180, pad/(EarthRadiusM*degToRad*math.Cos(maxAbsLat*degToRad)))
	minLng, maxLng := b.Min[0]-padLng, b.Max[0]+padLng
	minLat, maxLat := math.Max(-90, b.Min[1]-padLat), math.Min(90, b.Max[1]+padLat)
	loop := h3.GeoLoop{
		{Lat: minLat, Lng: minLng},
		{Lat: minLat, Lng: maxLng},
		{Lat: maxLat, Lng: maxLng},
		{Lat: maxLat, Lng: minLng},
	}
	candidates, err := h3.PolygonToCells(h3.GeoPolygon{GeoLoop: loop}, res)
	if err != nil {
		return nil, fmt.Errorf("cells in bound res %d: %w", res, err)
	}
	out := candidates[:0]
	for _, c := range candidates {
		if c == 0 {
			continue
		}
		if p := CellPolygon(c); p != nil && RingIntersectsBound(p[0], b) {
			out = append(out, c)
		}
	}
	return sortedUnique(out), nil
}

// RingIntersectsBound reports whether the closed region of ring r and the
// closed rectangle b share at least one point (planar, in degrees). It is the
// test CellsInBound applies to each candidate cell.
func RingIntersectsBound(r orb.Ring, b orb.Bound) bool {
	if len(r) == 0 || !r.Bound().Intersects(b) {
		return false
	}
	for _, pt := range r {
		if b.Contains(pt) {
			return true
		}
	}
	corners := [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}}
	for _, c := range corners {
		if planar.RingContains(r, c) {
			return true
		}
	}
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		for j := range corners {
			if segmentsIntersect(p, q, corners[j], corners[(j+1)%4]) {
				return true
			}
		}
	}
	return false
}

// segmentsIntersect reports whether the closed segments pq and uv meet.
func segmentsIntersect(p, q, u, v orb.Point) bool {
	d1 := cross(u, v, p)
	d2 := cross(u, v, q)
	d3 := cross(p, q, u)
	d4 := cross(p, q, v)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(u, v, p)) || (d2 == 0 && onSegment(u, v, q)) ||
		(d3 == 0 && onSegment(p, q, u)) || (d4 == 0 && onSegment(p, q, v))
}

// cross is the z component of (b-a) × (c-a).
func cross(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// onSegment reports whether c, collinear with ab, lies within its extent.
func onSegment(a, b, c orb.Point) bool {
	return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
}

func ringToLoop(r orb.Ring) h3.GeoLoop {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		r = r[:len(r)-1]
	}
	loop := make(h3.GeoLoop, len(r))
	for i, pt := range r {
		loop[i] = h3.LatLng{Lat: pt[1], Lng: pt[0]}
	}
	return loop
}

// sortedUnique sorts cells ascending and drops zeros and duplicates, in place.
func sortedUnique(cells []Cell) []Cell {
	cells = slices.DeleteFunc(cells, func(c Cell) bool { return c == 0 })
	slices.Sort(cells)
	return slices.Compact(cells)
}
