package gridassign_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/gridassign"
)

// TestCandidatesWorthAsking: on a demo city with express couriers, most
// grids have a top candidate who spends at least 20% of his active time in
// the grid, and every listed candidate meets the thresholds; with couriers
// turned off, grids without anyone who works there say 暂无合适人选 and
// nobody below the thresholds is listed or proposed.
func TestCandidatesWorthAsking(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo city twice")
	}
	ctx := context.Background()
	th := gridassign.DefaultThresholds()
	check := func(t *testing.T, l *gridassign.CandidateList) {
		t.Helper()
		for _, c := range l.Candidates {
			if c.TimeShare < th.MinShare || c.InGridHours < l.Basis.Thresholds.MinHours-0.05 {
				t.Errorf("grid %s: candidate %s with %.2f of his time and %.1f h listed, below the thresholds %+v",
					l.Grid.Code, c.Rider, c.TimeShare, c.InGridHours, l.Basis.Thresholds)
			}
			share := fmt.Sprintf("%.0f%%", 100*c.TimeShare)
			days := fmt.Sprintf("%d天中有%d天", l.Basis.DaysTotal, c.DaysActive)
			if !strings.Contains(c.Explanation.Zh, share) || !strings.Contains(c.Explanation.En, share) ||
				!strings.Contains(c.Explanation.Zh, days) || !strings.Contains(c.Explanation.Zh, fmt.Sprintf("（%.1f小时）", c.InGridHours)) {
				t.Errorf("grid %s: explanation %q does not repeat the figures shown (%s, %s, %.1f h)", l.Grid.Code, c.Explanation.Zh, share, days, c.InGridHours)
			}
		}
		if len(l.Candidates) == 0 && (l.Reason == nil || !strings.HasPrefix(l.Reason.Zh, "暂无合适人选")) {
			t.Errorf("grid %s: no candidates and reason %+v, want 暂无合适人选", l.Grid.Code, l.Reason)
		}
	}

	t.Run("with couriers", func(t *testing.T) {
		st, city := demotest.LoadDemo(t, demo.Params{Seed: 1, Riders: 400, Days: 2, CourierShare: 0.5})
		svc := gridassign.NewService(st, gridassign.ServiceOptions{})
		good := 0
		for _, g := range city.Grids {
			l, err := svc.Candidates(ctx, g.Code, 1)
			if err != nil {
				t.Fatal(err)
			}
			check(t, l)
			if l.Basis.DaysTotal != 2 {
				t.Fatalf("days_total = %d, want 2 (the demo's days)", l.Basis.DaysTotal)
			}
			if len(l.Candidates) > 0 && l.Candidates[0].TimeShare >= 0.2 {
				good++
			}
		}
		share := float64(good) / float64(len(city.Grids))
		t.Logf("grids whose top candidate spends ≥ 20%% of his time there: %d of %d (%.0f%%)", good, len(city.Grids), 100*share)
		if share < 0.8 {
			t.Errorf("grids whose top candidate spends ≥ 20%% of his time there = %.0f%%, want ≥ 80%%", 100*share)
		}
	})

	t.Run("without couriers", func(t *testing.T) {
		st, city := demotest.LoadDemo(t, demo.Params{Seed: 1, Riders: 300, Days: 1})
		svc := gridassign.NewService(st, gridassign.ServiceOptions{})
		empty, weak := 0, 0
		listed := map[string]bool{}
		for _, g := range city.Grids {
			l, err := svc.Candidates(ctx, g.Code, gridassign.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			check(t, l)
			if len(l.Candidates) == 0 {
				empty++
			} else {
				listed[g.Code] = true
			}
			weak += l.Weak
		}
		// Food riders who wait at a merchant cluster day after day do
		// spend a large share of their time in its grid; everyone else
		// only passes through.
		t.Logf("without couriers: %d of %d grids have no suitable candidate; %d passers-by not listed", empty, len(city.Grids), weak)
		if float64(empty) < 0.85*float64(len(city.Grids)) || weak == 0 {
			t.Errorf("grids with no suitable candidate = %d of %d, passers-by %d; want ≥ 85%% of grids empty", empty, len(city.Grids), weak)
		}
		res, err := svc.Propose(ctx, gridassign.ProposeRequest{All: true, DryRun: true}, "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range res.Grids {
			if len(g.Proposals) > 0 && !listed[g.Grid.Code] {
				t.Errorf("grid %s: %d proposed although it lists no suitable candidate", g.Grid.Code, len(g.Proposals))
			}
			for _, p := range g.Proposals {
				if p.Evidence.TimeShare < th.MinShare || math.IsNaN(p.Evidence.TimeShare) {
					t.Errorf("grid %s: proposed %s with %.2f of his time, below %.2f", g.Grid.Code, p.Rider, p.Evidence.TimeShare, th.MinShare)
				}
			}
		}
	})
}
