package siting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/sync/semaphore"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Limits of a siting request.
const (
	MaxK           = 200
	MaxRequestSize = 64 << 10 // bytes of a request body
	MaxAdd         = 200
	MaxRemove      = 1000
	// DefaultConcurrency is how many solves run at once; more get 503.
	DefaultConcurrency = 2
)

// DefaultCandidateKinds are the kinds considered as new sites when a request
// names none.
var DefaultCandidateKinds = []string{string(model.KindFuelStation), string(model.KindCandidate)}

// badf is an error that is the request's fault (errs.Invalid), its
// message for the user.
func badf(format string, a ...any) error { return errs.Errorf(errs.Invalid, format, a...) }

// Request is a siting what-if: choose K new sites (Add among them) from the
// candidate kinds after removing some existing ones.
type Request struct {
	K          int      `json:"k"`
	Candidates []string `json:"candidates,omitempty"` // site kinds; default fuel_station, candidate
	// CellCentres adds every demand cell's centre as a candidate with the
	// default (rest-station) radius.
	CellCentres bool      `json:"cell_centres,omitempty"`
	Add         []AddSite `json:"add,omitempty"`    // sites that must be chosen; they count toward K
	Remove      []string  `json:"remove,omitempty"` // ext ids of existing presence sites to close
	Hours       string    `json:"hours,omitempty"`  // hours filter, as coverage.ParseHours
	Metric      string    `json:"metric,omitempty"` // rider_hours (default) or riders
	Planned     bool      `json:"planned,omitempty"`
}

// AddSite is a required site: an existing site's ext id (a JSON string) or
// an ad-hoc point (a JSON object {lng, lat, kind, name}).
type AddSite struct {
	ID   string   `json:"id,omitempty"`
	Lng  *float64 `json:"lng,omitempty"`
	Lat  *float64 `json:"lat,omitempty"`
	Kind string   `json:"kind,omitempty"`
	Name string   `json:"name,omitempty"`
}

// UnmarshalJSON accepts a string (a site ext id) or an object.
func (a *AddSite) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*a = AddSite{}
		return json.Unmarshal(b, &a.ID)
	}
	type plain AddSite
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("add: want a site id or {\"lng\", \"lat\", \"kind\"}: %w", err)
	}
	*a = AddSite(p)
	return nil
}

// MarshalJSON writes an id as a plain string.
func (a AddSite) MarshalJSON() ([]byte, error) {
	if a.Lng == nil && a.Lat == nil && a.Kind == "" && a.Name == "" {
		return json.Marshal(a.ID)
	}
	type plain AddSite
	return json.Marshal(plain(a))
}

// Validate checks the request's own fields (not what needs the data).
func (r Request) Validate() error {
	if r.K < 1 || r.K > MaxK {
		return badf("k = %d: want 1 to %d", r.K, MaxK)
	}
	if len(r.Add) > r.K {
		return badf("k = %d is less than the %d sites to add", r.K, len(r.Add))
	}
	if len(r.Add) > MaxAdd || len(r.Remove) > MaxRemove {
		return badf("at most %d sites to add and %d to remove", MaxAdd, MaxRemove)
	}
	if r.Candidates != nil && len(r.Candidates) == 0 && len(r.Add) == 0 && !r.CellCentres {
		return badf("candidates: no kind given; name at least one site kind, add a site, or leave candidates out for the defaults (%s)", strings.Join(DefaultCandidateKinds, ", "))
	}
	for _, k := range r.Candidates {
		if _, err := model.ParseSiteKind(k); err != nil {
			return badf("candidates: %v", err)
		}
	}
	for i, a := range r.Add {
		if a.ID != "" && (a.Lng != nil || a.Lat != nil) {
			return badf("add[%d]: give a site id or a point, not both", i)
		}
		if a.ID == "" {
			if a.Lng == nil || a.Lat == nil || math.Abs(*a.Lng) > 180 || math.Abs(*a.Lat) > 90 || math.IsNaN(*a.Lng) || math.IsNaN(*a.Lat) {
				return badf("add[%d]: want a site id or lng (−180..180) and lat (−90..90)", i)
			}
			if a.Kind == "" {
				return badf("add[%d]: a point needs a kind", i)
			}
			if _, err := model.ParseSiteKind(a.Kind); err != nil {
				return badf("add[%d]: %v", i, err)
			}
		}
	}
	if _, err := activity.ParseHours(r.Hours); err != nil {
		return badf("%v", err)
	}
	if _, err := model.ParseMetric(r.Metric, true); err != nil {
		return badf("%v", err)
	}
	return nil
}

// Result is the outcome of a siting request.
type Result struct {
	Version     string   `json:"version"` // data version the result was computed on
	K           int      `json:"k"`
	Metric      string   `json:"metric"`
	Hours       []int16  `json:"hours,omitempty"`
	DemandCells int      `json:"demand_cells"`
	Candidates  int      `json:"candidates"`
	Removed     []string `json:"removed,omitempty"`
	// RemovedSites are the closed sites, each with the demand only it
	// covered (Loss: uncovered once the removals are made).
	RemovedSites []RemovedSite `json:"removed_sites,omitempty"`
	// CandidateKinds counts the candidates of each kind asked for (a kind
	// with none adds nothing: the reason its gain is 0).
	CandidateKinds []KindCount `json:"candidate_kinds"`
	// Unit is the unit of every demand figure (gains, totals, bound): the
	// metric's unit in /api/meta; per the data loaded, not per day.
	Unit model.Label `json:"unit"`
	// Days are the dates of data the figures span; with rider-hours the
	// gains are also given per average day (gain_per_day), which does not
	// grow with the amount of data loaded.
	Days          int          `json:"days"`
	GainPerDay    *float64     `json:"gain_per_day,omitempty"`
	TotalDemand   float64      `json:"total_demand"`
	CoveredBase   float64      `json:"covered_base"` // covered by today's presence, before removals
	BasePct       float64      `json:"base_pct"`
	Loss          float64      `json:"loss"` // covered_base − covered_before: what the removals uncover
	LossPct       float64      `json:"loss_pct"`
	CoveredBefore float64      `json:"covered_before"`
	CoveredAfter  float64      `json:"covered_after"`
	BeforePct     float64      `json:"before_pct"`
	AfterPct      float64      `json:"after_pct"`
	Gain          float64      `json:"gain"`
	UpperBound    float64      `json:"upper_bound"`
	UpperBoundPct float64      `json:"upper_bound_pct"`
	Gap           float64      `json:"gap"` // (bound − after) / bound
	MaxK          int          `json:"max_k"`
	Method        string       `json:"method"`
	Picks         []PickResult `json:"picks"`
	ElapsedMs     float64      `json:"elapsed_ms"`
	SolveMs       float64      `json:"solve_ms"`
}

// PickResult is one chosen site, in order.
type PickResult struct {
	Rank     int     `json:"rank"`
	ID       string  `json:"id"` // site ext id, "add:N" for an ad-hoc point, "cell:HEX" for a cell centre
	SiteID   int64   `json:"site_id,omitempty"`
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	Status   string  `json:"status,omitempty"`
	Lng      float64 `json:"lng"`
	Lat      float64 `json:"lat"`
	RadiusM  float64 `json:"radius_m"`
	Required bool    `json:"required,omitempty"`
	Gain     float64 `json:"gain"` // demand newly covered, given the picks before it
	// GainPerDay is Gain per average day of data (rider-hours only).
	GainPerDay *float64          `json:"gain_per_day,omitempty"`
	GainPct    float64           `json:"gain_pct"` // of total demand
	CumPct     float64           `json:"cumulative_pct"`
	Street     *coverage.AreaRef `json:"street,omitempty"`
	// Zones are the gap zones of /api/gaps (same viewer, hours, metric)
	// this pick newly covers demand in, those it closes first.
	Zones []PickZone `json:"zones"`
	// RiderHours are the rider-hours of the cells this pick newly covers
	// (released ones outside the admin role); Riders their distinct riders,
	// for admins only (the release has no distinct riders of a cell set).
	RiderHours float64 `json:"rider_hours"`
	Riders     *int64  `json:"riders,omitempty"`
}

// PickZone is a gap zone a pick reaches.
type PickZone struct {
	Rank int    `json:"rank"`
	ID   string `json:"id"`
	// Gain is the zone's demand this pick newly covers; CoveredPct the
	// share of the zone's demand covered once it is built (with the picks
	// before it); Closed: all of it.
	Gain       float64 `json:"gain"`
	CoveredPct float64 `json:"covered_pct"`
	Closed     bool    `json:"closed"`
}

// RemovedSite is an existing site the request closes.
type RemovedSite struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Lng     float64 `json:"lng"`
	Lat     float64 `json:"lat"`
	RadiusM float64 `json:"radius_m"`
	// Loss is the demand this site covered that no site kept covers (cells
	// two removed sites shared count for both); LossPct of total demand.
	Loss    float64 `json:"loss"`
	LossPct float64 `json:"loss_pct"`
}

// KindCount is how many candidate sites a kind offers.
type KindCount struct {
	Kind       string `json:"kind"`
	Candidates int    `json:"candidates"`
}

// Service runs siting requests against the current data and keeps
// scenarios.
type Service struct {
	Coverage *coverage.Engine
	Options  Options // solver options
	sem      *semaphore.Weighted
}

// NewService returns a service allowing concurrency solves at once (0:
// DefaultConcurrency).
func NewService(eng *coverage.Engine, concurrency int) *Service {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	return &Service{Coverage: eng, sem: semaphore.NewWeighted(int64(concurrency))}
}

// candidate is a possible site with its position and radius.
type candidate struct {
	PickResult
	point orb.Point
}

// built is a request turned into a Problem over an analysis.
type built struct {
	a       *coverage.Analysis
	p       Problem
	cands   []candidate
	rem     []string
	removed []RemovedSite
	kinds   []KindCount
}

// params sets Released for callers outside the admin role (the server's
// viewer in ctx; the CLI sets an admin viewer for --admin): they site on the
// published release's shown cells only, so cell-centre candidates, added
// sites and gains all come from released demand.
func (s *Service) params(ctx context.Context, p coverage.Params) coverage.Params {
	return s.Coverage.ForViewer(p, httpkit.ViewerFrom(ctx))
}

// build turns a request into a Problem over the current data.
func (s *Service) build(ctx context.Context, req Request) (*built, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	hours, _ := activity.ParseHours(req.Hours)
	metric, _ := model.ParseMetric(req.Metric, true)
	a, err := s.Coverage.Analyze(ctx, s.params(ctx, coverage.Params{Hours: hours, Metric: metric, Planned: req.Planned}))
	if err != nil {
		return nil, err
	}
	set := a.Settings
	b := &built{a: a}

	byExt := make(map[string]coverage.Site, len(a.Sites))
	for _, st := range a.Sites {
		byExt[st.ExtID] = st
	}
	presence := map[string]bool{}
	for _, st := range a.Presence {
		presence[st.ExtID] = true
	}
	removed := map[string]bool{}
	for _, id := range req.Remove {
		if !presence[id] {
			return nil, badf("remove: %q is not an existing presence site", id)
		}
		if !removed[id] {
			removed[id] = true
			b.rem = append(b.rem, id)
		}
	}
	var keep []coverage.Site
	for _, st := range a.Presence {
		if !removed[st.ExtID] {
			keep = append(keep, st)
		}
	}
	covered := a.CoveredBy(keep, set.Radius)
	for _, id := range b.rem {
		st := byExt[id]
		rs := RemovedSite{ID: st.ExtID, Name: st.Name, Kind: st.Kind, Lng: st.Point[0], Lat: st.Point[1], RadiusM: set.Radius(st.Kind)}
		seen := map[int]bool{}
		a.Within(st.Point, st.ID, rs.RadiusM, func(i int) {
			if !covered[i] && !seen[i] {
				seen[i] = true
				rs.Loss += a.Cells[i].Demand
			}
		})
		rs.LossPct = coverage.CoverPct(rs.Loss, a.TotalDemand)
		b.removed = append(b.removed, rs)
	}

	p := Problem{K: req.K, Covered: covered, Demand: make([]float64, len(a.Cells))}
	for i, c := range a.Cells {
		p.Demand[i] = c.Demand
	}
	addCand := func(c candidate) int {
		var cells []int
		a.Within(c.point, c.SiteID, c.RadiusM, func(i int) { cells = append(cells, i) })
		b.cands = append(b.cands, c)
		p.Candidates = append(p.Candidates, Candidate{ID: c.ID, Cells: cells})
		return len(b.cands) - 1
	}
	fromSite := func(st coverage.Site) candidate {
		return candidate{PickResult: PickResult{ID: st.ExtID, SiteID: st.ID, Name: st.Name, Kind: st.Kind, Status: st.Status,
			Lng: st.Point[0], Lat: st.Point[1], RadiusM: set.Radius(st.Kind)}, point: st.Point}
	}
	inPresence := func(st coverage.Site) bool { return presence[st.ExtID] && !removed[st.ExtID] }

	// Required sites first.
	used := map[string]bool{}
	for n, ad := range req.Add {
		var c candidate
		if ad.ID != "" {
			st, ok := byExt[ad.ID]
			if !ok {
				return nil, badf("add: no site %q", ad.ID)
			}
			if inPresence(st) {
				return nil, badf("add: %q already covers as an existing site", ad.ID)
			}
			if used[ad.ID] {
				return nil, badf("add: %q given twice", ad.ID)
			}
			used[ad.ID] = true
			c = fromSite(st)
		} else {
			pt := orb.Point{*ad.Lng, *ad.Lat}
			name := ad.Name
			if name == "" {
				name = fmt.Sprintf("new %s %d", ad.Kind, n+1)
			}
			c = candidate{PickResult: PickResult{ID: fmt.Sprintf("add:%d", n+1), Name: name, Kind: ad.Kind, Status: "new",
				Lng: pt[0], Lat: pt[1], RadiusM: set.Radius(ad.Kind)}, point: pt}
		}
		c.Required = true
		p.Required = append(p.Required, addCand(c))
	}
	kinds := req.Candidates
	if kinds == nil {
		kinds = DefaultCandidateKinds
	}
	perKind := map[string]int{}
	for _, st := range a.Sites {
		if used[st.ExtID] || presence[st.ExtID] || !slices.Contains(kinds, st.Kind) {
			continue
		}
		if st.Status != "candidate" && st.Status != "planned" {
			continue
		}
		perKind[st.Kind]++
		addCand(fromSite(st))
	}
	b.kinds = []KindCount{}
	for _, k := range kinds {
		if !slices.ContainsFunc(b.kinds, func(c KindCount) bool { return c.Kind == k }) {
			b.kinds = append(b.kinds, KindCount{Kind: k, Candidates: perKind[k]})
		}
	}
	if len(p.Candidates) == 0 && !req.CellCentres {
		names := make([]string, len(b.kinds))
		for i, k := range b.kinds {
			names[i] = kindName(k.Kind)
		}
		return nil, badf("no candidate sites of the kinds asked (%s): none is a candidate or planned site; choose other kinds, add a site, or use cell centres", strings.Join(names, ", "))
	}
	if req.CellCentres {
		for i, c := range a.Cells {
			if c.Demand <= 0 {
				continue
			}
			addCand(candidate{PickResult: PickResult{ID: fmt.Sprintf("cell:%x", uint64(c.Cell)), Name: "cell " + fmt.Sprintf("%x", uint64(c.Cell)),
				Kind: "cell", Lng: c.Center[0], Lat: c.Center[1], RadiusM: set.DefaultRadiusM}, point: a.Cells[i].Center})
		}
	}
	b.p = p
	return b, nil
}

// Run solves a request on the current data. It does not take a slot of the
// concurrency limit (the HTTP handlers do).
func (s *Service) Run(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	b, err := s.build(ctx, req)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	sol, err := Solve(ctx, b.p, s.Options)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, errs.E(errs.Invalid, err.Error(), err)
		}
		return nil, err
	}
	solveMs := float64(time.Since(t0).Microseconds()) / 1000
	tot := sol.TotalDemand
	res := &Result{Version: b.a.Version, K: req.K, Metric: string(b.a.Params.Metric), Hours: b.a.Params.Hours,
		DemandCells: len(b.p.Demand), Candidates: len(b.p.Candidates), Removed: b.rem, RemovedSites: b.removed,
		CandidateKinds: b.kinds, Unit: model.MetricInfos[b.a.Params.Metric].Unit, MaxK: MaxK, Days: b.a.Days,
		CoveredBase: b.a.CoveredDemand, BasePct: coverage.CoverPct(b.a.CoveredDemand, tot),
		Loss: max(0, b.a.CoveredDemand-sol.CoveredBefore), LossPct: coverage.CoverPct(max(0, b.a.CoveredDemand-sol.CoveredBefore), tot),
		TotalDemand: sol.TotalDemand, CoveredBefore: sol.CoveredBefore, CoveredAfter: sol.CoveredAfter,
		BeforePct: coverage.CoverPct(sol.CoveredBefore, tot), AfterPct: coverage.CoverPct(sol.CoveredAfter, tot),
		Gain: sol.CoveredAfter - sol.CoveredBefore, UpperBound: sol.UpperBound, UpperBoundPct: coverage.CoverPct(sol.UpperBound, tot),
		Gap: sol.Gap, Method: sol.Method, Picks: []PickResult{}, SolveMs: solveMs}
	cum := sol.CoveredBefore
	pts := make([]orb.Point, len(sol.Picks))
	for n, pk := range sol.Picks {
		c := b.cands[pk.Candidate]
		pr := c.PickResult
		pr.Rank = n + 1
		pr.Gain = pk.Gain
		cum += pk.Gain
		pr.GainPct = coverage.CoverPct(pk.Gain, tot)
		pr.CumPct = coverage.CoverPct(cum, tot)
		pr.GainPerDay = b.perDay(pk.Gain)
		res.Picks = append(res.Picks, pr)
		pts[n] = c.point
	}
	res.GainPerDay = b.perDay(res.Gain)
	if err := s.explain(ctx, b, &sol, res); err != nil {
		return nil, err
	}
	streets, err := s.Coverage.Store().AreasAt(ctx, "street", pts)
	if err != nil {
		return nil, err
	}
	for n, ar := range streets {
		if ar.Code != "" {
			res.Picks[n].Street = &coverage.AreaRef{Code: ar.Code, Name: ar.Name, NameEn: ar.NameEn}
		}
	}
	res.ElapsedMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// perDay is x per average day of data when the demand is rider-hours
// (distinct riders do not add up over days), else nil.
func (b *built) perDay(x float64) *float64 {
	if b.a.Params.Metric != model.MetricRiderHours || b.a.Days <= 0 {
		return nil
	}
	v := b.a.PerDay(x)
	return &v
}

// kindName is a site kind as "骑手驿站 (rest_station)".
func kindName(k string) string {
	if l, ok := model.SiteKindLabels[model.SiteKind(k)]; ok {
		return l.Zh + " (" + k + ")"
	}
	return k
}

// explain fills in what each pick reaches: the cells it newly covers, their
// rider-hours and (admins) distinct riders, and the gap zones of /api/gaps
// it covers demand in or closes.
func (s *Service) explain(ctx context.Context, b *built, sol *Solution, res *Result) error {
	a := b.a
	v := httpkit.ViewerFrom(ctx)
	zones, err := a.ListedZones(ctx, s.Coverage, v)
	if err != nil {
		return err
	}
	zoneOf := make([]int32, len(a.Cells))
	for i := range zoneOf {
		zoneOf[i] = -1
	}
	for z, zn := range zones {
		for _, i := range zn.Cells {
			zoneOf[i] = int32(z)
		}
	}
	cov := make([]bool, len(a.Cells))
	if b.p.Covered != nil {
		copy(cov, b.p.Covered)
	}
	zoneCovered := make([]float64, len(zones))
	var cells []int64
	var groups []int32
	for n, pk := range sol.Picks {
		pr := &res.Picks[n]
		gain := map[int32]float64{}
		for _, i := range b.p.Candidates[pk.Candidate].Cells {
			if cov[i] {
				continue
			}
			cov[i] = true
			c := a.Cells[i]
			pr.RiderHours += c.RiderHours
			cells = append(cells, int64(c.Cell))
			groups = append(groups, int32(n))
			if z := zoneOf[i]; z >= 0 {
				gain[z] += c.Demand
				zoneCovered[z] += c.Demand
			}
		}
		pr.Zones = []PickZone{}
		for z, g := range gain {
			zn := zones[z]
			closed := !slices.ContainsFunc(zn.Cells, func(i int) bool { return !cov[i] })
			pr.Zones = append(pr.Zones, PickZone{Rank: zn.Rank, ID: zn.ID, Gain: g, CoveredPct: coverage.CoverPct(zoneCovered[z], zn.Demand), Closed: closed})
		}
		slices.SortFunc(pr.Zones, func(x, y PickZone) int {
			if x.Closed != y.Closed {
				if x.Closed {
					return -1
				}
				return 1
			}
			return x.Rank - y.Rank
		})
	}
	if !v.Admin() {
		return nil
	}
	riders, err := s.Coverage.Store().DistinctRiders(ctx, a.Settings.DemandRes, a.Params.Hours, cells, groups)
	if err != nil {
		return err
	}
	for n := range res.Picks {
		r := riders[int32(n)]
		res.Picks[n].Riders = &r
	}
	return nil
}

// CoverageFigures are covered and total demand.
type CoverageFigures struct {
	TotalDemand   float64 `json:"total_demand"`
	CoveredDemand float64 `json:"covered_demand"`
	CoveragePct   float64 `json:"coverage_pct"`
}

// Comparison sets a saved scenario against the baseline: current coverage
// with no changes.
type Comparison struct {
	ID       int64           `json:"id"`
	Name     string          `json:"name"`
	Version  string          `json:"version"`  // data version compared on
	Stale    bool            `json:"stale"`    // the scenario was computed on other data
	Baseline CoverageFigures `json:"baseline"` // existing presence, no changes
	Scenario CoverageFigures `json:"scenario"` // removals and the saved picks applied to today's data
	Delta    float64         `json:"delta"`
	DeltaPct float64         `json:"delta_pct"` // percentage points
	Saved    struct {
		Before float64 `json:"covered_before"`
		After  float64 `json:"covered_after"`
	} `json:"saved"`
}

// Compare evaluates a saved scenario's removals and picks on the current
// data against the baseline.
func (s *Service) Compare(ctx context.Context, sc store.Scenario) (*Comparison, error) {
	var req Request
	if err := json.Unmarshal(sc.Params, &req); err != nil {
		return nil, fmt.Errorf("scenario %d: stored request: %w", sc.ID, err)
	}
	var res Result
	if err := json.Unmarshal(sc.Result, &res); err != nil {
		return nil, fmt.Errorf("scenario %d: stored result: %w", sc.ID, err)
	}
	hours, _ := activity.ParseHours(req.Hours)
	metric, _ := model.ParseMetric(req.Metric, true)
	a, err := s.Coverage.Analyze(ctx, s.params(ctx, coverage.Params{Hours: hours, Metric: metric, Planned: req.Planned}))
	if err != nil {
		return nil, err
	}
	removed := map[string]bool{}
	for _, id := range req.Remove {
		removed[id] = true
	}
	var keep []coverage.Site
	for _, st := range a.Presence {
		if !removed[st.ExtID] {
			keep = append(keep, st)
		}
	}
	cov := a.CoveredBy(keep, a.Settings.Radius)
	for _, pk := range res.Picks {
		a.Index.Within(orb.Point{pk.Lng, pk.Lat}, pk.RadiusM, func(i int) { cov[i] = true })
	}
	var after float64
	for i, c := range a.Cells {
		if cov[i] {
			after += c.Demand
		}
	}
	cmp := &Comparison{ID: sc.ID, Name: sc.Name, Version: a.Version, Stale: a.Version != res.Version,
		Baseline: CoverageFigures{a.TotalDemand, a.CoveredDemand, coverage.CoverPct(a.CoveredDemand, a.TotalDemand)},
		Scenario: CoverageFigures{a.TotalDemand, after, coverage.CoverPct(after, a.TotalDemand)}}
	cmp.Delta = after - a.CoveredDemand
	cmp.DeltaPct = cmp.Scenario.CoveragePct - cmp.Baseline.CoveragePct
	cmp.Saved.Before, cmp.Saved.After = res.CoveredBefore, res.CoveredAfter
	return cmp, nil
}

// Describe is a one-line human summary of a request, for logs and tables.
func (r Request) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "k=%d", r.K)
	if len(r.Candidates) > 0 {
		fmt.Fprintf(&b, " candidates=%s", strings.Join(r.Candidates, ","))
	}
	if r.CellCentres {
		b.WriteString(" +cell centres")
	}
	if len(r.Add) > 0 {
		fmt.Fprintf(&b, " add=%d", len(r.Add))
	}
	if len(r.Remove) > 0 {
		fmt.Fprintf(&b, " remove=%s", strings.Join(r.Remove, ","))
	}
	if r.Hours != "" {
		fmt.Fprintf(&b, " hours=%s", r.Hours)
	}
	if r.Metric != "" {
		fmt.Fprintf(&b, " metric=%s", r.Metric)
	}
	return b.String()
}

// MaxScenarioName bounds a scenario's name, in characters.
const MaxScenarioName = 200

// Save runs a request and stores it with its result as a scenario.
func (s *Service) Save(ctx context.Context, name, createdBy string, req Request) (store.Scenario, *Result, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxScenarioName {
		return store.Scenario{}, nil, badf("name: want 1 to %d characters", MaxScenarioName)
	}
	res, err := s.Run(ctx, req)
	if err != nil {
		return store.Scenario{}, nil, err
	}
	return s.save(ctx, name, createdBy, req, res)
}

func (s *Service) save(ctx context.Context, name, createdBy string, req Request, res *Result) (store.Scenario, *Result, error) {
	pj, err := json.Marshal(req)
	if err != nil {
		return store.Scenario{}, nil, err
	}
	rj, err := json.Marshal(res)
	if err != nil {
		return store.Scenario{}, nil, err
	}
	sc, err := s.Coverage.Store().SaveScenario(ctx, name, createdBy, pj, rj)
	return sc, res, err
}

// RunLimited is Run if a solve slot is free, else an errs.Unavailable
// error (HTTP 503 with Retry-After): the HTTP handlers use it so a burst of
// what-ifs cannot take every core.
func (s *Service) RunLimited(ctx context.Context, req Request) (*Result, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if !s.sem.TryAcquire(1) {
		return nil, errs.E(errs.Unavailable, "siting is busy with other requests; retry shortly", 5*time.Second)
	}
	defer s.sem.Release(1)
	return s.Run(ctx, req)
}
