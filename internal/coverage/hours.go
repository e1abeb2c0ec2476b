package coverage

import (
	"context"
	"slices"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// hoursKey is a compact cache key of a sorted hours list.
func hoursKey(hs []int16) string {
	if len(hs) == 0 {
		return "all"
	}
	return activity.FormatHours(hs)
}

// normHours sorts and dedupes hours.
func normHours(hs []int16) []int16 {
	if len(hs) == 0 {
		return nil
	}
	hs = slices.Clone(hs)
	slices.Sort(hs)
	return slices.Compact(hs)
}

// Opening hours. A site with opening hours (Site.Open) covers a cell in an
// analysis only when it is open for at least half of the cell's demand in
// the analysed hours: its rider-hours per hour of week (admins), or the
// analysed hours counted alike (the release, which has no hourly figures
// per cell). Several part-time sites covering a cell count together (the
// union of their hours). Single hours of week (HourCoverage) are exact: a
// cell is covered in an hour when a site covering it is open then.

// OpenShareMin is the share of a cell's demand in the analysed hours that
// must fall in opening hours for a part-time site to cover it.
const OpenShareMin = 0.5

// coverMasks marks the cells that sites cover around the clock (always) and,
// for cells reached only by part-time sites, the union of those sites'
// opening hours (masks).
func (a *Analysis) coverMasks(sites []Site, radius func(kind string) float64) (always []bool, masks map[int]*model.WeekHours) {
	always = make([]bool, len(a.Cells))
	for _, s := range sites {
		if s.Open == nil {
			a.Within(s.Point, s.ID, radius(s.Kind), func(i int) { always[i] = true })
			continue
		}
		if masks == nil {
			masks = map[int]*model.WeekHours{}
		}
		a.Within(s.Point, s.ID, radius(s.Kind), func(i int) {
			m := masks[i]
			if m == nil {
				m = &model.WeekHours{}
				masks[i] = m
			}
			for h, open := range s.Open {
				m[h] = m[h] || open
			}
		})
	}
	for i := range masks {
		if always[i] {
			delete(masks, i)
		}
	}
	return always, masks
}

// openShare is the share of cell i's demand in the analysed hours that
// falls in the open hours m.
func (a *Analysis) openShare(i int, m *model.WeekHours) float64 {
	hours := a.Params.Hours
	if w := a.hourWeights[i]; w != nil {
		var tot, open float64
		each(hours, func(h int) {
			tot += float64(w[h])
			if m[h] {
				open += float64(w[h])
			}
		})
		if tot > 0 {
			return open / tot
		}
	}
	var n, open int
	each(hours, func(h int) {
		n++
		if m[h] {
			open++
		}
	})
	if n == 0 {
		return 0
	}
	return float64(open) / float64(n)
}

// each calls fn for every hour of week in hours (nil: all 168).
func each(hours []int16, fn func(h int)) {
	if len(hours) == 0 {
		for h := range 168 {
			fn(h)
		}
		return
	}
	for _, h := range hours {
		if h >= 0 && h < 168 {
			fn(int(h))
		}
	}
}

// loadHourWeights reads, for the cells within reach of a part-time site,
// their rider-seconds per hour of week (admins' analyses only: the release
// has no hourly figures per cell).
func (a *Analysis) loadHourWeights(ctx context.Context, e *Engine) error {
	if a.Params.Released {
		return nil
	}
	need := map[int]bool{}
	for _, s := range a.Sites {
		if s.Open != nil {
			a.Within(s.Point, s.ID, e.set.Radius(s.Kind), func(i int) { need[i] = true })
		}
	}
	if len(need) == 0 {
		return nil
	}
	cells := make([]int64, 0, len(need))
	for i := range need {
		cells = append(cells, int64(a.Cells[i].Cell))
	}
	a.hourWeights = make(map[int]*[168]float32, len(need))
	return e.st.CellHoursOf(ctx, e.set.DemandRes, cells, func(h store.CellHour) error {
		i := a.CellIndex(geo.Cell(h.Cell))
		if i < 0 || h.How < 0 || h.How > 167 {
			return nil
		}
		w := a.hourWeights[i]
		if w == nil {
			w = &[168]float32{}
			a.hourWeights[i] = w
		}
		w[h.How] += float32(h.RiderSeconds)
		return nil
	})
}
