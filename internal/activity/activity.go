// Package activity aggregates rider pings into H3 cells by hour of week —
// pings, distinct riders, rider-hours, dwell — and measures each rider's
// activity range.
//
// It is the pure, in-memory core: an Aggregator consumes pings (each rider's in
// time order) and Finish returns a Result whose parts are ready to COPY into
// the store. Nothing here touches a database.
//
// # Semantics
//
// Hour of week (How): 0 is Monday 00:00–01:00 local time, 167 is Sunday
// 23:00–24:00. Local time is UTC plus Settings.UTCOffset (Asia/Shanghai, +8 h,
// no daylight saving; a fixed offset, no tzdata). How = -1 in a Key means "all
// hours of the week".
//
// Rider seconds (the default demand metric, rider-hours = RiderSeconds/3600):
// each ping stands for the time from it to the rider's next ping, capped at
// PingCap (2 min). When the next ping is more than MaxGap (10 min) later, or
// there is none, the ping ends a session and stands for DefaultPingSeconds
// (30 s). The interval [t, t+w) is credited to the ping's base cell and split
// at hour boundaries, each hour of week getting its share.
//
// Dwell: a maximal run of consecutive pings of one rider that all lie within
// DwellRadiusM (50 m) of the run's first ping (the anchor), with no two
// consecutive pings more than MaxGap apart. The ping that breaks a run (too far
// from the anchor, or after a gap) anchors the next run. A run counts as dwell
// when last − first ≥ DwellMinDuration (3 min), and its dwell seconds are
// exactly last − first: a rider pinging every 30 s at one spot from 12:00:00
// to 12:04:30 (10 pings) dwells 270 s. Dwell is credited to the anchor's base
// cell, split at hour boundaries over [first, last].
//
// Presence and distinct riders: a rider is present in a (cell, how) when it has
// a ping there or any rider seconds or dwell seconds credited there; Stat.Riders
// counts distinct present riders per (res, cell, how) and per (res, cell, -1),
// computed from the rider sets of that cell itself (never summed across
// children or hours). Stat.RiderOrds lists the present riders (as indices
// into Result.RiderKeys) so that the store can keep counting distinct riders
// correctly across imports.
//
// Pings, RiderSeconds and DwellSeconds are additive and are rolled up from the
// base resolution to the coarser ones by summation. Internally they are summed
// as integer nanoseconds, so results do not depend on the order of riders or on
// sharding (AggregateParallel gives exactly the same Result as one Aggregator).
//
// Ranges: see Range.
package activity

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/model"
)

// ErrOutOfOrder is returned (wrapped, naming the rider key) by Add when a
// rider's ping is earlier than that rider's previous ping.
var ErrOutOfOrder = errors.New("activity: ping out of time order for rider")

// ErrFinished is returned by Add after Finish.
var ErrFinished = errors.New("activity: aggregator already finished")

// Settings are the definitions the aggregation works with.
type Settings struct {
	BaseRes     int   // H3 resolution of the cells passed to Add (10)
	Resolutions []int // resolutions of Result.Stats, each ≤ BaseRes (10, 9, 8, 7)
	RangeRes    int   // resolution of Range.Cells, ≤ BaseRes (9)

	UTCOffset time.Duration // local time = UTC + UTCOffset (+8 h, Asia/Shanghai)

	DwellRadiusM       float64       // dwell run radius around its anchor, metres (50)
	DwellMinDuration   time.Duration // shortest run that counts as dwell (3 min)
	MaxGap             time.Duration // a longer gap between pings ends a session and a dwell run (10 min)
	PingCap            time.Duration // most time one ping stands for within a session (2 min)
	DefaultPingSeconds float64       // time the last ping of a session stands for, seconds (30)

	// ReservoirSize bounds the points kept per rider for the hull and the
	// percentile distance (1000: at most 8 KB per rider for quantized pings,
	// as imports give, 12 KB otherwise).
	ReservoirSize int
	// RangeQuantile is the quantile of Range.P90M (0.9).
	RangeQuantile float64
}

// DefaultSettings returns the documented defaults.
func DefaultSettings() Settings {
	return Settings{
		BaseRes:            10,
		Resolutions:        []int{10, 9, 8, 7},
		RangeRes:           9,
		UTCOffset:          8 * time.Hour,
		DwellRadiusM:       50,
		DwellMinDuration:   3 * time.Minute,
		MaxGap:             10 * time.Minute,
		PingCap:            2 * time.Minute,
		DefaultPingSeconds: 30,
		ReservoirSize:      1000,
		RangeQuantile:      0.9,
	}
}

// Validate reports the first problem with s.
func (s Settings) Validate() error {
	if s.BaseRes < 0 || s.BaseRes > 15 {
		return fmt.Errorf("activity: base resolution %d out of range 0..15", s.BaseRes)
	}
	if len(s.Resolutions) == 0 {
		return errors.New("activity: no resolutions")
	}
	for _, r := range s.Resolutions {
		if r < 0 || r > s.BaseRes {
			return fmt.Errorf("activity: resolution %d out of range 0..%d (base)", r, s.BaseRes)
		}
	}
	if s.RangeRes < 0 || s.RangeRes > s.BaseRes {
		return fmt.Errorf("activity: range resolution %d out of range 0..%d (base)", s.RangeRes, s.BaseRes)
	}
	if s.UTCOffset%time.Second != 0 || s.UTCOffset < -14*time.Hour || s.UTCOffset > 14*time.Hour {
		return fmt.Errorf("activity: UTC offset %v is not a whole number of seconds within ±14h", s.UTCOffset)
	}
	if !(s.DwellRadiusM > 0) {
		return fmt.Errorf("activity: dwell radius %v m must be positive", s.DwellRadiusM)
	}
	if s.DwellMinDuration <= 0 || s.MaxGap <= 0 || s.PingCap <= 0 {
		return errors.New("activity: dwell minimum duration, max gap and ping cap must be positive")
	}
	if !(s.DefaultPingSeconds >= 0) || s.DefaultPingSeconds > 86400 {
		return fmt.Errorf("activity: default ping seconds %v out of range 0..86400", s.DefaultPingSeconds)
	}
	if s.ReservoirSize < 3 {
		return fmt.Errorf("activity: reservoir size %d must be at least 3", s.ReservoirSize)
	}
	if !(s.RangeQuantile >= 0 && s.RangeQuantile <= 1) {
		return fmt.Errorf("activity: range quantile %v out of range 0..1", s.RangeQuantile)
	}
	return nil
}

// Key identifies one aggregate: an H3 cell at a resolution and an hour of
// week, How = -1 for all hours of the week.
type Key struct {
	Res  int8
	Cell int64
	How  int16
}

// AllHours is the How of whole-week aggregates.
const AllHours int16 = -1

// Stat is the activity of one Key.
type Stat struct {
	Pings        int64
	RiderSeconds float64 // rider-hours × 3600
	DwellSeconds float64
	Riders       int32 // distinct riders present
	// RiderOrds are the riders present as indices into Result.RiderKeys,
	// ascending (so their keys are sorted) and distinct: len(RiderOrds) ==
	// Riders. 4 bytes a rider and entry instead of a key's 8 (the largest
	// part of an import's memory at its peak); Result.AppendRiderKeys gives
	// the keys. The slices of one Result share a backing array; do not
	// append to them.
	RiderOrds []int32
}

// KeyStat is one entry of Result.Cells.
type KeyStat struct {
	Key  Key
	Stat Stat
}

// cmpKey orders by Res, Cell, How. An H3 cell index holds its resolution in
// the bits just below the fixed mode bits, so ordering by Cell already orders
// by Res.
func cmpKey(a, b Key) int {
	switch {
	case a.Cell != b.Cell:
		if a.Cell < b.Cell {
			return -1
		}
		return 1
	case a.How != b.How:
		return int(a.How) - int(b.How)
	}
	return 0
}

// Result is what an aggregation produced.
type Result struct {
	// Stats holds every (res, cell, how) with activity, and the How = -1
	// totals, for all Settings.Resolutions. Each *Stat points into Cells.
	Stats map[Key]*Stat
	// Cells are the same entries as Stats (the same Stat values) in a slice
	// sorted by Res, Cell, How (How = -1 first): cheaper to iterate.
	Cells []KeyStat
	// Ranges has one entry per rider, sorted by RiderKey.
	Ranges []Range
	// RiderKeys are the keys (model.RiderID.Key) of the result's riders,
	// sorted and distinct: Stat.RiderOrds index it.
	RiderKeys []int64
	Pings     int64
	Riders    int
}

// AppendRiderKeys appends the keys of the riders present in s, an entry of
// r, to dst: sorted and distinct.
func (r *Result) AppendRiderKeys(dst []int64, s *Stat) []int64 {
	dst = slices.Grow(dst, len(s.RiderOrds))
	for _, o := range s.RiderOrds {
		dst = append(dst, r.RiderKeys[o])
	}
	return dst
}

// Range is a rider's activity range over the data seen (the period From–To).
//
// Centroid, GyrationM and ActiveSeconds are exact: the centroid is the
// time-weighted mean position (weights are the rider seconds of each ping) and
// GyrationM = sqrt(Σ wᵢ·dᵢ² / Σ wᵢ), both accumulated with running weighted
// (West/Welford) sums in an equirectangular projection around the rider's first
// ping. P90M (time-weighted quantile of the distance from the centroid) and
// Hull (convex hull, nil when the points span no area) are computed from a
// deterministic uniform reservoir sample of at most Settings.ReservoirSize
// pings (seeded by the rider key), exact for riders with no more pings than
// that; the hull always includes the rider's eight extreme points (min/max of
// x, y, x+y, x−y), so its extent is right even when sampled.
type Range struct {
	Rider    model.RiderID
	RiderKey int64
	From, To time.Time // first and last ping
	Days     int       // local dates with at least one ping

	Pings         int64
	ActiveSeconds float64 // sum of rider seconds
	DwellSeconds  float64

	Centroid  orb.Point
	GyrationM float64
	P90M      float64
	Hull      orb.Polygon

	// Cells are the RangeRes cells with the share of ActiveSeconds in each
	// (shares sum to 1), sorted by share descending, then cell.
	Cells []RangeCell
}

// RangeCell is one cell of a rider's range.
type RangeCell struct {
	Cell         int64
	Share        float64 // Seconds / Range.ActiveSeconds
	Seconds      float64 // rider seconds in the cell
	DwellSeconds float64 // dwell anchored in the cell
	Days         int     // local dates with a ping in the cell
}

// How returns the hour of week (0 = Monday 00:00–01:00 … 167 = Sunday
// 23:00–24:00) of t at local time UTC+offset.
func How(t time.Time, offset time.Duration) int16 {
	return howOfHour(floorDiv(t.UnixNano()+int64(offset), int64(time.Hour)))
}

// howOfHour maps a local hour index (hours since 1970-01-01 00:00 local, a
// Thursday) to its hour of week.
func howOfHour(h int64) int16 {
	return int16(((h+72)%168 + 168) % 168)
}

// LocalDate returns the local day number (days since 1970-01-01 local) of t.
func LocalDate(t time.Time, offset time.Duration) int64 {
	return floorDiv(t.UnixNano()+int64(offset), int64(24*time.Hour))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Period names the range's period by its local date span (UTC+offset):
// "2026-11-02", or "2026-11-02..2026-11-08" when it spans several dates.
func (r Range) Period(offset time.Duration) string {
	a := r.From.Add(offset).UTC().Format("2006-01-02")
	b := r.To.Add(offset).UTC().Format("2006-01-02")
	if a == b {
		return a
	}
	return a + ".." + b
}

// DateOf returns local day number d (LocalDate) as that date at 00:00 UTC,
// the form a PostgreSQL date is written from.
func DateOf(d int64) time.Time {
	return time.Unix(d*int64(24*time.Hour/time.Second), 0).UTC()
}
