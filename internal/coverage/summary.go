package coverage

import (
	"context"
	"fmt"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// AreaSummary is activity, coverage and gaps in one administrative area.
// Outside the admin role an area with fewer than k distinct riders is
// suppressed: its activity figures are left out (null) and only its name,
// bbox and coverage share are shown.
type AreaSummary struct {
	Code          string     `json:"code"`
	Name          string     `json:"name"`
	NameEn        string     `json:"name_en"`
	Parent        string     `json:"parent"`
	Pings         *int64     `json:"pings"`
	Riders        *int64     `json:"riders"` // distinct, exact
	RiderHours    *float64   `json:"rider_hours"`
	DwellHours    *float64   `json:"dwell_hours"`
	Demand        *float64   `json:"demand"`
	CoveredDemand *float64   `json:"covered_demand"`
	CoveragePct   float64    `json:"coverage_pct"`
	Cells         int        `json:"cells"`
	GapCells      int        `json:"gap_cells"`
	GapZones      int        `json:"gap_zones"` // zones with at least one gap cell in the area
	BBox          [4]float64 `json:"bbox"`
	Suppressed    bool       `json:"suppressed,omitempty"`
}

// Summary is the per-area report.
type Summary struct {
	Version       string        `json:"version"`
	Level         string        `json:"level"`
	Metric        model.Metric  `json:"metric"`
	Hours         []int16       `json:"hours,omitempty"`
	TotalDemand   float64       `json:"total_demand"`
	CoveredDemand float64       `json:"covered_demand"`
	CoveragePct   float64       `json:"coverage_pct"`
	Rows          []AreaSummary `json:"rows"`
}

// Summary reports activity, coverage and gaps per area of a level
// (district, street or community).
func (e *Engine) Summary(ctx context.Context, p Params, level string, v model.Viewer) (*Summary, error) {
	if _, err := model.ParseAreaLevel(level); err != nil {
		return nil, errs.E(errs.Invalid, "level: want district, street or community", err)
	}
	a, err := e.Analyze(ctx, p)
	if err != nil {
		return nil, err
	}
	areas := a.Areas[level]
	type acc struct {
		pings                   int64
		rh, dh, demand, covered float64
		cells, gapCells         int
		zones                   map[int]bool
	}
	accs := make([]acc, len(areas))
	gap := a.GapCells()
	zoneOf := make([]int, len(a.Cells))
	for z, comp := range a.zones(gap) {
		for _, i := range comp {
			zoneOf[i] = z
		}
	}
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
			if x.zones == nil {
				x.zones = map[int]bool{}
			}
			x.zones[zoneOf[i]] = true
		}
		cells = append(cells, int64(c.Cell))
		groups = append(groups, j)
	}
	riders, err := e.st.DistinctRiders(ctx, a.Settings.DemandRes, a.Params.Hours, cells, groups)
	if err != nil {
		return nil, err
	}
	s := &Summary{Version: a.Version, Level: level, Metric: a.Params.Metric, Hours: a.Params.Hours,
		TotalDemand: round3(a.TotalDemand), CoveredDemand: round3(a.CoveredDemand), CoveragePct: round3(CoverPct(a.CoveredDemand, a.TotalDemand)),
		Rows: make([]AreaSummary, 0, len(areas))}
	for j, ar := range areas {
		x := accs[j]
		r := AreaSummary{Code: ar.Code, Name: ar.Name, NameEn: ar.NameEn, Parent: ar.Parent, BBox: ar.BBox,
			CoveragePct: round3(CoverPct(x.covered, x.demand)), Cells: x.cells, GapCells: x.gapCells, GapZones: len(x.zones)}
		n := riders[int32(j)]
		if !v.Admin() && n < int64(a.Settings.MinRiders) {
			r.Suppressed = true
		} else {
			pings, rh, dh, d, cv := x.pings, round3(x.rh), round3(x.dh), round3(x.demand), round3(x.covered)
			r.Pings, r.Riders, r.RiderHours, r.DwellHours, r.Demand, r.CoveredDemand = &pings, &n, &rh, &dh, &d, &cv
		}
		s.Rows = append(s.Rows, r)
	}
	return s, nil
}

// RangeCoverage is the coverage of demand in one range of hours of week.
type RangeCoverage struct {
	Name          string  `json:"name"` // "all", a named range, or "how:N"
	Hours         []int16 `json:"hours,omitempty"`
	TotalDemand   float64 `json:"total_demand"`
	CoveredDemand float64 `json:"covered_demand"`
	CoveragePct   float64 `json:"coverage_pct"`
}

// HourCoverage reports coverage for the whole week, for each named range
// (breakfast, lunch, dinner, night, peak) and for each of the 168 hours of
// week. Named ranges are exact analyses (distinct riders over the union of
// their hours with the riders metric); single hours come from one pass over
// the hourly rows.
func (e *Engine) HourCoverage(ctx context.Context, p Params) ([]RangeCoverage, error) {
	p.Hours = nil
	all, err := e.Analyze(ctx, p)
	if err != nil {
		return nil, err
	}
	out := []RangeCoverage{{Name: "all", TotalDemand: round3(all.TotalDemand), CoveredDemand: round3(all.CoveredDemand),
		CoveragePct: round3(CoverPct(all.CoveredDemand, all.TotalDemand))}}
	for _, r := range model.HourRanges {
		name := r.Name
		hs, _ := activity.ParseHours(name)
		q := p
		q.Hours = hs
		a, err := e.Analyze(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, RangeCoverage{Name: name, Hours: hs, TotalDemand: round3(a.TotalDemand), CoveredDemand: round3(a.CoveredDemand),
			CoveragePct: round3(CoverPct(a.CoveredDemand, a.TotalDemand))})
	}
	hourly, err := all.hourly168(ctx, e)
	if err != nil {
		return nil, err
	}
	for h, tc := range hourly {
		out = append(out, RangeCoverage{Name: fmt.Sprintf("how:%d", h), Hours: []int16{int16(h)}, TotalDemand: round3(tc[0]),
			CoveredDemand: round3(tc[1]), CoveragePct: round3(CoverPct(tc[1], tc[0]))})
	}
	return out, nil
}

// hourly168 is total and covered demand per hour of week of a whole-week
// analysis, computed on first use and kept with the analysis (so per data
// version). Coverage is by the cell: a cell covered over the week is covered
// in every hour.
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
		if a.Cells[i].Covered {
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
