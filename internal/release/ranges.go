package release

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/store"
)

// Date ranges: the release of some days only, post-processed exactly as
// the whole release is (the same rounding, k and noise threshold per view,
// over the days in the range), so that a before/after comparison around a
// station's opening reads released values alone. Ranges are computed on
// first use and kept per release version (a few at a time).

const maxRanges = 8

var ranges struct {
	sync.Mutex
	m map[string]*Published
}

// Range returns the published release of the local days from..to
// (inclusive).
func (c *Current) Range(ctx context.Context, from, to time.Time) (*Published, error) {
	ver, err := c.st.ReleaseVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("release version: %w", err)
	}
	key := fmt.Sprintf("%p|%d|%s|%s", c, ver, from.Format(time.DateOnly), to.Format(time.DateOnly))
	ranges.Lock()
	p := ranges.m[key]
	ranges.Unlock()
	if p != nil {
		return p, nil
	}
	days, v, err := c.st.PublishedRelease(ctx)
	if err != nil {
		return nil, err
	}
	var keep []store.PublishedDay
	for _, d := range days {
		day := time.Date(d.Info.Day.Year(), d.Info.Day.Month(), d.Info.Day.Day(), 0, 0, 0, 0, time.UTC)
		if !day.Before(from) && !day.After(to) {
			keep = append(keep, d)
		}
	}
	dom, err := LoadDomain(ctx, c.st)
	if err != nil {
		return nil, err
	}
	arows, err := c.st.AreaRows(ctx, "")
	if err != nil {
		return nil, err
	}
	p = buildPublished(keep, v, c.k, dom, arows)
	ranges.Lock()
	if ranges.m == nil || len(ranges.m) >= maxRanges {
		ranges.m = map[string]*Published{}
	}
	ranges.m[key] = p
	ranges.Unlock()
	return p, nil
}

// Range implements coverage.ReleaseRanges: the release of the days
// from..to as a source of its own.
func (s CoverageSource) Range(ctx context.Context, from, to time.Time) (coverage.ReleaseSource, error) {
	p, err := s.C.Range(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return rangeSource{p: p, name: from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly)}, nil
}

// rangeSource serves one date range of the release to internal/coverage.
type rangeSource struct {
	p    *Published
	name string
}

func (r rangeSource) Version(context.Context) (string, error) {
	return r.p.VersionString() + ":" + r.name, nil
}

func (r rangeSource) Check(hours []int16) error { return CheckHours(hours) }

func (r rangeSource) DemandCells(_ context.Context, hours []int16) ([]coverage.ReleasedCell, error) {
	v := ViewOf(hours)
	if v < 0 {
		return nil, notReleased()
	}
	return demandCells(r.p, v), nil
}

func (r rangeSource) Areas(_ context.Context, hours []int16, level string) (map[string]coverage.ReleasedArea, error) {
	v := ViewOf(hours)
	if v < 0 {
		return nil, notReleased()
	}
	return areasOf(r.p, v, level), nil
}

func (r rangeSource) Days(_ context.Context, hours []int16) (int, error) {
	v := ViewOf(hours)
	if v < 0 {
		return 0, notReleased()
	}
	return r.p.DaysIn(v), nil
}

// demandCells is the shown res-9 cells of view v, sorted by cell.
func demandCells(p *Published, v int) []coverage.ReleasedCell {
	cells := p.Cells(v, Res)
	out := make([]coverage.ReleasedCell, 0, len(cells))
	for c, f := range cells {
		out = append(out, coverage.ReleasedCell{Cell: c, Center: p.Center(c), Riders: f.Riders, RiderHours: f.RiderHours, Areas: p.CellAreas(c)})
	}
	sortCells(out)
	return out
}

// areasOf is the released figures of every area of a level in view v.
func areasOf(p *Published, v int, level string) map[string]coverage.ReleasedArea {
	out := map[string]coverage.ReleasedArea{}
	for l, name := range AreaLevels {
		if name != level || p == nil || v >= len(p.views) {
			continue
		}
		for code, f := range p.views[v].areas[l] {
			out[code] = coverage.ReleasedArea{Riders: f.Riders, RiderHours: f.RiderHours, Shown: f.Shown}
		}
	}
	return out
}
