package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/gridassign"
)

// runAssign prints the couriers ranked for one community grid, as
// GET /api/grids/{code}/candidates does.
func runAssign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "assign", "--grid CODE [--limit N] [--json] [--zh]",
		"rank the couriers whose activity range overlaps a community grid, with the figures behind each score")
	grid := fs.String("grid", "", "grid code (required)")
	limit := fs.Int("limit", gridassign.DefaultLimit, fmt.Sprintf("number of couriers shown, 1..%d", gridassign.MaxLimit))
	asJSON := fs.Bool("json", false, "print the same JSON as the API")
	zh := fs.Bool("zh", false, "print the explanations in Chinese")
	e.cfg.BindFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if *grid == "" {
		return usageError{"--grid CODE is required"}
	}
	if *limit < 1 || *limit > gridassign.MaxLimit {
		return usageError{fmt.Sprintf("--limit must be between 1 and %d", gridassign.MaxLimit)}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := requireSchema(ctx, st); err != nil {
		return err
	}
	list, err := gridassign.NewService(st, gridassign.ServiceOptions{Thresholds: assignThresholds(e.cfg)}).Candidates(ctx, *grid, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	g, b := list.Grid, list.Basis
	fmt.Fprintf(e.stdout, "grid %s %s (community %s, street %s), target %d members\n", g.Code, g.Name, g.CommunityCode, g.StreetCode, g.Target)
	fmt.Fprintf(e.stdout, "%d couriers worth asking (at least %.0f%% of their active time and %.1f h in the grid), %d passers-by not listed; %d days of data, %d period(s); weights time %.2f, days %.2f, dwell %.2f, stability %.2f\n\n",
		list.Total, 100*b.Thresholds.MinShare, b.Thresholds.MinHours, list.Weak, b.DaysTotal, b.Periods, b.Weights.Time, b.Weights.Days, b.Weights.Dwell, b.Weights.Stability)
	if list.Reason != nil {
		if *zh {
			fmt.Fprintln(e.stdout, list.Reason.Zh)
		} else {
			fmt.Fprintln(e.stdout, list.Reason.En)
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\trider\tscore\ttime\tdays\tdwell\tstability\tstatus")
	for _, c := range list.Candidates {
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t%.0f%%\t%d/%d\t%.0f%%\t%.2f\t%s\n", c.Rank, c.Rider, c.Score, 100*c.TimeShare,
			c.DaysActive, c.DaysTotal, 100*c.DwellShare, c.Stability, c.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	for _, c := range list.Candidates {
		ex := c.Explanation.En
		if *zh {
			ex = c.Explanation.Zh
		}
		fmt.Fprintf(e.stdout, "%2d %s  %s\n", c.Rank, c.Rider, strings.TrimSpace(ex))
	}
	return nil
}

// assignThresholds are the configured thresholds of grid candidates.
func assignThresholds(c config.Config) gridassign.Thresholds {
	return gridassign.Thresholds{MinShare: c.AssignMinShare, MinHoursPerWeek: c.AssignMinHours}
}
