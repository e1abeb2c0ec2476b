// Package coverage computes which demand cells presence sites cover, coverage
// shares per area and hour range, and ranks gap zones.
package coverage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Settings are the coverage definitions. Defaults come from DefaultSettings.
type Settings struct {
	// DemandRes is the H3 resolution of demand cells (9, about 0.1 km²).
	DemandRes int
	// GapMinRiderHours is the demand at or above which an uncovered cell is
	// a gap cell when demand is rider-hours: 2 rider-hours in the selected
	// hours per average day of data (two riders waiting an hour a day, or
	// eight passing through for a quarter of an hour each), so loading more
	// days does not change what counts as a gap (Analysis.GapThreshold).
	GapMinRiderHours float64
	// GapMinRiders is the gap threshold when demand is distinct riders (5).
	GapMinRiders float64
	// GapDenseQuantile makes the threshold relative too: a gap cell also
	// needs demand at or above this quantile of the cells with demand (0.5:
	// the median), so gaps are dense activity, not every uncovered street
	// a rider crossed. 0 turns it off.
	GapDenseQuantile float64
	// MinRiders is k: outside the admin role a zone with fewer distinct
	// riders is not listed (config HEXCOVER_K).
	MinRiders int
	// ServiceRadiusM: presence kinds and their service radius (config
	// HEXCOVER_RADII).
	ServiceRadiusM map[string]float64
	// DefaultRadiusM is the radius of a site whose kind has none configured
	// (candidate sites, cell-centre candidates): the rest-station radius.
	DefaultRadiusM float64
	// CacheEntries bounds the in-memory cache of analyses (64). The tiles
	// warm 18 of them per data version (the admin's whole week and the
	// release's 17 views: tiles.Service.Warm), and the roles' and users'
	// own come on top: a smaller cache dropped the warmed whole week.
	CacheEntries int
	// Network turns on coverage by riding distance (network.go).
	Network NetworkSettings
}

// Defaults of Settings not taken from config.Config.
const (
	DefaultDemandRes        = 9
	DefaultGapMinRiderHours = 2.0
	DefaultGapMinRiders     = 5.0
	DefaultCacheEntries     = 64
)

// DefaultSettings derives the settings from the configuration.
func DefaultSettings(cfg config.Config) Settings {
	return Settings{
		DemandRes:        DefaultDemandRes,
		GapMinRiderHours: DefaultGapMinRiderHours,
		GapMinRiders:     DefaultGapMinRiders,
		GapDenseQuantile: 0.5,
		MinRiders:        cfg.MinRiders,
		ServiceRadiusM:   cfg.ServiceRadiusM,
		DefaultRadiusM:   cfg.DefaultRadiusM(),
		CacheEntries:     DefaultCacheEntries,
		Network:          networkSettings(cfg),
	}
}

// Radius is the service radius of a site kind: its configured presence
// radius, else DefaultRadiusM.
func (s Settings) Radius(kind string) float64 {
	if r, ok := s.ServiceRadiusM[kind]; ok && r > 0 {
		return r
	}
	return s.DefaultRadiusM
}

// IsPresence reports whether a kind counts as organization presence.
func (s Settings) IsPresence(kind string) bool {
	_, ok := s.ServiceRadiusM[kind]
	return ok
}

// Threshold is the gap threshold for a metric.
func (s Settings) Threshold(m model.Metric) float64 {
	if m == model.MetricRiders {
		return s.GapMinRiders
	}
	return s.GapMinRiderHours
}

// Params select what an analysis covers.
type Params struct {
	Hours  []int16      // hours of week; nil = the whole week
	Metric model.Metric // "" = model.MetricRiderHours; rider_hours or riders
	// Planned counts sites with status planned (of presence kinds) as
	// covering, as if they were built.
	Planned bool
	// Released analyses the published release (what non-admins see)
	// instead of the exact aggregates: its shown res-9 cells with released
	// riders and rider-hours only. Hours must then be a release view.
	Released bool
	// From and To (local dates, YYYY-MM-DD, inclusive; both or neither)
	// limit the analysis to the days between them, to compare before and
	// after a station opened. A date range is read from the per-day
	// release (ReleaseRanges), for every role: the exact aggregates are
	// kept per import, not per day. Released is then always set.
	From, To string
}

// ForViewer returns p with Released set for a viewer outside the admin
// role when the engine serves a release, and for anyone asking for a
// date range.
func (e *Engine) ForViewer(p Params, v model.Viewer) Params {
	p.Released = (!v.Admin() || p.From != "") && e.release != nil
	return p
}

// ReleaseRanges is implemented by a ReleaseSource that can serve the
// release of some days only (internal/release does): the source of an
// analysis with a date range.
type ReleaseRanges interface {
	Range(ctx context.Context, from, to time.Time) (ReleaseSource, error)
}

// source is the release an analysis of p reads: the engine's, or its
// days from p.From to p.To.
func (e *Engine) source(ctx context.Context, p Params) (ReleaseSource, error) {
	if e.release == nil {
		return nil, errs.E(errs.Invalid, "no published release is served: date ranges and released figures need one")
	}
	if p.From == "" {
		return e.release, nil
	}
	rr, ok := e.release.(ReleaseRanges)
	if !ok {
		return nil, errs.E(errs.Invalid, "this release source serves no date ranges")
	}
	from, to, err := ParseDateRange(p.From, p.To)
	if err != nil {
		return nil, err
	}
	return rr.Range(ctx, from, to)
}

// ParseDateRange reads a from/to pair of local dates (YYYY-MM-DD, from
// not after to, at most MaxRangeDays days).
func ParseDateRange(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	switch {
	case err1 != nil || err2 != nil:
		return f, t, errs.E(errs.Invalid, "from, to: want two dates YYYY-MM-DD")
	case t.Before(f):
		return f, t, errs.E(errs.Invalid, "from, to: from is after to")
	case t.Sub(f) > MaxRangeDays*24*time.Hour:
		return f, t, errs.Errorf(errs.Invalid, "from, to: at most %d days", MaxRangeDays)
	}
	return f, t, nil
}

// MaxRangeDays bounds a date range (a year and a day).
const MaxRangeDays = 366

// ReleaseSource is the published release as the analyses read it
// (internal/release implements it).
type ReleaseSource interface {
	// Version names the published release; analyses are cached under it.
	Version(ctx context.Context) (string, error)
	// Check returns the error to answer for hours that are not a view.
	Check(hours []int16) error
	// DemandCells returns the shown res-9 cells of the view with exactly
	// these hours.
	DemandCells(ctx context.Context, hours []int16) ([]ReleasedCell, error)
	// Areas returns the released figures of every area of a level in the
	// view with these hours, by code.
	Areas(ctx context.Context, hours []int16, level string) (map[string]ReleasedArea, error)
}

// ReleaseDays is implemented by a ReleaseSource that can say how many
// released days a view spans (internal/release does), so that released
// rider-hours can be read per average day.
type ReleaseDays interface {
	Days(ctx context.Context, hours []int16) (int, error)
}

// ReleasedCell is a shown cell of the release.
type ReleasedCell struct {
	Cell       int64
	Center     orb.Point
	Riders     float64
	RiderHours float64
	Areas      [3]string // district, street, community codes ("" none)
}

// ReleasedArea is an area's released figures; not Shown = below k, no figures.
type ReleasedArea struct {
	Riders     float64
	RiderHours float64
	Shown      bool
}

func (p Params) norm() Params {
	p.Hours = normHours(p.Hours)
	if p.Metric == "" {
		p.Metric = model.MetricRiderHours
	}
	return p
}

func (p Params) key() string {
	return fmt.Sprintf("%s|%s|%t|%t|%s|%s", hoursKey(p.Hours), p.Metric, p.Planned, p.Released, p.From, p.To)
}

// Site is a site as coverage sees it.
type Site struct {
	ID     int64     `json:"id"`
	ExtID  string    `json:"ext_id"`
	Kind   string    `json:"kind"`
	Status string    `json:"status"`
	Name   string    `json:"name"`
	Point  orb.Point `json:"-"`
	// Open is the hours of week the site is open (nil: always); see
	// coverMasks for what a part-time site covers.
	Open *model.WeekHours `json:"-"`
}

// Cell is a demand cell.
type Cell struct {
	Cell       geo.Cell
	Center     orb.Point
	Pings      int64
	RiderHours float64
	DwellHours float64
	Riders     int64   // distinct over the selected hours
	Demand     float64 // by the analysis metric
	Covered    bool    // by presence sites (Analysis.Presence)
	// Area of each level the centre lies in: index into Analysis.Areas[level], or -1.
	District, Street, Community int32
}

// Analysis is the coverage of demand cells for one Params and one data
// version. It is shared by the cache: treat it as read-only.
type Analysis struct {
	Params   Params
	Version  string
	Settings Settings
	Cells    []Cell
	Index    *Index // over the cell centres
	Sites    []Site // every site
	Presence []Site // the sites that cover (presence kinds; existing, planned too with Params.Planned)
	Areas    map[string][]store.AreaRow
	areaIdx  map[string]map[string]int32

	TotalDemand   float64
	CoveredDemand float64
	// Days is the number of dates of data the figures span: the local
	// dates holding activity on the weekdays the hours touch (every date
	// for the whole week; released: the released days of the view). Sums
	// (rider-hours) divided by Days are per average day, and do not grow
	// with the amount of data loaded. 0 when there is no data.
	Days    int
	cellIdx map[geo.Cell]int
	// Network is the road network when coverage is measured along it
	// (HEXCOVER_COVERAGE=network with roads loaded), else nil.
	Network *Network

	// hourWeights: rider-seconds per hour of week of the cells within
	// reach of part-time sites (admin analyses), by cell index.
	hourWeights map[int]*[168]float32
	// always and partTime: the presence sites' cover, around the clock and
	// the opening hours of part-time sites by cell (coverMasks).
	always   []bool
	partTime map[int]*model.WeekHours

	// src is the release a released analysis read (the engine's, or a
	// date range of it).
	src ReleaseSource

	hourMu sync.Mutex
	hourly *[168][2]float64 // total and covered demand per hour of week, computed once on demand

	zc zoneCache
}

// CellIndex returns the index in Cells of a cell, or -1.
func (a *Analysis) CellIndex(c geo.Cell) int {
	if i, ok := a.cellIdx[c]; ok {
		return i
	}
	return -1
}

// AreaOf returns the area of a level a cell lies in, or nil.
func (a *Analysis) AreaOf(level string, i int) *store.AreaRow {
	var j int32 = -1
	switch level {
	case "district":
		j = a.Cells[i].District
	case "street":
		j = a.Cells[i].Street
	case "community":
		j = a.Cells[i].Community
	}
	if j < 0 {
		return nil
	}
	return &a.Areas[level][j]
}

// PerDay is x per average day of the analysis (0 without data).
func (a *Analysis) PerDay(x float64) float64 {
	if a.Days <= 0 {
		return 0
	}
	return x / float64(a.Days)
}

// days is the number of dates of data an analysis of p spans (see
// Analysis.Days).
func (e *Engine) days(ctx context.Context, p Params) (int, error) {
	if p.Released {
		src, err := e.source(ctx, p)
		if err != nil {
			return 0, err
		}
		if rd, ok := src.(ReleaseDays); ok {
			return rd.Days(ctx, p.Hours)
		}
	}
	byDow, err := e.st.DatesByWeekday(ctx)
	if err != nil {
		return 0, err
	}
	return DatesIn(byDow, p.Hours), nil
}

// DatesIn counts the dates of byDow (dates per ISO weekday, index 1..7)
// on the weekdays that hours of week touch (nil: every weekday).
func DatesIn(byDow [8]int, hours []int16) int {
	var touched [8]bool
	if len(hours) == 0 {
		for d := 1; d <= 7; d++ {
			touched[d] = true
		}
	}
	for _, h := range hours {
		if h >= 0 && h < 168 {
			touched[h/24+1] = true
		}
	}
	n := 0
	for d := 1; d <= 7; d++ {
		if touched[d] {
			n += byDow[d]
		}
	}
	return n
}

// CoverPct is covered / total as a percentage (0 when there is no demand).
func CoverPct(covered, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * covered / total
}

// CoveredBy marks which cells any of the sites covers with radius(kind):
// within the radius, or within its network catchment (see Within); a site
// with opening hours only where it is open for most of the cell's demand
// in the analysed hours (coverMasks, openShare).
func (a *Analysis) CoveredBy(sites []Site, radius func(kind string) float64) []bool {
	cov, masks := a.coverMasks(sites, radius)
	for i, m := range masks {
		if a.openShare(i, m) >= OpenShareMin {
			cov[i] = true
		}
	}
	return cov
}

// Engine computes analyses from the store and caches them per data version
// and parameters.
type Engine struct {
	st  *store.Store
	set Settings

	release ReleaseSource // nil: no release (non-admins see exact figures above k)

	mu    sync.Mutex
	cache map[string]*entry
	order []string // insertion order, oldest first
}

// UseRelease makes analyses for non-admins (Params.Released) come from the
// published release.
func (e *Engine) UseRelease(src ReleaseSource) { e.release = src }

// Release returns the engine's release source (nil without one).
func (e *Engine) Release() ReleaseSource { return e.release }

type entry struct {
	once sync.Once
	a    *Analysis
	err  error
}

// New returns an engine over st.
func New(st *store.Store, s Settings) *Engine {
	if s.DemandRes == 0 {
		s.DemandRes = DefaultDemandRes
	}
	if s.CacheEntries <= 0 {
		s.CacheEntries = DefaultCacheEntries
	}
	if s.DefaultRadiusM <= 0 {
		s.DefaultRadiusM = 500
	}
	return &Engine{st: st, set: s, cache: map[string]*entry{}}
}

// Settings returns the engine's settings.
func (e *Engine) Settings() Settings { return e.set }

// Store returns the engine's store.
func (e *Engine) Store() *store.Store { return e.st }

// Analyze returns the coverage analysis for p on the current data, from the
// cache when the data version has not changed. Concurrent callers asking for
// the same analysis share one computation.
func (e *Engine) Analyze(ctx context.Context, p Params) (*Analysis, error) {
	a, err := e.analyze(ctx, p)
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// Another caller's request, which this one shared, went away: the
		// failed entry is gone from the cache, so compute afresh.
		a, err = e.analyze(ctx, p)
	}
	return a, err
}

func (e *Engine) analyze(ctx context.Context, p Params) (*Analysis, error) {
	p = p.norm()
	ver, err := e.st.CoverageVersion(ctx)
	if err != nil {
		return nil, err
	}
	if e.set.Network.Enabled {
		nv, err := e.st.DataVersion(ctx, "network")
		if err != nil {
			return nil, err
		}
		ver += fmt.Sprintf(".n%d", nv)
	}
	if p.From != "" && !p.Released {
		return nil, errs.E(errs.Invalid, "a date range is served from the published release (Params.Released)")
	}
	if p.Released {
		src, err := e.source(ctx, p)
		if err != nil {
			return nil, err
		}
		if err := src.Check(p.Hours); err != nil {
			return nil, err
		}
		rv, err := src.Version(ctx)
		if err != nil {
			return nil, err
		}
		ver += "," + rv
	}
	key := ver + "|" + p.key()
	e.mu.Lock()
	en, ok := e.cache[key]
	if !ok {
		en = &entry{}
		e.cache[key] = en
		e.order = append(e.order, key)
		for len(e.order) > e.set.CacheEntries {
			delete(e.cache, e.order[0])
			e.order = e.order[1:]
		}
	}
	e.mu.Unlock()
	en.once.Do(func() { en.a, en.err = e.compute(ctx, p, ver) })
	if en.err != nil {
		// Do not keep failures (a cancelled request, a timeout).
		e.mu.Lock()
		if e.cache[key] == en {
			delete(e.cache, key)
			e.order = slices.DeleteFunc(e.order, func(k string) bool { return k == key })
		}
		e.mu.Unlock()
		return nil, en.err
	}
	return en.a, nil
}

func (e *Engine) compute(ctx context.Context, p Params, ver string) (*Analysis, error) {
	a := &Analysis{Params: p, Version: ver, Settings: e.set, Areas: map[string][]store.AreaRow{},
		areaIdx: map[string]map[string]int32{}, cellIdx: map[geo.Cell]int{}}
	var rows []store.CoverageCell
	var released []ReleasedCell
	var err error
	if p.Released {
		if a.src, err = e.source(ctx, p); err != nil {
			return nil, err
		}
		if released, err = a.src.DemandCells(ctx, p.Hours); err != nil {
			return nil, err
		}
		rows = make([]store.CoverageCell, len(released))
		for i, c := range released {
			rows[i] = store.CoverageCell{Cell: c.Cell, Lng: c.Center[0], Lat: c.Center[1], RiderSeconds: c.RiderHours * 3600, Riders: int64(c.Riders)}
		}
	} else if rows, err = e.st.CoverageCells(ctx, e.set.DemandRes, p.Hours); err != nil {
		return nil, err
	}
	if a.Days, err = e.days(ctx, p); err != nil {
		return nil, err
	}
	pts := make([]orb.Point, 0, len(rows))
	a.Cells = make([]Cell, 0, len(rows))
	for _, r := range rows {
		c := Cell{Cell: geo.Cell(r.Cell), Center: orb.Point{r.Lng, r.Lat}, Pings: r.Pings, RiderHours: r.RiderSeconds / 3600,
			DwellHours: r.DwellSeconds / 3600, Riders: r.Riders, District: -1, Street: -1, Community: -1}
		c.Demand = c.RiderHours
		if p.Metric == model.MetricRiders {
			c.Demand = float64(c.Riders)
		}
		a.cellIdx[c.Cell] = len(a.Cells)
		a.Cells = append(a.Cells, c)
		pts = append(pts, c.Center)
	}
	a.Index = NewIndex(pts, 0)

	sites, err := e.st.CoverageSites(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		site := Site{ID: s.ID, ExtID: s.ExtID, Kind: s.Kind, Status: s.Status, Name: s.Name, Point: orb.Point{s.Lng, s.Lat}}
		// Stored hours were checked at import; any other text counts as
		// always open rather than hiding the site.
		site.Open, _ = model.ParseOpeningHours(s.OpeningHours)
		a.Sites = append(a.Sites, site)
		if e.set.IsPresence(s.Kind) && (s.Status == "existing" || (p.Planned && s.Status == "planned")) {
			a.Presence = append(a.Presence, site)
		}
	}
	if a.Network, err = e.network(ctx, a); err != nil {
		return nil, err
	}
	if err := a.loadHourWeights(ctx, e); err != nil {
		return nil, err
	}
	a.always, a.partTime = a.coverMasks(a.Presence, e.set.Radius)
	cov := a.CoveredBy(a.Presence, e.set.Radius)
	for i := range a.Cells {
		a.Cells[i].Covered = cov[i]
		a.TotalDemand += a.Cells[i].Demand
		if cov[i] {
			a.CoveredDemand += a.Cells[i].Demand
		}
	}

	for _, l := range model.AreaLevels {
		lv := string(l)
		areas, err := e.st.AreaRows(ctx, lv)
		if err != nil {
			return nil, err
		}
		a.Areas[lv] = areas
		idx := make(map[string]int32, len(areas))
		for j, ar := range areas {
			idx[ar.Code] = int32(j)
		}
		a.areaIdx[lv] = idx
	}
	var cas []store.CellArea
	if p.Released {
		// The release's own assignment of cells to areas.
		for _, c := range released {
			for l, code := range c.Areas {
				if code != "" {
					cas = append(cas, store.CellArea{Cell: c.Cell, Level: string(model.AreaLevels[l]), Code: code})
				}
			}
		}
	} else if cas, err = e.st.CellAreas(ctx, e.set.DemandRes); err != nil {
		return nil, err
	}
	for _, ca := range cas {
		i, ok := a.cellIdx[geo.Cell(ca.Cell)]
		if !ok {
			continue // a cell with activity only outside the selected hours
		}
		j, ok := a.areaIdx[ca.Level][ca.Code]
		if !ok {
			continue
		}
		switch ca.Level {
		case "district":
			a.Cells[i].District = j
		case "street":
			a.Cells[i].Street = j
		case "community":
			a.Cells[i].Community = j
		}
	}
	return a, nil
}
