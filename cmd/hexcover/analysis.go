package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/release"
	"github.com/hexcover/hexcover/internal/siting"
	"github.com/hexcover/hexcover/internal/store"
)

// analysisRoutes builds the coverage, gaps, summary, siting and scenario
// routes over one shared coverage engine (one cache).
func analysisRoutes(eng *coverage.Engine) []httpkit.Route {
	h := &coverage.Handlers{Engine: eng}
	svc := siting.NewService(eng, siting.DefaultConcurrency)
	return append(h.Routes(), svc.Routes()...)
}

func runGaps(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gaps", "[--json] [--hours H] [--metric M] [--limit N] [--admin]",
		"list gap zones (uncovered demand cells, connected) largest first; --json prints the API's GeoJSON")
	asJSON := fs.Bool("json", false, "print the GeoJSON FeatureCollection of GET /api/gaps")
	hours := fs.String("hours", "", "hours of week: 0..167, ranges (11-13,35-37) or breakfast, lunch, dinner, night, peak")
	metric := fs.String("metric", "rider_hours", "demand: rider_hours or riders")
	limit := fs.Int("limit", 20, "number of zones to list")
	planned := fs.Bool("planned", false, "count planned presence sites as built")
	admin := fs.Bool("admin", false, "exact figures, zones below k riders too (admin view; not for publication)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	p, err := cliParams(*hours, *metric, *planned)
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > coverage.MaxGapLimit {
		return usageError{fmt.Sprintf("--limit: want 1 to %d", coverage.MaxGapLimit)}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	eng := cliEngine(e, st)
	v := model.Viewer{Name: "cli"}
	if *admin {
		v.Role = model.RoleAdmin
	}
	g, err := eng.Gaps(ctx, p, v, *limit)
	if err != nil {
		return err
	}
	notForPublication(e, *admin, *asJSON)
	if *asJSON {
		return writeJSONTo(e.stdout, g.FeatureCollection())
	}
	printGaps(e.stdout, g)
	return nil
}

func cliParams(hours, metric string, planned bool) (coverage.Params, error) {
	hs, err := activity.ParseHours(hours)
	if err != nil {
		return coverage.Params{}, usageError{"--hours: " + err.Error()}
	}
	m, err := model.ParseMetric(metric, true)
	if err != nil {
		return coverage.Params{}, usageError{"--metric: " + err.Error()}
	}
	return coverage.Params{Hours: hs, Metric: m, Planned: planned}, nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printGaps(w io.Writer, g *coverage.Gaps) {
	fmt.Fprintf(w, "demand %.1f %s, covered %.1f (%.1f%%); %d gap cells in %d zones (threshold %g)",
		g.Total, g.Metric, g.Covered, g.CoverPct, g.GapCells, g.ZoneCount, g.Threshold)
	if g.Suppressed > 0 {
		fmt.Fprintf(w, "; %d zones with fewer than k riders not listed", g.Suppressed)
	}
	fmt.Fprintln(w)
	if len(g.Zones) == 0 {
		return
	}
	rows := [][]string{{"#", "区域 zone", "街道", "社区", "cells", "km²", "demand", "riders", "dwell h", "最近站点 nearest", "candidates"}}
	for _, z := range g.Zones {
		nearest := "-"
		if z.Nearest != nil {
			nearest = fmt.Sprintf("%s %.0fm", z.Nearest.Name, z.Nearest.DistanceM)
		}
		dwell := fmt.Sprintf("%.1f", z.DwellHours)
		if z.Released {
			dwell = "-" // the release has no dwell
		}
		cands := make([]string, 0, 3)
		for i, c := range z.Candidates {
			if i == 3 {
				cands = append(cands, fmt.Sprintf("+%d", len(z.Candidates)-3))
				break
			}
			cands = append(cands, c.Name)
		}
		rows = append(rows, []string{fmt.Sprint(z.Rank), z.ID, areaNames(z.Streets), areaNames(z.Communities), fmt.Sprint(z.CellCount),
			fmt.Sprintf("%.2f", z.AreaKm2), fmt.Sprintf("%.1f", z.Demand), fmt.Sprint(z.Riders), dwell,
			nearest, strings.Join(cands, ", ")})
	}
	printTable(w, rows)
}

// areaNames joins the names of every area a zone touches.
func areaNames(as []coverage.AreaRef) string {
	if len(as) == 0 {
		return "-"
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return strings.Join(names, "、")
}

func areaName(a *coverage.AreaRef) string {
	if a == nil {
		return "-"
	}
	return a.Name
}

func runSite(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "site", "--k N [--json] [--candidates kinds] [--add id,..] [--remove id,..] [--hours H] [--metric M] [--admin]",
		"choose k new sites that cover the most uncovered demand; --json prints the JSON of POST /api/siting")
	var req siting.Request
	fs.IntVar(&req.K, "k", 5, fmt.Sprintf("number of new sites, 1..%d (including --add)", siting.MaxK))
	asJSON := fs.Bool("json", false, "print the JSON result of POST /api/siting")
	cands := fs.String("candidates", "", "candidate site kinds, comma separated (default fuel_station,candidate)")
	add := fs.String("add", "", "site ext ids that must be chosen, comma separated")
	remove := fs.String("remove", "", "existing site ext ids to close, comma separated")
	fs.StringVar(&req.Hours, "hours", "", "hours of week: 0..167, ranges or breakfast, lunch, dinner, night, peak")
	fs.StringVar(&req.Metric, "metric", "", "demand: rider_hours (default) or riders")
	fs.BoolVar(&req.CellCentres, "cell-centres", false, "also consider every demand cell's centre as a candidate (rest-station radius)")
	fs.BoolVar(&req.Planned, "planned", false, "count planned presence sites as built")
	admin := fs.Bool("admin", false, "site on exact demand (admin view; not for publication)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	req.Candidates = splitList(*cands)
	for _, id := range splitList(*add) {
		req.Add = append(req.Add, siting.AddSite{ID: id})
	}
	req.Remove = splitList(*remove)
	if err := req.Validate(); err != nil {
		return usageError{errs.Message(err)}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := siting.NewService(cliEngine(e, st), 1)
	if *admin {
		ctx = httpkit.WithViewer(ctx, model.Viewer{Name: "cli", Role: model.RoleAdmin})
	}
	res, err := svc.Run(ctx, req)
	if errs.Is(errs.Invalid, err) {
		return usageError{errs.Message(err)}
	}
	if err != nil {
		return err
	}
	notForPublication(e, *admin, *asJSON)
	if *asJSON {
		return writeJSONTo(e.stdout, res)
	}
	printSiting(e.stdout, res)
	return nil
}

// cliEngine is the coverage engine of gaps and site: the published release
// unless --admin.
func cliEngine(e *env, st *store.Store) *coverage.Engine {
	eng := coverage.New(st, coverage.DefaultSettings(e.cfg))
	eng.UseRelease(release.CoverageSource{C: release.NewCurrent(st, e.cfg.MinRiders)})
	return eng
}

// notForPublication says so (on stdout above a table, on stderr beside
// JSON) when --admin prints exact figures.
func notForPublication(e *env, admin, asJSON bool) {
	w := e.stdout
	if asJSON {
		w = e.stderr
	}
	if admin {
		fmt.Fprintln(w, "admin view: exact figures, including groups of fewer than k riders — not for publication (the published release is the default)")
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printSiting(w io.Writer, r *siting.Result) {
	fmt.Fprintf(w, "coverage %.1f → %.1f of %.1f %s (%.1f%% → %.1f%%); upper bound %.1f (%.1f%%), gap %.2f%%; %s over %d candidates, %d cells in %.0f ms\n",
		r.CoveredBefore, r.CoveredAfter, r.TotalDemand, r.Unit.En, r.BeforePct, r.AfterPct, r.UpperBound, r.UpperBoundPct, 100*r.Gap,
		r.Method, r.Candidates, r.DemandCells, r.ElapsedMs)
	for _, rs := range r.RemovedSites {
		fmt.Fprintf(w, "removed %s %s: −%.1f %s (%.1f%%)\n", rs.ID, rs.Name, rs.Loss, r.Unit.En, rs.LossPct)
	}
	for _, k := range r.CandidateKinds {
		if k.Candidates == 0 {
			fmt.Fprintf(w, "no candidate sites of kind %s\n", k.Kind)
		}
	}
	rows := [][]string{{"#", "id", "名称 name", "kind", "街道 street", "lng", "lat", "gain " + r.Unit.En, "cum %", "riders", "缺口区 zones"}}
	for _, p := range r.Picks {
		id := p.ID
		if p.Required {
			id += " (add)"
		}
		riders := "-"
		if p.Riders != nil {
			riders = fmt.Sprint(*p.Riders)
		}
		zones := make([]string, len(p.Zones))
		for i, z := range p.Zones {
			zones[i] = fmt.Sprintf("#%d", z.Rank)
			if z.Closed {
				zones[i] += " closed"
			}
		}
		rows = append(rows, []string{fmt.Sprint(p.Rank), id, p.Name, p.Kind, areaName(p.Street),
			fmt.Sprintf("%.5f", p.Lng), fmt.Sprintf("%.5f", p.Lat), fmt.Sprintf("+%.1f", p.Gain), fmt.Sprintf("%.1f", p.CumPct), riders, strings.Join(zones, " ")})
	}
	printTable(w, rows)
}

// printTable aligns columns counting East Asian wide characters as two
// cells, which text/tabwriter does not.
func printTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r), r >= 0x3000 && r <= 0x303f, r >= 0xff00 && r <= 0xff60:
			n += 2
		default:
			n++
		}
	}
	return n
}
