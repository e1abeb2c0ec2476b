package coverage

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// AreaSummary is activity, coverage and gaps in one administrative area.
// Outside the admin role figures come from the published release, and an
// area with fewer than k released riders is suppressed: it carries no
// figures at all (only its name, parent and bbox); the summary's Other row
// holds what the suppressed areas (and cells outside every area) add up to.
type AreaSummary struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	NameEn     string   `json:"name_en"`
	Parent     string   `json:"parent"`
	Pings      *int64   `json:"pings,omitempty"` // admin only
	Riders     *int64   `json:"riders"`          // distinct (released: mean per day of the view)
	RiderHours *float64 `json:"rider_hours"`
	// RiderHoursPerDay is RiderHours per average day of the view
	// (Summary.Days): what does not grow when more days are loaded.
	RiderHoursPerDay *float64   `json:"rider_hours_per_day"`
	DwellHours       *float64   `json:"dwell_hours,omitempty"` // admin only
	Demand           *float64   `json:"demand"`
	CoveredDemand    *float64   `json:"covered_demand"`
	CoveragePct      *float64   `json:"coverage_pct,omitempty"`
	Cells            *int       `json:"cells,omitempty"`
	GapCells         *int       `json:"gap_cells,omitempty"`
	GapZones         *int       `json:"gap_zones,omitempty"` // listed gap zones with most of their demand in the area
	BBox             [4]float64 `json:"bbox"`
	Suppressed       bool       `json:"suppressed,omitempty"`
}

// OtherCode and OtherName name the row that sums the suppressed areas.
const (
	OtherCode = "other"
	OtherName = "其余（不足k人）"
)

// Summary is the per-area report.
type Summary struct {
	Version string       `json:"version"`
	Level   string       `json:"level"`
	Metric  model.Metric `json:"metric"`
	Hours   []int16      `json:"hours,omitempty"`
	// Riders is the distinct riders of the whole view, counted from the
	// rider sets (never a sum over cells or areas): admins, every demand
	// cell; others, the released riders (mean per day) of the district
	// when the data holds one district and it is shown. nil otherwise.
	Riders *int64 `json:"riders,omitempty"`
	// Days is the number of dates of data the view spans (the loaded
	// dates on the weekdays its hours touch; released: its released
	// days). 0: the view holds no data.
	Days int `json:"days"`
	// RiderHours is the rider-hours of the whole view, and
	// RiderHoursPerDay the same per average day (RiderHours / Days).
	RiderHours       float64       `json:"rider_hours"`
	RiderHoursPerDay float64       `json:"rider_hours_per_day"`
	TotalDemand      float64       `json:"total_demand"`
	CoveredDemand    float64       `json:"covered_demand"`
	CoveragePct      float64       `json:"coverage_pct"`
	Released         bool          `json:"released,omitempty"` // figures from the published release
	Rows             []AreaSummary `json:"rows"`
	// Other sums the suppressed areas and the demand outside every area,
	// so that the rows and it add up to the totals (nil when nothing is
	// left over).
	Other *AreaSummary `json:"other,omitempty"`
}

// Summary reports activity, coverage and gaps per area of a level
// (district, street or community).
func (e *Engine) Summary(ctx context.Context, p Params, level string, v model.Viewer) (*Summary, error) {
	if _, err := model.ParseAreaLevel(level); err != nil {
		return nil, errs.E(errs.Invalid, "level: want district, street or community", err)
	}
	a, err := e.Analyze(ctx, e.ForViewer(p, v))
	if err != nil {
		return nil, err
	}
	areas := a.Areas[level]
	type acc struct {
		pings                   int64
		rh, dh, demand, covered float64
		cells, gapCells         int
	}
	accs := make([]acc, len(areas))
	// Each listed zone counts once, in the area holding most of its demand,
	// so the column adds up to /api/gaps' gap_zones; gap cells are those of
	// the listed zones, as in /api/gaps' gap_cells.
	zc, err := a.GapZonesByArea(ctx, e, v, level)
	if err != nil {
		return nil, err
	}
	gap := zc.Listed
	var cells []int64
	var groups []int32
	for i, c := range a.Cells {
		ar := a.AreaOf(level, i)
		if ar == nil {
			continue
		}
		j := a.areaIdx[level][ar.Code]
		x := &accs[j]
		x.pings += c.Pings
		x.rh += c.RiderHours
		x.dh += c.DwellHours
		x.demand += c.Demand
		x.cells++
		if c.Covered {
			x.covered += c.Demand
		}
		if gap[i] {
			x.gapCells++
		}
		cells = append(cells, int64(c.Cell))
		groups = append(groups, j)
	}
	s := &Summary{Version: a.Version, Level: level, Metric: a.Params.Metric, Hours: a.Params.Hours,
		TotalDemand: round3(a.TotalDemand), CoveredDemand: round3(a.CoveredDemand), CoveragePct: round3(CoverPct(a.CoveredDemand, a.TotalDemand)),
		Released: a.Params.Released, Days: a.Days, Rows: make([]AreaSummary, 0, len(areas))}
	var allRH float64
	for _, c := range a.Cells {
		allRH += c.RiderHours
	}
	s.RiderHours, s.RiderHoursPerDay = round3(allRH), round3(a.PerDay(allRH))
	var riders map[int32]int64
	var released map[string]ReleasedArea
	if a.Params.Released {
		if released, err = a.src.Areas(ctx, a.Params.Hours, level); err != nil {
			return nil, err
		}
		if ds := a.Areas["district"]; len(ds) == 1 {
			d, err := a.src.Areas(ctx, a.Params.Hours, "district")
			if err != nil {
				return nil, err
			}
			if ra := d[ds[0].Code]; ra.Shown {
				n := int64(ra.Riders)
				s.Riders = &n
			}
		}
	} else {
		if riders, err = e.st.DistinctRiders(ctx, a.Settings.DemandRes, a.Params.Hours, cells, groups); err != nil {
			return nil, err
		}
		n, err := e.st.DistinctRidersIn(ctx, a.Settings.DemandRes, a.Params.Hours)
		if err != nil {
			return nil, err
		}
		if v.Admin() || n >= int64(a.Settings.MinRiders) {
			s.Riders = &n
		}
	}
	var shownRH, shownDemand, shownCovered float64
	var suppressed, shownZones, shownGapCells int
	for j, ar := range areas {
		x := accs[j]
		r := AreaSummary{Code: ar.Code, Name: ar.Name, NameEn: ar.NameEn, Parent: ar.Parent, BBox: ar.BBox}
		var n int64
		if a.Params.Released {
			ra := released[ar.Code]
			n = int64(ra.Riders)
			r.Suppressed = !ra.Shown
		} else {
			n = riders[int32(j)]
			r.Suppressed = !v.Admin() && n < int64(a.Settings.MinRiders)
		}
		if r.Suppressed {
			suppressed++
			s.Rows = append(s.Rows, r)
			continue
		}
		rh, d, cv, pct := round3(x.rh), round3(x.demand), round3(x.covered), round3(CoverPct(x.covered, x.demand))
		rhDay := round3(a.PerDay(x.rh))
		cellsN, gapN, zonesN := x.cells, x.gapCells, zc.ByArea[int32(j)]
		r.RiderHoursPerDay = &rhDay
		r.Riders, r.RiderHours, r.Demand, r.CoveredDemand, r.CoveragePct = &n, &rh, &d, &cv, &pct
		r.Cells, r.GapCells, r.GapZones = &cellsN, &gapN, &zonesN
		if !a.Params.Released {
			pings, dh := x.pings, round3(x.dh)
			r.Pings, r.DwellHours = &pings, &dh
		}
		shownRH += x.rh
		shownZones += zonesN
		shownGapCells += gapN
		shownDemand += x.demand
		shownCovered += x.covered
		s.Rows = append(s.Rows, r)
	}
	if a.Params.Released || suppressed > 0 {
		var totalRH float64
		for _, c := range a.Cells {
			totalRH += c.RiderHours
		}
		rh, d, cv := round3(max(0, totalRH-shownRH)), round3(max(0, a.TotalDemand-shownDemand)), round3(max(0, a.CoveredDemand-shownCovered))
		if suppressed > 0 || d > 0 {
			rhDay := round3(a.PerDay(max(0, totalRH-shownRH)))
			// The gap zones held mostly by suppressed areas, or by none.
			zn, gc := zc.Zones-shownZones, zc.Cells-shownGapCells
			s.Other = &AreaSummary{Code: OtherCode, Name: OtherName, NameEn: "other (fewer than k riders)", RiderHours: &rh, RiderHoursPerDay: &rhDay, Demand: &d, CoveredDemand: &cv,
				GapZones: &zn, GapCells: &gc}
		}
	}
	return s, nil
}

// RangeCoverage is the coverage of demand in one range of hours of week.
type RangeCoverage struct {
	Name  string  `json:"name"` // "all", a named range, or "how:N"
	Hours []int16 `json:"hours,omitempty"`
	// Days is the number of dates of data the range spans (0: none, so
	// its coverage reads "no data", not 0%).
	Days          int     `json:"days"`
	TotalDemand   float64 `json:"total_demand"`
	CoveredDemand float64 `json:"covered_demand"`
	CoveragePct   float64 `json:"coverage_pct"`
}

// HourCoverage reports coverage for the whole week, for each named range
// (breakfast, lunch, dinner, night, peak) and for each of the 168 hours of
// week. Named ranges are exact analyses (distinct riders over the union of
// their hours with the riders metric); single hours come from one pass over
// the hourly rows. Outside the admin role (with a release) the whole week
// and the named ranges come from the published release and there are no
// single hours.
func (e *Engine) HourCoverage(ctx context.Context, p Params, v model.Viewer) ([]RangeCoverage, error) {
	p = e.ForViewer(p, v)
	p.Hours = nil
	// The whole week, the named ranges, the single hours and the dates
	// they span are independent: computed side by side (each analysis is
	// cached and shared like any other).
	n := len(model.HourRanges)
	as := make([]*Analysis, 1+n)
	hours := make([][]int16, 1+n)
	var (
		hourly *[168][2]float64
		byDow  [8]int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range as {
		if i > 0 {
			hours[i], _ = activity.ParseHours(model.HourRanges[i-1].Name)
		}
		g.Go(func() error {
			q := p
			q.Hours = hours[i]
			a, err := e.Analyze(gctx, q)
			if err != nil {
				return err
			}
			as[i] = a
			if i == 0 && !p.Released {
				hourly, err = a.hourly168(gctx, e)
			}
			return err
		})
	}
	if !p.Released {
		g.Go(func() error {
			var err error
			byDow, err = e.st.DatesByWeekday(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]RangeCoverage, 0, 1+n+168)
	for i, a := range as {
		name := "all"
		if i > 0 {
			name = model.HourRanges[i-1].Name
		}
		out = append(out, RangeCoverage{Name: name, Hours: hours[i], Days: a.Days, TotalDemand: round3(a.TotalDemand), CoveredDemand: round3(a.CoveredDemand),
			CoveragePct: round3(CoverPct(a.CoveredDemand, a.TotalDemand))})
	}
	if p.Released {
		return out, nil
	}
	for h, tc := range hourly {
		out = append(out, RangeCoverage{Name: fmt.Sprintf("how:%d", h), Hours: []int16{int16(h)}, Days: DatesIn(byDow, []int16{int16(h)}), TotalDemand: round3(tc[0]),
			CoveredDemand: round3(tc[1]), CoveragePct: round3(CoverPct(tc[1], tc[0]))})
	}
	return out, nil
}

// hourly168 is total and covered demand per hour of week of a whole-week
// analysis, computed on first use and kept with the analysis (so per data
// version). A cell is covered in an hour when a presence site covering it
// is open then (around the clock, or in its opening hours).
func (a *Analysis) hourly168(ctx context.Context, e *Engine) (*[168][2]float64, error) {
	a.hourMu.Lock()
	defer a.hourMu.Unlock()
	if a.hourly != nil {
		return a.hourly, nil
	}
	var out [168][2]float64
	err := e.st.CellHours(ctx, a.Settings.DemandRes, func(h store.CellHour) error {
		i := a.CellIndex(geo.Cell(h.Cell))
		if i < 0 || h.How < 0 || h.How > 167 {
			return nil
		}
		d := h.RiderSeconds / 3600
		if a.Params.Metric == model.MetricRiders {
			d = float64(h.Riders)
		}
		out[h.How][0] += d
		if a.coveredAt(i, int(h.How)) {
			out[h.How][1] += d
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.hourly = &out
	return a.hourly, nil
}

// coveredAt tells whether cell i is covered in hour of week h by the
// analysis' presence sites, given their opening hours.
func (a *Analysis) coveredAt(i, h int) bool {
	if a.always[i] {
		return true
	}
	m := a.partTime[i]
	return m != nil && m[h]
}
