package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/release"
	"github.com/hexcover/hexcover/internal/store"
)

// releaseParams are the published release's parameters from the settings.
func releaseParams(e *env) release.Params {
	p := release.DefaultParams(e.cfg.MinRiders)
	p.Rho, p.Budget = e.cfg.ReleaseRho, e.cfg.ReleaseBudget
	p.Offset = e.cfg.UTCOffset
	return p
}

// publishRelease makes the release of every day whose data changed (the
// only figures non-admins see; docs/PRIVACY.md) and reports each day on w.
// It runs after imports, the demo and rebuilds.
func publishRelease(ctx context.Context, e *env, st *store.Store, w io.Writer) error {
	if err := refreshViews(ctx, st, w); err != nil {
		return err
	}
	b := &release.Builder{Store: st, Params: releaseParams(e), Noise: release.NewNoise([]byte(e.cfg.DemoSecret()))}
	start := time.Now()
	rs, err := b.Update(ctx)
	for _, r := range rs {
		fmt.Fprintln(w, r)
	}
	if err != nil {
		return fmt.Errorf("publish the release: %w", err)
	}
	if len(rs) > 0 {
		fmt.Fprintf(w, "published release: %d days in %s\n", len(rs), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// runForget erases one rider (PIPL Art. 47): it finds the pseudonym with
// the secret, removes the rider from the aggregates and every table,
// re-releases (or withdraws) the days they were in, and audits the act.
func runForget(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forget", "--platform P --id ID", "erase one rider everywhere (PIPL Art. 47): pings, days, ranges, aggregates, ledger, assignments; re-release the days they were in")
	platform := fs.String("platform", "", "the rider's platform, as imported (empty when the import had none)")
	id := fs.String("id", "", "the rider's platform id (required)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if strings.TrimSpace(*id) == "" {
		return usageError{"--id: the rider's platform id is required"}
	}
	pz, err := ingest.NewPseudonymizer([]byte(e.cfg.DemoSecret()))
	if err != nil {
		return err
	}
	rid := pz.Rider(*platform, *id)
	key, err := rid.Key()
	if err != nil {
		return err
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	tr, found, err := st.ForgetRider(ctx, key)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no rider with platform %q and that id: nothing to erase (ids are matched through HEXCOVER_SECRET; with another secret the same rider has another pseudonym)", *platform)
	}
	// The aggregates' sums lose the rider's share by a rebuild from the
	// remaining pings.
	l := &ingest.Loader{Store: st, Activity: e.activitySettings(), Log: e.log}
	if _, err := l.Rebuild(ctx); err != nil {
		return fmt.Errorf("rebuild after forgetting (the rider's rows are gone; run hexcover rebuild to finish): %w", err)
	}
	if err := refreshViews(ctx, st, io.Discard); err != nil {
		return err
	}
	b := &release.Builder{Store: st, Params: releaseParams(e), Noise: release.NewNoise([]byte(e.cfg.DemoSecret()))}
	rs, err := b.Days(ctx, tr.Days, true)
	for _, r := range rs {
		fmt.Fprintln(e.stdout, r)
	}
	if err != nil {
		return fmt.Errorf("re-release after forgetting: %w (run hexcover rebuild to retry)", err)
	}
	// The audit names the pseudonym, never the platform id.
	if err := st.Audit(ctx, "cli", "rider.forget", string(rid), map[string]any{"pings": tr.Pings, "days": len(tr.Days),
		"ranges": tr.Ranges, "ledger": tr.Ledger, "assignments": tr.Assignments, "aggregate_rows": tr.KeysStripped}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "forgot rider %s…: %d pings over %d days, %d ranges, %d assignments; removed from %d aggregate rows; %d releases redone, in %s\n",
		string(rid)[:12], tr.Pings, len(tr.Days), tr.Ranges, tr.Assignments, tr.KeysStripped, len(rs), time.Since(start).Round(time.Millisecond))
	return nil
}

// refreshViews rolls the activity up into the hour sets of the release's
// views (hex_views, exact: for admins), so their filtered tiles come from
// memory instead of merging every hour row's riders per tile. It runs
// whenever the activity changed (with the release); readers ignore rollups
// of an older activity version.
func refreshViews(ctx context.Context, st *store.Store, w io.Writer) error {
	views := releaseViews()
	start := time.Now()
	info, err := st.RefreshHexViews(ctx, views)
	if err != nil {
		return fmt.Errorf("roll up the hour sets of the views: %w", err)
	}
	if !info.Skipped {
		fmt.Fprintf(w, "rolled up %d hour sets: %d cells, %d rider keys read, in %s\n", len(views), info.Cells, info.Keys, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
