// Package model holds the domain value types that flow from the readers through
// aggregation into the store and out to the analyses: pings, riders, sites,
// grids and administrative areas. It has no behaviour beyond validation of
// enumerations, and depends on nothing but orb.
package model

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// RiderID is the pseudonymous id of a rider: the lowercase hex HMAC-SHA256 of
// platform and platform id under HEXCOVER_SECRET. Raw platform ids never leave
// the reader that computed it.
type RiderID string

// Ping is one located observation of a rider, in WGS-84.
type Ping struct {
	Rider    RiderID
	Platform string
	Time     time.Time
	Lat, Lng float64
	Status   string // optional platform status (e.g. "idle", "delivering")
}

// SiteKind is what a site is.
type SiteKind string

// Site kinds. Which of them count as organization presence, and the service
// radius of each, are settings (internal/config).
const (
	KindServiceCenter SiteKind = "service_center" // party-and-mass service centre (党群服务中心)
	KindRestStation   SiteKind = "rest_station"   // rider rest station (驿站)
	KindFuelStation   SiteKind = "fuel_station"   // fuel station, candidate or existing rest point
	KindBranch        SiteKind = "branch"         // mobile or satellite branch
	KindCandidate     SiteKind = "candidate"      // any other candidate location
)

// SiteKinds lists every valid kind in display order.
var SiteKinds = []SiteKind{KindServiceCenter, KindRestStation, KindFuelStation, KindBranch, KindCandidate}

// ParseSiteKind validates a kind.
func ParseSiteKind(s string) (SiteKind, error) {
	for _, k := range SiteKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown site kind %q (want one of service_center, rest_station, fuel_station, branch, candidate)", s)
}

// SiteStatus says whether a site exists.
type SiteStatus string

// Site statuses.
const (
	StatusExisting  SiteStatus = "existing"
	StatusPlanned   SiteStatus = "planned"
	StatusCandidate SiteStatus = "candidate"
)

// ParseSiteStatus validates a status.
func ParseSiteStatus(s string) (SiteStatus, error) {
	switch SiteStatus(s) {
	case StatusExisting, StatusPlanned, StatusCandidate:
		return SiteStatus(s), nil
	}
	return "", fmt.Errorf("unknown site status %q (want existing, planned or candidate)", s)
}

// Site is a service station, fuel station or candidate location.
type Site struct {
	ID        int64  // store id; 0 before it is stored
	ExtID     string // the id in the source file; unique
	Kind      SiteKind
	Status    SiteStatus
	Name      string
	Capacity  int
	Amenities []string // e.g. "charging", "water", "meals", "toilet", "first_aid", "shade"
	// OpeningHours as ParseOpeningHours reads them ("09:00-17:00",
	// "Mo-Fr 09:00-17:00; Sa 10:00-14:00"); "" = always open.
	OpeningHours string
	Location     orb.Point
}

// AreaLevel is the level of an administrative area.
type AreaLevel string

// Administrative levels, coarse to fine.
const (
	LevelDistrict  AreaLevel = "district"
	LevelStreet    AreaLevel = "street"
	LevelCommunity AreaLevel = "community"
)

// ParseAreaLevel validates a level.
func ParseAreaLevel(s string) (AreaLevel, error) {
	switch AreaLevel(s) {
	case LevelDistrict, LevelStreet, LevelCommunity:
		return AreaLevel(s), nil
	}
	return "", fmt.Errorf("unknown area level %q (want district, street or community)", s)
}

// Area is a district, street (街道) or community (社区) polygon.
type Area struct {
	Code       string
	Name       string // Chinese name
	NameEn     string // English or pinyin name, may be empty
	Level      AreaLevel
	ParentCode string // empty for a district
	Geometry   orb.MultiPolygon
}

// Grid is a community grid (网格), the unit of community management.
type Grid struct {
	Code          string
	Name          string
	CommunityCode string
	StreetCode    string
	DistrictCode  string
	Manager       string
	Target        int // target number of part-time grid members
	Geometry      orb.MultiPolygon
}

// Key is the rider's compact store key: the first 63 bits of the pseudonym.
// Two riders share a key with probability about n²/2⁶⁴, negligible for any
// city. It returns 0 and an error for a malformed id.
func (r RiderID) Key() (int64, error) {
	if len(r) < 16 {
		return 0, fmt.Errorf("rider id %q is not a pseudonym", string(r))
	}
	var k uint64
	for i := 0; i < 16; i++ {
		c := r[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return 0, fmt.Errorf("rider id %q is not a pseudonym", string(r))
		}
		k = k<<4 | uint64(v)
	}
	return int64(k >> 1), nil
}
