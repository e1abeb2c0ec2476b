// Package release builds the published release — the only figures roles
// other than admin ever see — and holds the current one in memory.
//
// # Mechanism
//
// The protected unit is one rider's day (a rider's pings of one local
// calendar day, Asia/Shanghai). Each local day of data is released on its
// own (the data period); every release of a day costs each of its rider-days
// Params.Rho in zero-concentrated differential privacy (zCDP), and the
// budget ledger caps the total over every release of that day at
// Params.Budget (ρ = 1 by default: two releases of a day at ρ = 0.5).
//
// A day's release holds two figures, both over a fixed domain (every res-9
// cell of the admin areas' bounding box, or of the data's when no areas are
// loaded, and every admin area), so which cells exist reveals nothing:
//
//   - rider-hours per (block of hours, res-9 cell). The blocks partition the
//     day: breakfast 07–09, lunch 11–13, dinner 17–19, night 21–23 and 00,
//     other (every remaining hour). A rider-day's vector of hours over (block,
//     cell) is scaled down to L2 norm ≤ Params.ClipHours (whole day) or
//     ClipNamedHours (the named blocks); Gaussian noise of σ_h = clip / √(2 ρ_h)
//     is added to each value (ρ_h = Share·Rho).
//   - distinct riders per (hour set, unit), hour sets day, breakfast, lunch,
//     dinner, night and peak (lunch ∪ dinner), units res-9 cells, districts,
//     streets and communities. A rider-day counts in at most M of each
//     level's units per hour set (those it spent most time in), so its L2
//     sensitivity is √(6·ΣM) and σ_c = √(6·ΣM / (2 ρ_c)), ρ_c = Rho − ρ_h.
//
// Noise is drawn from a keyed PRF (HMAC-SHA256 under a key derived from
// HEXCOVER_SECRET) of (day, draw, figure, view, unit), where draw is the id of
// the release that last changed the value's exact input: asking again never
// draws new noise, and a new release of a day redraws only the values whose
// input changed. A release that redraws anything charges each rider-day of
// the day Rho; one that would take any rider-day over Budget is refused and
// the day's previous release stays (see docs/PRIVACY.md).
//
// # Views and post-processing
//
// Non-admins see 18 views (Lattice): the whole week, weekdays, weekends, and
// breakfast, lunch, dinner, night and peak on all days, weekdays and
// weekends, at resolutions 9, 8 and 7 and per district, street and community.
// Everything is computed from released values only (Published):
// rider-hours of a view sum the released blocks over the view's days;
// riders are the mean over the view's days of the released daily distinct
// riders; both are clamped at 0 and rounded. A res-9 cell is shown when its
// riders reach k; a res-8 or res-7 cell shows the sum of the rider-hours and
// the largest riders of its shown res-9 children (so a parent is never below
// a child, and no value below k ever enters a sum); an area shows the
// rider-hours of its shown cells and its own riders, raised to at least its
// largest child area's. Resolution 10 is not released (its sensitivity per
// rider-day would double the noise): non-admins get res 9 at every zoom.
package release

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Blocks of hours whose rider-hours are released: the whole day, and the
// four named ranges (peak is lunch + dinner).
const (
	BlockDay = iota
	BlockBreakfast
	BlockLunch
	BlockDinner
	BlockNight
	NumBlocks
)

// Hour sets of the daily distinct-rider counts.
const (
	SetDay = iota
	SetBreakfast
	SetLunch
	SetDinner
	SetNight
	SetPeak
	NumSets
)

// Figures of release_cells.
const (
	FigureRiderHours = 0 // view = block
	FigureRiders     = 1 // view = hour set
)

// Count levels: res-9 cells and the admin levels.
const (
	LevelCell = iota
	LevelDistrict
	LevelStreet
	LevelCommunity
	NumLevels
)

// AreaLevels names the admin levels, in Level order after LevelCell.
var AreaLevels = []string{"district", "street", "community"}

// Res is the resolution of the released cells.
const Res = 9

var setNames = [NumSets]string{"day", "breakfast", "lunch", "dinner", "night", "peak"}

// namedBlockOfHour is the named block of a local clock hour, or -1 (an
// hour outside every named range).
func namedBlockOfHour(h int) int {
	switch {
	case h >= 7 && h <= 9:
		return BlockBreakfast
	case h >= 11 && h <= 13:
		return BlockLunch
	case h >= 17 && h <= 19:
		return BlockDinner
	case h >= 21 || h == 0:
		return BlockNight
	}
	return -1
}

// setsOfHour are the hour sets a local clock hour belongs to.
func setsOfHour(h int) []int {
	switch namedBlockOfHour(h) {
	case BlockBreakfast:
		return []int{SetDay, SetBreakfast}
	case BlockLunch:
		return []int{SetDay, SetLunch, SetPeak}
	case BlockDinner:
		return []int{SetDay, SetDinner, SetPeak}
	case BlockNight:
		return []int{SetDay, SetNight}
	}
	return []int{SetDay}
}

// Days select the days of a view.
type Days int

// Day selections.
const (
	AllDays Days = iota
	Weekdays
	Weekends
)

func (d Days) has(day time.Time) bool {
	wd := day.Weekday()
	weekend := wd == time.Saturday || wd == time.Sunday
	switch d {
	case Weekdays:
		return !weekend
	case Weekends:
		return weekend
	}
	return true
}

// View is one of the fixed views non-admins see.
type View struct {
	Name   string // "all", "weekday", "lunch", "lunch:weekend", ...
	Set    int    // hour set of its distinct riders
	Blocks []int  // blocks of its rider-hours
	Days   Days
	Hours  []int16 // hours of week, sorted; nil = the whole week
}

// Lattice is the fixed list of views, in display order.
var Lattice = buildLattice()

func buildLattice() []View {
	var out []View
	named := []struct {
		name   string
		set    int
		blocks []int
		hours  []int
	}{
		{"", SetDay, []int{BlockDay}, nil},
		{"breakfast", SetBreakfast, []int{BlockBreakfast}, []int{7, 8, 9}},
		{"lunch", SetLunch, []int{BlockLunch}, []int{11, 12, 13}},
		{"dinner", SetDinner, []int{BlockDinner}, []int{17, 18, 19}},
		{"night", SetNight, []int{BlockNight}, []int{0, 21, 22, 23}},
		{"peak", SetPeak, []int{BlockLunch, BlockDinner}, []int{11, 12, 13, 17, 18, 19}},
	}
	for _, n := range named {
		for _, d := range []Days{AllDays, Weekdays, Weekends} {
			v := View{Set: n.set, Blocks: n.blocks, Days: d}
			suffix := [...]string{"", "weekday", "weekend"}[d]
			switch {
			case n.name == "" && suffix == "":
				v.Name = "all"
			case n.name == "":
				v.Name = suffix
			case suffix == "":
				v.Name = n.name
			default:
				v.Name = n.name + ":" + suffix
			}
			if n.name != "" || d != AllDays {
				for day := range 7 {
					if !d.has(time.Date(2026, 11, 2+day, 12, 0, 0, 0, time.UTC)) { // 2026-11-02 is a Monday
						continue
					}
					if n.hours == nil {
						for h := range 24 {
							v.Hours = append(v.Hours, int16(day*24+h))
						}
					}
					for _, h := range n.hours {
						v.Hours = append(v.Hours, int16(day*24+h))
					}
				}
				slices.Sort(v.Hours)
			}
			out = append(out, v)
		}
	}
	return out
}

// ViewOf returns the index in Lattice of the view whose hours are exactly
// hours (sorted and distinct, as activity.ParseHours returns them; nil = the
// whole week), or -1.
func ViewOf(hours []int16) int {
	for i, v := range Lattice {
		if slices.Equal(v.Hours, hours) {
			return i
		}
	}
	return -1
}

// ViewNames lists the lattice's names, for error messages and docs.
func ViewNames() []string {
	out := make([]string, len(Lattice))
	for i, v := range Lattice {
		out[i] = v.Name
	}
	return out
}

// ErrNotReleased explains which hours non-admins may ask for.
var ErrNotReleased = fmt.Errorf("these hours are not in the published release; outside the admin role ask for one of: " +
	"the whole week (no hours=), weekday, weekend, breakfast, lunch, dinner, night or peak, " +
	"each optionally as NAME:weekday or NAME:weekend")

// Params are the release's privacy parameters.
type Params struct {
	Rho       float64 // zCDP charged to each rider-day per release of its day (0.5)
	Budget    float64 // most zCDP any rider-day may be charged over all releases (1)
	ClipHours float64 // L2 bound of a rider-day's whole-day rider-hours, over cells (3 h)
	// ClipNamedHours bounds its rider-hours of the named blocks, over
	// (named block, cell) (1.5 h): their share of ρ is smaller, so the same
	// bound would give them noise of σ ≈ 9.5 h a day.
	ClipNamedHours float64
	// Share splits Rho between the four released figures: whole-day
	// rider-hours, named-block rider-hours, whole-day riders, named-set
	// riders (0.25, 0.1, 0.45, 0.2: the whole week is what the map and the
	// analyses show first).
	Share [4]float64
	// MDay and MNamed bound the res-9 cells a rider-day counts in, per hour
	// set: the whole day (400) and each named set (100); MArea the
	// districts, streets and communities (1, 2, 3), per hour set. Couriers
	// cross hundreds of res-9 cells a day: a smaller bound undercounts
	// every busy cell (M = 100 gave a 27% median error, 400 gives 4%).
	MDay, MNamed int
	MArea        [3]int
	K            int // threshold on the released distinct riders (HEXCOVER_K)
	// Offset makes local time (UTC + Offset, HEXCOVER_UTC_OFFSET): the
	// released days and the named hours are local.
	Offset time.Duration
}

// DefaultParams are the documented defaults.
func DefaultParams(k int) Params {
	if k <= 0 {
		k = 5
	}
	return Params{Rho: 0.5, Budget: 1, ClipHours: 3, ClipNamedHours: 1.5, Share: [4]float64{0.25, 0.1, 0.45, 0.2},
		MDay: 400, MNamed: 100, MArea: [3]int{1, 2, 3}, K: k, Offset: 8 * time.Hour}
}

// Validate checks the parameters.
func (p Params) Validate() error {
	var share float64
	for _, s := range p.Share {
		if !(s > 0) {
			return fmt.Errorf("release: every share must be > 0, got %v", p.Share)
		}
		share += s
	}
	switch {
	case !(p.Rho > 0) || p.Rho > p.Budget:
		return fmt.Errorf("release: rho %g must be > 0 and at most the budget %g", p.Rho, p.Budget)
	case math.Abs(share-1) > 1e-9:
		return fmt.Errorf("release: shares %v must add up to 1", p.Share)
	case !(p.ClipHours > 0) || !(p.ClipNamedHours > 0):
		return fmt.Errorf("release: clip hours %g and %g must be > 0", p.ClipHours, p.ClipNamedHours)
	case p.Offset < -14*time.Hour || p.Offset > 14*time.Hour:
		return fmt.Errorf("release: UTC offset %v must be within ±14 h", p.Offset)
	case p.K < 1:
		return fmt.Errorf("release: k %d must be ≥ 1", p.K)
	case p.MDay < 1 || p.MNamed < 1 || p.MArea[0] < 1 || p.MArea[1] < 1 || p.MArea[2] < 1:
		return fmt.Errorf("release: every M must be ≥ 1")
	}
	return nil
}

// Sigma is the noise (standard deviation) of one released value of a
// figure (FigureRiderHours or FigureRiders) and view (block or hour set),
// for one day and one unit. Each of the four figures is a Gaussian
// mechanism whose L2 sensitivity per rider-day is: ClipHours (whole-day
// rider-hours over cells), ClipNamedHours (named rider-hours over (block,
// cell)),
// √(MDay + ΣMArea) (whole-day riders) and √(5·(MNamed + ΣMArea)) (the
// five named sets' riders); σ = Δ / √(2 ρ_figure), so the ρ of the four add
// up to Rho.
func (p Params) Sigma(figure, view int) float64 {
	area := p.MArea[0] + p.MArea[1] + p.MArea[2]
	switch {
	case figure == FigureRiderHours && view == BlockDay:
		return p.ClipHours / math.Sqrt(2*p.Rho*p.Share[0])
	case figure == FigureRiderHours:
		return p.ClipNamedHours / math.Sqrt(2*p.Rho*p.Share[1])
	case view == SetDay:
		return math.Sqrt(float64(p.MDay+area) / (2 * p.Rho * p.Share[2]))
	}
	return math.Sqrt(float64((NumSets-1)*(p.MNamed+area)) / (2 * p.Rho * p.Share[3]))
}

// m is the cell bound of an hour set.
func (p Params) m(set int) int {
	if set == SetDay {
		return p.MDay
	}
	return p.MNamed
}

// Epsilon converts zCDP ρ to (ε, δ)-differential privacy:
// ε = ρ + 2√(ρ ln(1/δ)) (Bun and Steinke 2016, Prop. 1.3).
func Epsilon(rho, delta float64) float64 {
	return rho + 2*math.Sqrt(rho*math.Log(1/delta))
}
