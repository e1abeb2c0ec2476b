package geo

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Constants of the GCJ-02 ("Mars") transform: the Krasovsky 1940 ellipsoid
// and Baidu's BD-09 angular factor.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
	bdXPi       = math.Pi * 3000.0 / 180.0
)

// Iteration limits for the inverse transforms.
const (
	gcjInverseTol   = 1e-9 // degrees, about 0.1 mm
	gcjInverseSteps = 10
	bdInverseTol    = 1e-10 // degrees
	bdInverseSteps  = 3
)

// OutOfChina reports whether (lng, lat) lies outside the rough bounding box
// inside which GCJ-02 offsets are applied. The box is the one every public
// implementation uses; it includes some neighbouring countries.
func OutOfChina(lng, lat float64) bool {
	return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// WGS84ToGCJ02 converts a WGS-84 (GPS, OpenStreetMap) coordinate to GCJ-02
// (Amap/Gaode, Tencent). Points outside China are returned unchanged.
func WGS84ToGCJ02(lng, lat float64) (float64, float64) {
	if OutOfChina(lng, lat) {
		return lng, lat
	}
	dlng, dlat := gcjDelta(lng, lat)
	return lng + dlng, lat + dlat
}

// GCJ02ToWGS84 converts a GCJ-02 coordinate back to WGS-84. GCJ-02 has no
// closed-form inverse, so it starts from the usual one-step estimate (good to
// a few metres) and refines it by fixed-point iteration until the forward
// transform of the result is within 1e-9° of the input (or 10 steps).
// Points outside China are returned unchanged.
func GCJ02ToWGS84(lng, lat float64) (float64, float64) {
	if OutOfChina(lng, lat) {
		return lng, lat
	}
	dlng, dlat := gcjDelta(lng, lat)
	wlng, wlat := lng-dlng, lat-dlat // one-step estimate
	for range gcjInverseSteps {
		dlng, dlat = gcjDelta(wlng, wlat)
		elng, elat := wlng+dlng-lng, wlat+dlat-lat
		if math.Abs(elng) < gcjInverseTol && math.Abs(elat) < gcjInverseTol {
			break
		}
		wlng, wlat = wlng-elng, wlat-elat
	}
	return wlng, wlat
}

// gcjOneStepInverse is the inverse most libraries ship: subtract the offset
// computed at the GCJ-02 point. It is kept for tests that show why
// GCJ02ToWGS84 iterates.
func gcjOneStepInverse(lng, lat float64) (float64, float64) {
	if OutOfChina(lng, lat) {
		return lng, lat
	}
	dlng, dlat := gcjDelta(lng, lat)
	return lng - dlng, lat - dlat
}

// gcjDelta returns the GCJ-02 offset (degrees) at a WGS-84 point, without
// the out-of-China test.
func gcjDelta(lng, lat float64) (dlng, dlat float64) {
	x, y := lng-105.0, lat-35.0
	dlat = gcjTransformLat(x, y)
	dlng = gcjTransformLng(x, y)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dlat = (dlat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dlng = (dlng * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dlng, dlat
}

func gcjTransformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func gcjTransformLng(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// GCJ02ToBD09 converts a GCJ-02 coordinate to Baidu's BD-09.
func GCJ02ToBD09(lng, lat float64) (float64, float64) {
	z := math.Sqrt(lng*lng+lat*lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lng) + 0.000003*math.Cos(lng*bdXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 converts a BD-09 coordinate to GCJ-02: the usual closed-form
// inverse (good to about 20 cm) followed by fixed-point correction steps, so
// that GCJ02ToBD09 of the result reproduces the input to well under 1 cm.
func BD09ToGCJ02(lng, lat float64) (float64, float64) {
	x, y := lng-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	glng, glat := z*math.Cos(theta), z*math.Sin(theta)
	for range bdInverseSteps {
		blng, blat := GCJ02ToBD09(glng, glat)
		elng, elat := blng-lng, blat-lat
		if math.Abs(elng) < bdInverseTol && math.Abs(elat) < bdInverseTol {
			break
		}
		glng, glat = glng-elng, glat-elat
	}
	return glng, glat
}

// WGS84ToBD09 converts a WGS-84 coordinate to BD-09 (through GCJ-02).
func WGS84ToBD09(lng, lat float64) (float64, float64) {
	return GCJ02ToBD09(WGS84ToGCJ02(lng, lat))
}

// BD09ToWGS84 converts a BD-09 coordinate to WGS-84 (through GCJ-02).
func BD09ToWGS84(lng, lat float64) (float64, float64) {
	return GCJ02ToWGS84(BD09ToGCJ02(lng, lat))
}

// CRS names a geographic coordinate reference system used by Chinese map
// providers.
type CRS string

// The coordinate systems hexcover accepts.
const (
	WGS84 CRS = "wgs84" // GPS, OpenStreetMap
	GCJ02 CRS = "gcj02" // Amap/Gaode, Tencent, most platforms
	BD09  CRS = "bd09"  // Baidu
)

// ErrUnknownCRS is returned (wrapped) by ParseCRS for an unrecognised name.
var ErrUnknownCRS = errors.New("unknown coordinate system")

// ParseCRS parses a coordinate-system name, ignoring case and surrounding
// space. Valid names are "wgs84", "gcj02" and "bd09".
func ParseCRS(s string) (CRS, error) {
	switch c := CRS(strings.ToLower(strings.TrimSpace(s))); c {
	case WGS84, GCJ02, BD09:
		return c, nil
	}
	return "", fmt.Errorf("parse crs %q: %w (valid: %s, %s, %s)", s, ErrUnknownCRS, WGS84, GCJ02, BD09)
}

// ToWGS84 converts a coordinate expressed in c to WGS-84. A CRS value other
// than the three constants (use ParseCRS) returns the input unchanged.
func (c CRS) ToWGS84(lng, lat float64) (float64, float64) {
	switch c {
	case GCJ02:
		return GCJ02ToWGS84(lng, lat)
	case BD09:
		return BD09ToWGS84(lng, lat)
	}
	return lng, lat
}

// FromWGS84 converts a WGS-84 coordinate to c, for example to draw H3 cells
// over a GCJ-02 basemap. A CRS value other than the three constants returns
// the input unchanged.
func (c CRS) FromWGS84(lng, lat float64) (float64, float64) {
	switch c {
	case GCJ02:
		return WGS84ToGCJ02(lng, lat)
	case BD09:
		return WGS84ToBD09(lng, lat)
	}
	return lng, lat
}
