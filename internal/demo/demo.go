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
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/model"
)

// Limits of Params.
const (
	MaxRiders       = 200000
	MaxDays         = 60
	MinPingInterval = 10 * time.Second
	MaxPingInterval = 5 * time.Minute
)

// Defaults of `hexcover demo` (see docs/DEMO.md for where each comes from).
const (
	DefaultRiders       = 1000
	DefaultDays         = 7
	DefaultCourierShare = 0.25
	DefaultPingInterval = 60 * time.Second
	// legacyPingInterval is the interval when Params.PingInterval is zero:
	// the 30 s most platforms report at.
	legacyPingInterval = 30 * time.Second
)

// CST is China Standard Time (Asia/Shanghai has had no daylight saving since
// 1991), so no time zone database is needed.
var cst = time.FixedZone("CST", 8*3600)

// Params says which city to generate.
type Params struct {
	Seed int64
	// Riders is everyone in the data: food-delivery riders and express
	// couriers.
	Riders int
	Days   int
	// CourierShare is the share of Riders who are express couriers with a
	// fixed territory of a few grids (0 = none: only food-delivery riders).
	CourierShare float64
	// PingInterval is the mean time between two pings of one rider (±10%);
	// zero means 30 s.
	PingInterval time.Duration
	// ServiceHours are the opening hours given to every 党群服务中心
	// (service_center), as model.ParseOpeningHours reads them, e.g.
	// "09:00-17:00"; "" (the default) leaves every site always open.
	ServiceHours string
	// Start is the first day; only its date in Asia/Shanghai counts (the day
	// runs from 00:00 +08:00). The zero time means the default: a Monday
	// before today (DefaultStart).
	Start time.Time
}

// DefaultParams returns the parameters of `hexcover demo` without flags.
func DefaultParams() Params {
	return Params{Seed: 1, Riders: DefaultRiders, Days: DefaultDays, CourierShare: DefaultCourierShare,
		PingInterval: DefaultPingInterval}
}

// Couriers is how many of Riders are express couriers.
func (p Params) Couriers() int {
	return int(math.Round(p.CourierShare * float64(p.Riders)))
}

// PingIntervalOrDefault is PingInterval, or 30 s when it is zero.
func (p Params) PingIntervalOrDefault() time.Duration {
	if p.PingInterval == 0 {
		return legacyPingInterval
	}
	return p.PingInterval
}

// interval is the mean ping interval in whole seconds.
func (p Params) interval() int { return int(p.PingIntervalOrDefault() / time.Second) }

// DefaultStart is the first day of a demo of days days generated at now:
// the Monday (Asia/Shanghai) as many whole weeks before the current week
// as the days need, so that the last day ends before this week and the
// weekdays are always the same. A fixed date (it was 2026-11-02) ages: a
// server's retention (HEXCOVER_RETENTION_DAYS, 30) dropped the riders of a
// demo loaded a month later on its first start.
func DefaultStart(now time.Time, days int) time.Time {
	n := now.In(cst)
	monday := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	weeks := max(1, (days+6)/7)
	return monday.AddDate(0, 0, -7*weeks)
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	var errs []error
	if p.Riders < 1 || p.Riders > MaxRiders {
		errs = append(errs, fmt.Errorf("demo: riders must be between 1 and %d, got %d", MaxRiders, p.Riders))
	}
	if p.Days < 1 || p.Days > MaxDays {
		errs = append(errs, fmt.Errorf("demo: days must be between 1 and %d, got %d", MaxDays, p.Days))
	}
	if !(p.CourierShare >= 0 && p.CourierShare <= 1) {
		errs = append(errs, fmt.Errorf("demo: couriers share must be between 0 and 1, got %g", p.CourierShare))
	}
	if p.PingInterval != 0 && (p.PingInterval < MinPingInterval || p.PingInterval > MaxPingInterval) {
		errs = append(errs, fmt.Errorf("demo: ping interval must be between %s and %s, got %s", MinPingInterval, MaxPingInterval, p.PingInterval))
	}
	if _, err := model.ParseOpeningHours(p.ServiceHours); err != nil {
		errs = append(errs, fmt.Errorf("demo: service hours: %w", err))
	}
	return errors.Join(errs...)
}

// day0 is midnight +08:00 of the first day.
func (p Params) day0() time.Time {
	s := p.Start
	if s.IsZero() {
		return DefaultStart(time.Now(), p.Days)
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

// Kinds of riders.
const (
	KindFood    = "food"    // a food-delivery rider roaming between merchant clusters and homes
	KindCourier = "courier" // an express courier working a fixed territory of a few grids
)

// RawRider is a rider as a platform knows him, before pseudonymization.
type RawRider struct {
	PlatformID, Platform string
	Kind                 string // KindFood or KindCourier
	// Home is the index into City.Clusters of a food rider's home merchant
	// cluster; -1 for a courier.
	Home int
	// Territory is a courier's grids (indices into City.Grids), the one he
	// spends most time in first; nil for a food rider.
	Territory []int
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

	world    *world        // geometry the generator samples against
	plans    []riderPlan   // per food rider, parallel to Riders[:len(plans)]
	couriers []courierPlan // per courier, parallel to Riders[len(plans):]
	day0     time.Time     // midnight of the first day
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
		p.Start = DefaultStart(time.Now(), p.Days)
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
	if p.ServiceHours != "" {
		for i := range c.Sites {
			if c.Sites[i].Kind == model.KindServiceCenter {
				c.Sites[i].OpeningHours = p.ServiceHours
			}
		}
	}
	c.makeRiders()
	c.makeCouriers()
	return c, nil
}
