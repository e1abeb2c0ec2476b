package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hexcover/hexcover/internal/release"
	"github.com/hexcover/hexcover/internal/store"
)

// releaseParams are the published release's parameters from the settings.
func releaseParams(e *env) release.Params {
	p := release.DefaultParams(e.cfg.MinRiders)
	p.Rho, p.Budget = e.cfg.ReleaseRho, e.cfg.ReleaseBudget
	return p
}

// publishRelease makes the release of every day whose data changed (the
// only figures non-admins see; docs/PRIVACY.md) and reports each day on w.
// It runs after imports, the demo and rebuilds.
func publishRelease(ctx context.Context, e *env, st *store.Store, w io.Writer) error {
	b := &release.Builder{Store: st, Params: releaseParams(e), Noise: release.NewNoise([]byte(e.cfg.DemoSecret()))}
	rs, err := b.Update(ctx)
	for _, r := range rs {
		fmt.Fprintln(w, r)
	}
	if err != nil {
		return fmt.Errorf("publish the release: %w", err)
	}
	return nil
}
