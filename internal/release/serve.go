package release

import (
	"context"
	"slices"
	"time"

	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// notReleased is the answer to hours that are not a view of the release.
func notReleased() error {
	return errs.E(errs.Op("release.CheckHours"), errs.Forbidden, ErrNotReleased.Error())
}

// CheckHours returns a 403 naming the allowed views unless hours are
// exactly one of Lattice's views.
func CheckHours(hours []int16) error {
	if ViewOf(hours) < 0 {
		return notReleased()
	}
	return nil
}

// viewOf returns the published release and the view of hours in it; hours
// that are no view are a 403 before the release is read.
func (c *Current) viewOf(ctx context.Context, hours []int16) (*Published, int, error) {
	v := ViewOf(hours)
	if v < 0 {
		return nil, 0, notReleased()
	}
	p, err := c.Get(ctx)
	if err != nil {
		return nil, 0, err
	}
	return p, v, nil
}

// TileSource serves the published release to internal/tiles.
type TileSource struct{ C *Current }

// Version implements tiles.ReleaseSource.
func (t TileSource) Version(ctx context.Context) (string, error) {
	p, err := t.C.Get(ctx)
	if err != nil {
		return "", err
	}
	return p.VersionString(), nil
}

// Check implements tiles.ReleaseSource.
func (t TileSource) Check(hours []int16) error { return CheckHours(hours) }

// Cells implements tiles.ReleaseSource.
func (t TileSource) Cells(ctx context.Context, res int, hours []int16) ([]store.HexStat, error) {
	p, v, err := t.C.viewOf(ctx, hours)
	if err != nil {
		return nil, err
	}
	cells := p.Cells(v, min(res, Res))
	out := make([]store.HexStat, 0, len(cells))
	for c, f := range cells {
		out = append(out, store.HexStat{Cell: c, Riders: int(f.Riders), RiderSeconds: f.RiderHours * 3600})
	}
	return out, nil
}

// CoverageSource serves the published release to internal/coverage.
type CoverageSource struct{ C *Current }

// Version implements coverage.ReleaseSource.
func (s CoverageSource) Version(ctx context.Context) (string, error) {
	return TileSource(s).Version(ctx)
}

// Check implements coverage.ReleaseSource.
func (s CoverageSource) Check(hours []int16) error { return CheckHours(hours) }

// DemandCells implements coverage.ReleaseSource: the shown res-9 cells.
func (s CoverageSource) DemandCells(ctx context.Context, hours []int16) ([]coverage.ReleasedCell, error) {
	p, v, err := s.C.viewOf(ctx, hours)
	if err != nil {
		return nil, err
	}
	cells := p.Cells(v, Res)
	out := make([]coverage.ReleasedCell, 0, len(cells))
	for c, f := range cells {
		out = append(out, coverage.ReleasedCell{Cell: c, Center: p.Center(c), Riders: f.Riders, RiderHours: f.RiderHours, Areas: p.CellAreas(c)})
	}
	sortCells(out)
	return out, nil
}

// Areas implements coverage.ReleaseSource.
func (s CoverageSource) Areas(ctx context.Context, hours []int16, level string) (map[string]coverage.ReleasedArea, error) {
	p, v, err := s.C.viewOf(ctx, hours)
	if err != nil {
		return nil, err
	}
	out := map[string]coverage.ReleasedArea{}
	for l, name := range AreaLevels {
		if name != level {
			continue
		}
		for code, f := range p.views[v].areas[l] {
			out[code] = coverage.ReleasedArea{Riders: f.Riders, RiderHours: f.RiderHours, Shown: f.Shown}
		}
	}
	return out, nil
}

// Days implements coverage.ReleaseDays: the released days of the view.
func (s CoverageSource) Days(ctx context.Context, hours []int16) (int, error) {
	p, v, err := s.C.viewOf(ctx, hours)
	if err != nil {
		return 0, err
	}
	return p.DaysIn(v), nil
}

// MetaSource describes the published release to /api/meta and /api/me
// (server.Release).
type MetaSource struct{ C *Current }

// Period implements server.Release: the local dates of the published
// release, nil when nothing is published.
func (s MetaSource) Period(ctx context.Context) (*store.Period, error) {
	p, err := s.C.Get(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.Days) == 0 {
		return nil, nil
	}
	days := slices.Clone(p.Days)
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	out := &store.Period{From: days[0].Format(time.DateOnly), To: days[len(days)-1].Format(time.DateOnly), Days: len(days), Weekdays: []int{}}
	for _, d := range days {
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7 // ISO: Monday 1 .. Sunday 7
		}
		if !slices.Contains(out.Weekdays, wd) {
			out.Weekdays = append(out.Weekdays, wd)
		}
	}
	slices.Sort(out.Weekdays)
	return out, nil
}

// Metrics implements server.Release: rider-hours and distinct riders are
// released; pings and dwell are not.
func (MetaSource) Metrics() []model.Metric {
	return []model.Metric{model.MetricRiderHours, model.MetricRiders}
}
