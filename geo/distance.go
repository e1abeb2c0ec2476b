package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadiusM is the mean Earth radius in metres (IUGG R1), the value H3 uses.
const EarthRadiusM = 6371008.8

const degToRad = math.Pi / 180

// Haversine returns the great-circle distance in metres between two
// [lng, lat] points on a sphere of radius EarthRadiusM.
func Haversine(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*degToRad, b[1]*degToRad
	dlat := lat2 - lat1
	dlng := (b[0] - a[0]) * degToRad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(lat1)*math.Cos(lat2)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * EarthRadiusM * math.Asin(math.Sqrt(math.Min(1, h)))
}

// LocalProjection is an equirectangular projection centred on an origin:
// x metres east and y metres north of it, with the east scale taken at the
// origin's latitude. Distances computed from it are within 0.1% of
// great-circle distances up to 20 km from the origin. It does not handle the
// antimeridian or the poles.
type LocalProjection struct {
	origin orb.Point
	mPerDegLng,
	mPerDegLat float64
}

// NewLocalProjection returns the local projection centred on origin ([lng, lat]).
func NewLocalProjection(origin orb.Point) LocalProjection {
	mPerDeg := EarthRadiusM * degToRad
	return LocalProjection{
		origin:     origin,
		mPerDegLng: mPerDeg * math.Cos(origin[1]*degToRad),
		mPerDegLat: mPerDeg,
	}
}

// ToXY returns pt's position in metres east (x) and north (y) of the origin.
func (p LocalProjection) ToXY(pt orb.Point) (x, y float64) {
	return (pt[0] - p.origin[0]) * p.mPerDegLng, (pt[1] - p.origin[1]) * p.mPerDegLat
}

// ToLngLat is the inverse of ToXY.
func (p LocalProjection) ToLngLat(x, y float64) orb.Point {
	return orb.Point{p.origin[0] + x/p.mPerDegLng, p.origin[1] + y/p.mPerDegLat}
}
