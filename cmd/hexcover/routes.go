package main

import (
	"context"
	"io/fs"
	"strings"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/gridassign"
	"github.com/hexcover/hexcover/internal/release"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/internal/tiles"
)

// buildServer wires every route: the server's own plus the tiles and
// analysis handlers, each built from the shared store and settings.
func buildServer(ctx context.Context, e *env, st *store.Store, assets fs.FS) (*server.Server, *tiles.Service, error) {
	_ = ctx
	srv := server.New(e.cfg, st, e.log, assets)
	// One coverage engine (and its cache) serves /api/gaps, the siting and
	// the gap zones of the gaps tile layer.
	eng := coverage.New(st, coverage.DefaultSettings(e.cfg))
	// Non-admins see only the published release, held in memory.
	cur := release.NewCurrent(st, e.cfg.MinRiders)
	eng.UseRelease(release.CoverageSource{C: cur})
	srv.UseRelease(release.MetaSource{C: cur})
	ts := tiles.New(st, tiles.Options{MinRiders: e.cfg.MinRiders, Registry: srv.Registry(),
		Gaps: coverage.TileZones{Engine: eng}, PublicURL: e.cfg.Web.PublicURL, Release: release.TileSource{C: cur},
		Datum: geo.CRS(e.cfg.BasemapDatum), WarmViews: releaseViews(),
		// The summaries' distinct riders come from the rollups' rider
		// sets: read with the tile indexes, not by the first summary.
		WarmAlso: func(ctx context.Context) error { _, err := st.WarmViewSets(ctx); return err }})
	srv.Mount(ts.Routes()...)
	// Analyses share one bounded admission (HEXCOVER_ANALYSIS_SLOTS);
	// tiles, /api/meta and the cheap lookups do not queue behind them.
	srv.MountAnalysis(analysisRoutes(eng)...)
	for _, rt := range gridassign.Routes(gridassign.NewService(st, gridassign.ServiceOptions{Thresholds: assignThresholds(e.cfg)})) {
		if rt.Name == "grid_candidates" || strings.HasPrefix(rt.Name, "assignments_") {
			srv.MountAnalysis(rt)
		} else {
			srv.Mount(rt)
		}
	}
	return srv, ts, nil
}

// releaseViews are the hour sets of the release's views (the whole week,
// nil, left out: it is always warmed).
func releaseViews() [][]int16 {
	var out [][]int16
	for _, v := range release.Lattice {
		if v.Hours != nil {
			out = append(out, v.Hours)
		}
	}
	return out
}
