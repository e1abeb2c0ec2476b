package tiles

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hexcover/hexcover/internal/model"
)

// Warming: the hexagon layers serve every tile from in-memory indexes built
// once per data version (hexindex.go). Built lazily, the first tiles after a
// start or an import wait for them — a second for the district's res-10
// cells — so the server builds them ahead instead, when it starts and
// whenever the activity or the published release changes.

// displayRes are the resolutions DisplayRes draws at some zoom.
var displayRes = []int{7, 8, 9, 10}

// Warm builds, for the current data, each display resolution's index of
// the cells with activity and its hour-set rollups, with a gap source the
// admin's gap analyses of the whole week and every view in o.WarmViews,
// with a release source the published release's index of every view (and
// the whole week) at the resolutions it is drawn at, and last each display
// resolution's hour rows (hoursums.go) and o.WarmAlso. It returns how many
// it built or found built. An error stops it; what was built stays.
func (s *Service) Warm(ctx context.Context) (int, error) {
	ver, err := s.data.version(ctx, LayerActivity)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, res := range displayRes {
		idx, err := s.data.hexIndex(ctx, res, ver, s.o.IndexCells)
		if err != nil {
			return n, err
		}
		if idx == nil {
			continue // too many cells to keep: tiles read the database
		}
		if _, err := s.data.hexViews(ctx, res, ver, idx); err != nil {
			return n, err
		}
		n++
	}
	// The gaps layer's analyses (the coverage engine's, shared with
	// /api/gaps, /api/summary and /api/coverage/hours) of the admin's exact
	// figures for the whole week and each view's hours. They are an
	// optimisation only: an analysis that fails here fails again, and is
	// reported, when a request asks for it.
	if s.o.Gaps != nil {
		for _, hours := range append([][]int16{nil}, s.o.WarmViews...) {
			if _, err := s.o.Gaps.GapCells(ctx, hours, model.MetricRiderHours, true); err == nil {
				n++
			} else if ctx.Err() != nil {
				return n, ctx.Err()
			}
		}
	}
	if s.o.Release != nil {
		for _, res := range displayRes {
			if res > 9 { // resolution 10 is not released
				continue
			}
			for _, hours := range append([][]int16{nil}, s.o.WarmViews...) {
				if _, err := s.data.releasedIndex(ctx, s.o.Release, res, hours); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	// Last, the hour rows behind the admin's other hour lists (every view
	// above is served before them): the finest resolution, about as many
	// rows as the others together, is read beside them.
	var (
		g    errgroup.Group
		kept atomic.Int32
	)
	load := func(rs ...int) func() error {
		return func() error {
			for _, res := range rs {
				idx, err := s.data.hexIndex(ctx, res, ver, s.o.IndexCells)
				if err != nil {
					return err
				}
				if idx == nil {
					continue
				}
				hs, err := s.data.hourSums(ctx, res, ver, idx, s.o.HourBytes)
				if err != nil {
					return err
				}
				if hs != nil {
					kept.Add(1)
				}
			}
			return nil
		}
	}
	last := len(displayRes) - 1
	g.Go(load(displayRes[last]))
	g.Go(load(displayRes[:last]...))
	if s.o.WarmAlso != nil {
		g.Go(func() error {
			if err := s.o.WarmAlso(ctx); err == nil {
				kept.Add(1)
			} else if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		})
	}
	err = g.Wait()
	return n + int(kept.Load()), err
}

// KeepWarm warms now and then whenever the activity or release version
// changes (checked every `every`), until ctx ends. report, if not nil, gets
// each warming's outcome.
func (s *Service) KeepWarm(ctx context.Context, every time.Duration, report func(n int, took time.Duration, err error)) {
	last := ""
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cur, err := s.warmKey(ctx)
		if err == nil && cur != last {
			start := time.Now()
			n, werr := s.Warm(ctx)
			if ctx.Err() != nil {
				return
			}
			if werr == nil {
				last = cur
				s.warmed.Store(&cur)
			}
			if report != nil {
				report(n, time.Since(start), werr)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Warmed reports whether the last warming was for the current data.
func (s *Service) Warmed(ctx context.Context) bool {
	w := s.warmed.Load()
	if w == nil {
		return false
	}
	cur, err := s.warmKey(ctx)
	return err == nil && cur == *w
}

// warmKey names the data Warm builds for: the activity version and the
// published release's.
func (s *Service) warmKey(ctx context.Context) (string, error) {
	ver, err := s.data.version(ctx, LayerActivity)
	if err != nil || s.o.Release == nil {
		return ver, err
	}
	rv, err := s.o.Release.Version(ctx)
	return ver + "|" + rv, err
}
