// Package demo generates a deterministic synthetic city — a Shanghai inner
// district with streets, communities, grids, merchant clusters, residences,
// stations and riders — for `make run`, tests and benchmarks.
//
// Everything is derived from Params.Seed through explicit PCG sources: the same
// Params give the same city and the same pings, byte for byte, on one
// architecture (compilers that fuse multiply-adds, as on arm64, may round the
// last bit differently from amd64). Riders are generated from their own
// sources, derived from the seed and the rider's index, so they can be made in
// parallel and streamed without holding every ping in memory.
package demo

import (
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/model"
)

// Limits of Params.
const (
	MaxRiders = 200000
	MaxDays   = 60
)

// CST is China Standard Time (Asia/Shanghai has had no daylight saving since
// 1991), so no time zone database is needed.
var cst = time.FixedZone("CST", 8*3600)

// Params says which city to generate.
type Params struct {
	Seed   int64
	Riders int
	Days   int
	// Start is the first day; only its date in Asia/Shanghai counts (the day
	// runs from 00:00 +08:00). The zero time means the default, 2026-11-02.
	Start time.Time
}

// DefaultParams returns the parameters of `hexcover demo` without flags.
func DefaultParams() Params {
	return Params{Seed: 1, Riders: 2000, Days: 2, Start: defaultStart()}
}

func defaultStart() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, cst) }

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	var errs []error
	if p.Riders < 1 || p.Riders > MaxRiders {
		errs = append(errs, fmt.Errorf("demo: riders must be between 1 and %d, got %d", MaxRiders, p.Riders))
	}
	if p.Days < 1 || p.Days > MaxDays {
		errs = append(errs, fmt.Errorf("demo: days must be between 1 and %d, got %d", MaxDays, p.Days))
	}
	return errors.Join(errs...)
}

// day0 is midnight +08:00 of the first day.
func (p Params) day0() time.Time {
	s := p.Start
	if s.IsZero() {
		return defaultStart()
	}
	s = s.In(cst)
	return time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, cst)
}

// Cluster kinds.
const (
	ClusterMall        = "mall"
	ClusterFoodStreet  = "food_street"
	ClusterResidential = "residential"
	ClusterOffice      = "office"
)

// Cluster is a place riders go: a merchant cluster (mall, food street), a
// residential compound or a street office.
type Cluster struct {
	Name, NameEn string
	Kind         string // "mall" | "food_street" | "residential" | "office"
	Location     orb.Point
	// Weight is a merchant cluster's share of orders, a compound's households
	// and 1 for an office.
	Weight float64
	// Unserved marks a merchant cluster more than 1.2 km from every existing
	// service centre, rest station and branch.
	Unserved bool
}

// IsMerchant reports whether riders pick up orders at the cluster.
func (c Cluster) IsMerchant() bool { return c.Kind == ClusterMall || c.Kind == ClusterFoodStreet }

// RawRider is a rider as a platform knows him, before pseudonymization.
type RawRider struct {
	PlatformID, Platform string
	Home                 int // index into City.Clusters of his home merchant cluster
}

// RawPing is one ping as a platform exports it.
type RawPing struct {
	PlatformID, Platform string
	Time                 time.Time
	Lat, Lng             float64
	Status               string // "idle", "delivering" or "waiting"
}

// City is a generated district.
type City struct {
	Params   Params
	District model.Area
	Areas    []model.Area // district first, then streets, then communities
	Grids    []model.Grid
	Sites    []model.Site
	Clusters []Cluster // merchant clusters, residences and offices
	Riders   []RawRider

	world *world      // geometry the generator samples against
	plans []riderPlan // per rider, parallel to Riders
	day0  time.Time   // midnight of the first day
}

// UnservedClusters returns the indices into Clusters of the merchant clusters
// flagged Unserved.
func (c *City) UnservedClusters() []int {
	var out []int
	for i, cl := range c.Clusters {
		if cl.Unserved {
			out = append(out, i)
		}
	}
	return out
}

// Generate builds the city for p. Pings are not generated until Pings or
// WriteFiles asks for them.
func Generate(p Params) (*City, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Start.IsZero() {
		p.Start = defaultStart()
	}
	w, err := buildWorld(p.Seed)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c := &City{Params: p, world: w, day0: p.day0()}
	c.Areas = w.areas
	c.District = w.areas[0]
	c.Grids = w.grids
	if err := c.placeClustersAndSites(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.makeRiders()
	return c, nil
}
