package gridassign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Service turns the stored rider ranges into [Evidence], ranks couriers per
// grid and saves proposals; the grid manager accepts or declines them. It is
// the one place where this pure package meets the store.
//
// Evidence of a courier in a grid ("in the grid" = in a range cell, res 9 by
// default, whose centre lies inside the grid polygon):
//   - TimeShare: his rider-seconds in the grid over all periods / his active
//     seconds over all periods.
//   - DaysActive: per period the most days he was seen in any one cell of the
//     grid, summed over periods and capped at DaysTotal — a lower bound of the
//     days he was in the grid (exact when he passes one of its cells every
//     day he is there). DaysTotal: local dates with any data.
//   - DwellShare: his dwell in the grid / his dwell, all periods (0 if none).
//   - Stability: the mean over consecutive periods of 1 − ½·L1 distance of
//     his cell-share vectors; 0 with a single period.
//
// Weights: the configured ones, except that while the data holds a single
// range period stability cannot be measured for anyone, so its weight is 0
// and the others are renormalised ([Score] divides by the weight sum). With
// two or more periods, a courier seen in one period only gets Stability 0.
type Service struct {
	st  *store.Store
	o   ServiceOptions
	sem *semaphore.Weighted
	ev  evidenceCache
}

// evidenceCache keeps the evidence (store.GridEvidence) of the grids asked
// lately, for one data version of the activity and the grids: a grid's
// list, its roster and the proposals read the same evidence, which over a
// month of ranges takes seconds to gather (docs/SCALING.md).
type evidenceCache struct {
	mu    sync.Mutex
	ver   string
	basis *store.EvidenceBasis            // nil until read at ver
	by    map[string][]store.GridEvidence // by grid code, ordered by rider
	order []string                        // codes, oldest first
}

// at makes the cache one of data version ver, forgetting what it kept of
// another. The caller holds mu.
func (c *evidenceCache) at(ver string) {
	if c.ver != ver {
		c.ver, c.basis, c.by, c.order = ver, nil, map[string][]store.GridEvidence{}, nil
	}
}

// dataVersion names the data the evidence is read from.
func (s *Service) dataVersion(ctx context.Context) (string, error) {
	vs, err := s.st.DataVersions(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("activity:%d,grids:%d", vs["activity"], vs["grids"]), nil
}

// evidenceBasis is store.EvidenceBasis at data version ver (dataVersion),
// kept like the evidence (counting the periods scans every range).
func (s *Service) evidenceBasis(ctx context.Context, ver string) (store.EvidenceBasis, error) {
	c := &s.ev
	c.mu.Lock()
	c.at(ver)
	if c.basis != nil {
		b := *c.basis
		c.mu.Unlock()
		return b, nil
	}
	c.mu.Unlock()
	eb, err := s.st.EvidenceBasis(ctx)
	if err != nil {
		return eb, err
	}
	c.mu.Lock()
	if c.ver == ver {
		c.basis = &eb
	}
	c.mu.Unlock()
	return eb, nil
}

// evidenceGrids bounds the grids whose evidence is kept.
const evidenceGrids = 64

// evidence returns the evidence of the grids codes at data version ver
// (dataVersion), ordered by grid and rider as store.GridEvidence gives it,
// reading only the grids not kept for that version.
func (s *Service) evidence(ctx context.Context, ver string, codes []string) ([]store.GridEvidence, error) {
	codes = slices.Compact(slices.Sorted(slices.Values(codes)))
	c := &s.ev
	have := make(map[string][]store.GridEvidence, len(codes))
	var missing []string
	c.mu.Lock()
	c.at(ver)
	for _, code := range codes {
		if ev, ok := c.by[code]; ok {
			have[code] = ev
		} else {
			missing = append(missing, code)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		ev, err := s.st.GridEvidence(ctx, missing, s.o.RangeRes)
		if err != nil {
			return nil, err
		}
		for _, code := range missing {
			have[code] = nil // a grid nobody passed through is kept too
		}
		for i := 0; i < len(ev); {
			j := i
			for j < len(ev) && ev[j].Grid == ev[i].Grid {
				j++
			}
			have[ev[i].Grid] = ev[i:j:j]
			i = j
		}
		c.mu.Lock()
		if c.ver == ver { // else the data changed meanwhile: keep nothing
			for _, code := range missing {
				if _, ok := c.by[code]; !ok {
					c.order = append(c.order, code)
				}
				c.by[code] = have[code]
			}
			for len(c.order) > evidenceGrids {
				delete(c.by, c.order[0])
				c.order = c.order[1:]
			}
		}
		c.mu.Unlock()
	}
	var out []store.GridEvidence
	for _, code := range codes {
		out = append(out, have[code]...)
	}
	return out, nil
}

// ServiceOptions configure a [Service]; zero values mean the defaults.
type ServiceOptions struct {
	Weights       Weights       // DefaultWeights
	Thresholds    Thresholds    // DefaultThresholds (the zero value means the defaults)
	MaxGrids      int           // grids per courier unless a request says otherwise; 1
	RangeRes      int           // resolution of the range cells (rider_ranges.cells); 9
	MaxConcurrent int           // heavy operations (ranking, proposals) at once; 2
	Wait          time.Duration // how long a heavy operation waits for a slot before ErrBusy; 2s
}

// Limits of requests.
const (
	DefaultLimit = 20
	MaxLimit     = 200
	MaxMaxGrids  = 5
)

// Errors of the service, with their kinds (errs): a request about
// something that does not exist, a decision on an assignment no longer
// proposed, and too much work at once.
var (
	ErrNotFound    = errs.E(errs.NotFound, "not found")
	ErrNotProposed = store.ErrNotProposed
	ErrBusy        = errs.E(errs.Unavailable, "too many assignment computations at once; retry shortly")
)

// inputErr is a request that cannot be served as asked (errs.Invalid).
func inputErr(format string, a ...any) error { return errs.Errorf(errs.Invalid, format, a...) }

// NewService builds a Service on st.
func NewService(st *store.Store, o ServiceOptions) *Service {
	if o.Weights == (Weights{}) {
		o.Weights = DefaultWeights()
	}
	if o.Thresholds == (Thresholds{}) {
		o.Thresholds = DefaultThresholds()
	}
	if o.MaxGrids <= 0 {
		o.MaxGrids = 1
	}
	if o.RangeRes <= 0 {
		o.RangeRes = 9
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	return &Service{st: st, o: o, sem: semaphore.NewWeighted(int64(o.MaxConcurrent))}
}

// acquire takes a slot for heavy work, waiting at most o.Wait.
func (s *Service) acquire(ctx context.Context) (func(), error) {
	return acquireWithin(ctx, s.sem, s.o.Wait, ErrBusy)
}

// acquireWithin takes a slot of sem, waiting at most wait: busy when none
// frees up in time, the context's error when the caller goes away first.
func acquireWithin(ctx context.Context, sem *semaphore.Weighted, wait time.Duration, busy error) (func(), error) {
	if sem.TryAcquire(1) {
		return func() { sem.Release(1) }, nil
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, busy
	}
	return func() { sem.Release(1) }, nil
}

// Explanation says in a sentence why a courier is proposed (PIPL Art. 24).
type Explanation struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// WeightsView is [Weights] as JSON.
type WeightsView struct {
	Time      float64 `json:"time"`
	Days      float64 `json:"days"`
	Dwell     float64 `json:"dwell"`
	Stability float64 `json:"stability"`
}

// ThresholdsView is [Thresholds] as JSON, with the minimum hours for the
// data's days.
type ThresholdsView struct {
	MinShare        float64 `json:"min_share"`
	MinHoursPerWeek float64 `json:"min_hours_per_week"`
	MinHours        float64 `json:"min_hours"` // for the days of the data, rounded to 0.1 h
}

// Basis is what every score of a response rests on.
type Basis struct {
	DaysTotal  int            `json:"days_total"` // local dates with any data
	Periods    int            `json:"periods"`    // range periods in the data
	Weights    WeightsView    `json:"weights"`    // weights used (stability 0 with a single period)
	Thresholds ThresholdsView `json:"thresholds"` // who is worth asking at all
	CellRes    int            `json:"cell_res"`   // resolution of the cells counted as in a grid
	Note       string         `json:"note"`
}

func (b Basis) weights() Weights {
	return Weights{Time: b.Weights.Time, Days: b.Weights.Days, Dwell: b.Weights.Dwell, Stability: b.Weights.Stability}
}

// CandidateView is a ranked courier with the figures behind his score, as
// an admin sees them. Every figure is rounded as it is shown (score to 0.1,
// shares to whole per cent, hours to 0.1 h) and the explanation is written
// from these rounded figures. Grid managers get [ManagerCandidate] instead.
type CandidateView struct {
	Rank           int         `json:"rank,omitempty"`
	Rider          string      `json:"rider"` // pseudonym, first 12 hex characters
	Score          float64     `json:"score"`
	TimeShare      float64     `json:"time_share"`
	TimeShareBand  string      `json:"time_share_band"` // the band a grid manager sees, e.g. "40–60%"
	DaysActive     int         `json:"days_active"`
	DaysTotal      int         `json:"days_total"`
	DwellShare     float64     `json:"dwell_share"`
	DwellShareBand string      `json:"dwell_share_band"`
	Stability      float64     `json:"stability"`
	Periods        int         `json:"periods"`
	InGridHours    float64     `json:"in_grid_hours"`
	Status         string      `json:"status,omitempty"`   // this grid: accepted (member), proposed or declined
	Decision       string      `json:"decision,omitempty"` // the manager's decision for this grid: accepted or declined
	Explanation    Explanation `json:"explanation"`
}

// GridView is a grid as the API shows it.
type GridView = store.GridInfo

// CandidateList is the ranking of one grid: only couriers who meet the
// thresholds (Basis.Thresholds). When none does, Candidates is empty and
// Reason says why (the map shows 暂无合适人选).
type CandidateList struct {
	Grid       GridView        `json:"grid"`
	Basis      Basis           `json:"basis"`
	Total      int             `json:"total"` // couriers who meet the thresholds
	Weak       int             `json:"weak"`  // couriers with time in the grid below a threshold, not listed
	Candidates []CandidateView `json:"candidates"`
	Reason     *Explanation    `json:"reason,omitempty"` // why the list is empty
}

// basis reads the data's days and periods and picks the weights.
func (s *Service) basis(ctx context.Context, ver string) (Basis, error) {
	eb, err := s.evidenceBasis(ctx, ver)
	if err != nil {
		return Basis{}, err
	}
	w := s.o.Weights
	b := Basis{DaysTotal: max(1, eb.DaysTotal), Periods: eb.Periods, CellRes: s.o.RangeRes,
		Note: "in the grid = in a res-" + strconv.Itoa(s.o.RangeRes) + " cell whose centre lies inside the grid; days active is a lower bound (per period, the most days in any one cell of the grid)"}
	if eb.Periods < 2 {
		w.Stability = 0
		b.Note += "; stability is not scored: the data holds a single period"
	}
	b.Weights = WeightsView(w)
	t := s.o.Thresholds
	b.Thresholds = ThresholdsView{MinShare: t.MinShare, MinHoursPerWeek: t.MinHoursPerWeek, MinHours: round(t.MinHours(b.DaysTotal), 1)}
	return b, nil
}

// EvidenceOf turns stored figures into [Evidence] (Rider = short pseudonym).
func EvidenceOf(g store.GridEvidence, daysTotal int) Evidence {
	return Evidence{
		Rider:      store.ShortPID(g.PID),
		TimeShare:  ratio(g.Seconds, g.ActiveSeconds),
		DaysActive: min(g.Days, daysTotal),
		DaysTotal:  daysTotal,
		DwellShare: ratio(g.DwellSeconds, g.TotalDwell),
		Stability:  g.Stability,
		Hours:      g.Seconds / 3600,
	}
}

func ratio(a, b float64) float64 {
	if !(b > 0) {
		return 0
	}
	return min(1, max(0, a/b))
}

func candidateView(g store.GridEvidence, b Basis, status string) CandidateView {
	e := EvidenceOf(g, b.DaysTotal)
	c := CandidateView{
		Rider: e.Rider, Score: round(Score(e, b.weights()), 1), TimeShare: round(e.TimeShare, 2),
		TimeShareBand: band(round(e.TimeShare, 2)), DaysActive: e.DaysActive, DaysTotal: e.DaysTotal,
		DwellShare: round(e.DwellShare, 2), DwellShareBand: band(round(e.DwellShare, 2)), Stability: round(e.Stability, 2),
		Periods: g.Periods, InGridHours: round(g.Seconds/3600, 1), Status: status,
	}
	if status == "accepted" || status == "declined" {
		c.Decision = status
	}
	c.Explanation = explain(c, b)
	return c
}

func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// Bands of a share shown to grid managers: the lower bounds, highest first.
var shareBands = []struct {
	min   float64
	label string
}{{0.6, "≥60%"}, {0.4, "40–60%"}, {0.2, "20–40%"}, {0.1, "10–20%"}, {0, "<10%"}}

// band returns the band of a share (0..1).
func band(x float64) string {
	for _, b := range shareBands {
		if x >= b.min {
			return b.label
		}
	}
	return shareBands[len(shareBands)-1].label
}

// pct formats a rounded share as a whole percentage.
func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 0, 64) + "%" }

func explain(c CandidateView, b Basis) Explanation {
	var zh, en strings.Builder
	fmt.Fprintf(&en, "%s of active time inside this grid (%.1f h); seen here on %d of %d days; %s of waiting and rest time here",
		pct(c.TimeShare), c.InGridHours, c.DaysActive, c.DaysTotal, pct(c.DwellShare))
	fmt.Fprintf(&zh, "在本网格内的时间占其活跃时间的%s（%.1f小时）；%d天中有%d天到过本网格；等单和休息时间的%s在本网格",
		pct(c.TimeShare), c.InGridHours, c.DaysTotal, c.DaysActive, pct(c.DwellShare))
	switch {
	case b.Weights.Stability == 0:
		en.WriteString("; stability not scored (one period of data)")
		zh.WriteString("；数据仅一个时段，未计稳定度")
	case c.Periods < 2:
		en.WriteString("; seen in one period only, so stability 0")
		zh.WriteString("；仅在一个时段出现，稳定度记为0")
	default:
		fmt.Fprintf(&en, "; range similarity across %d periods %.2f", c.Periods, c.Stability)
		fmt.Fprintf(&zh, "；%d个时段间活动范围相似度%.2f", c.Periods, c.Stability)
	}
	fmt.Fprintf(&en, ". Score %.1f of 100.", c.Score)
	fmt.Fprintf(&zh, "。得分%.1f（满分100）。", c.Score)
	en.WriteString(statusNote(c.Status).En)
	zh.WriteString(statusNote(c.Status).Zh)
	return Explanation{Zh: zh.String(), En: en.String()}
}

// statusNote is the sentence about a courier's standing in the grid.
func statusNote(status string) Explanation {
	switch status {
	case "accepted":
		return Explanation{En: " Already a member of this grid.", Zh: "已是本网格兼职网格员。"}
	case "proposed":
		return Explanation{En: " Proposed for this grid, awaiting the manager's decision.", Zh: "已推荐至本网格，待网格长决定。"}
	case "declined":
		return Explanation{En: " Declined for this grid before; not proposed again.", Zh: "此前已婉拒本网格，不再推荐。"}
	}
	return Explanation{}
}

// noCandidates says why a grid has no one worth asking.
func noCandidates(b Basis, weak int) *Explanation {
	t := b.Thresholds
	if weak == 0 {
		return &Explanation{
			Zh: "暂无合适人选：数据中没有骑手或快递员在本网格内活动。",
			En: "No suitable candidate: no rider or courier was seen in this grid.",
		}
	}
	return &Explanation{
		Zh: fmt.Sprintf("暂无合适人选：%d人途经本网格，但无人在本网格内的时间达到其活跃时间的%s且%d天中累计%.1f小时。",
			weak, pct(t.MinShare), b.DaysTotal, t.MinHours),
		En: fmt.Sprintf("No suitable candidate: %d people passed through, but none spent %s of their active time and %.1f h over %d days in this grid.",
			weak, pct(t.MinShare), t.MinHours, b.DaysTotal),
	}
}

// Grid returns a grid, or ErrNotFound.
func (s *Service) Grid(ctx context.Context, code string) (GridView, error) {
	g, err := s.st.GridByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return g, errs.E(ErrNotFound, fmt.Sprintf("not found: grid %q", code))
	}
	return g, err
}

// SearchGrids finds grids by code prefix or name.
func (s *Service) SearchGrids(ctx context.Context, q string, limit int) ([]GridView, error) {
	return s.SearchGridsFor(ctx, q, limit, model.Viewer{Role: model.RoleAdmin})
}

// SearchGridsFor is SearchGrids as v may use it: a grid manager is offered
// only the grids of his scope (the ones he may open), other roles every
// grid.
func (s *Service) SearchGridsFor(ctx context.Context, q string, limit int, v model.Viewer) ([]GridView, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	var sc *store.GridScope
	if v.Role == model.RoleGridManager {
		sc = &store.GridScope{}
		for _, e := range v.Scope {
			switch {
			case strings.HasPrefix(e, "street:"):
				sc.Streets = append(sc.Streets, e[len("street:"):])
			case strings.HasPrefix(e, "community:"):
				sc.Communities = append(sc.Communities, e[len("community:"):])
			case !strings.Contains(e, ":"):
				sc.Codes = append(sc.Codes, e)
			}
		}
	}
	gs, err := s.st.SearchGridsIn(ctx, strings.TrimSpace(q), limit, sc)
	if gs == nil {
		gs = []GridView{}
	}
	return gs, err
}

// prepare takes a slot of the bounded heavy work and reads the data version
// (one query for the basis and the evidence) and the basis of the scores.
// The caller must release the slot. (Every range cell has its
// centre in hex_cells: the import writes both in one transaction.)
func (s *Service) prepare(ctx context.Context) (release func(), b Basis, ver string, err error) {
	release, err = s.acquire(ctx)
	if err != nil {
		return nil, b, "", err
	}
	if ver, err = s.dataVersion(ctx); err == nil {
		b, err = s.basis(ctx, ver)
	}
	if err != nil {
		release()
		return nil, b, "", err
	}
	return release, b, ver, nil
}

// Candidates ranks the couriers of one grid (limit 1..MaxLimit; 0 means
// DefaultLimit).
func (s *Service) Candidates(ctx context.Context, code string, limit int) (*CandidateList, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return nil, inputErr("limit must be between 1 and %d", MaxLimit)
	}
	g, err := s.Grid(ctx, code)
	if err != nil {
		return nil, err
	}
	release, b, ver, err := s.prepare(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ev, err := s.evidence(ctx, ver, []string{code})
	if err != nil {
		return nil, err
	}
	rows, err := s.st.Assignments(ctx, store.AssignmentFilter{Grids: []string{code}, Statuses: []string{"proposed", "accepted", "declined"}})
	if err != nil {
		return nil, err
	}
	status := map[int64]string{}
	for _, a := range rows {
		if status[a.Rider] == "" || a.Status != "declined" {
			status[a.Rider] = a.Status
		}
	}
	byShort := make(map[string]store.GridEvidence, len(ev))
	evs := make([]Evidence, 0, len(ev))
	weak := 0
	for _, e := range ev {
		x := EvidenceOf(e, b.DaysTotal)
		if !s.o.Thresholds.Qualifies(x) {
			if unit(x.TimeShare) > 0 {
				weak++
			}
			continue
		}
		byShort[x.Rider] = e
		evs = append(evs, x)
	}
	ranked := Rank(evs, b.weights(), 0)
	out := &CandidateList{Grid: g, Basis: b, Total: len(ranked), Weak: weak, Candidates: make([]CandidateView, 0, min(limit, len(ranked)))}
	if len(ranked) == 0 {
		out.Reason = noCandidates(b, weak)
	}
	for _, c := range ranked[:min(limit, len(ranked))] {
		e := byShort[c.Rider]
		v := candidateView(e, b, status[e.Rider])
		v.Rank = c.Rank
		out.Candidates = append(out.Candidates, v)
	}
	return out, nil
}

// ProposeRequest is the body of POST /api/assignments: exactly one of
// Street, Community, Grids or All selects the grids.
type ProposeRequest struct {
	Street    string   `json:"street,omitempty"`
	Community string   `json:"community,omitempty"`
	Grids     []string `json:"grids,omitempty"`
	All       bool     `json:"all,omitempty"`
	MaxGrids  int      `json:"max_grids,omitempty"` // 1..5; 0 = the service's default
	Reassign  bool     `json:"reassign,omitempty"`  // withdraw the grids' members and fill every seat anew
	DryRun    bool     `json:"dry_run,omitempty"`   // compute, save nothing
}

func (r ProposeRequest) selection() (store.GridSelection, error) {
	n := 0
	for _, set := range []bool{r.Street != "", r.Community != "", len(r.Grids) > 0, r.All} {
		if set {
			n++
		}
	}
	if n != 1 {
		return store.GridSelection{}, inputErr(`give exactly one of "street", "community", "grids" or "all": true`)
	}
	if len(r.Grids) > 5000 {
		return store.GridSelection{}, inputErr("at most 5000 grids; use street, community or all")
	}
	for _, c := range r.Grids {
		if c == "" {
			return store.GridSelection{}, inputErr("empty grid code")
		}
	}
	return store.GridSelection{Street: r.Street, Community: r.Community, Codes: r.Grids, All: r.All}, nil
}

// Selected returns the grids a proposal request selects, or ErrNotFound.
func (s *Service) Selected(ctx context.Context, req ProposeRequest) ([]GridView, error) {
	sel, err := req.selection()
	if err != nil {
		return nil, err
	}
	return s.selectGrids(ctx, sel)
}

func (s *Service) selectGrids(ctx context.Context, sel store.GridSelection) ([]GridView, error) {
	grids, missing, err := s.st.SelectGrids(ctx, sel)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errs.E(ErrNotFound, fmt.Sprintf("not found: grid %s", strings.Join(missing, ", ")))
	}
	if len(grids) == 0 {
		return nil, errs.E(ErrNotFound, "not found: no grids match the selection")
	}
	return grids, nil
}

// MemberView is a current member of a grid, or a proposal with its status.
type MemberView struct {
	ID         int64      `json:"id,omitempty"` // assignment row id: accept and decline by it
	ProposalID int64      `json:"proposal_id,omitempty"`
	Rider      string     `json:"rider"`
	Score      float64    `json:"score,omitempty"` // withheld (0) for grid managers
	Status     string     `json:"status"`
	ProposedBy string     `json:"proposed_by,omitempty"`
	ProposedAt time.Time  `json:"proposed_at"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
}

func memberView(a store.AssignmentRow) MemberView {
	return MemberView{ID: a.ID, ProposalID: a.ProposalID, Rider: store.ShortPID(a.PID), Score: a.Score, Status: a.Status,
		ProposedBy: a.ProposedBy, ProposedAt: a.ProposedAt, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt}
}

// ProposedView is one proposed courier: the assignment and the evidence.
type ProposedView struct {
	MemberView
	Evidence CandidateView `json:"evidence"`
}

// ShortfallView is why a grid is left short of its target.
type ShortfallView struct {
	Target int    `json:"target"`
	Filled int    `json:"filled"`
	Reason string `json:"reason"`
}

// GridProposal is the proposal for one grid.
type GridProposal struct {
	Grid      GridView       `json:"grid"`
	Kept      []MemberView   `json:"kept"`     // accepted members keeping their seats
	Proposals []ProposedView `json:"proposed"` // new proposals, best first
	Shortfall *ShortfallView `json:"shortfall,omitempty"`
}

// ProposalResult is the answer to a proposal, and what is saved with it in
// the audit log (the basis of the manager's decisions).
type ProposalResult struct {
	ProposalID int64          `json:"proposal_id"` // 0 on a dry run
	DryRun     bool           `json:"dry_run,omitempty"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	Request    ProposeRequest `json:"request"`
	MaxGrids   int            `json:"max_grids"`
	Basis      Basis          `json:"basis"`
	Proposed   int            `json:"proposed"`
	TotalScore float64        `json:"total_score"`
	Withdrawn  []MemberView   `json:"withdrawn"` // open rows of these grids superseded by this proposal
	Shortfalls int            `json:"shortfalls"`
	Grids      []GridProposal `json:"grids"`
}

// Propose computes and (unless DryRun) saves a proposal for the selected
// grids: an exact [Solve] over the couriers who meet the thresholds, keeping accepted
// members (unless Reassign), never proposing declined pairs again, each
// courier in at most MaxGrids grids counting his memberships and open
// proposals elsewhere. Earlier open proposals of these grids are withdrawn.
func (s *Service) Propose(ctx context.Context, req ProposeRequest, actor string) (*ProposalResult, error) {
	sel, err := req.selection()
	if err != nil {
		return nil, err
	}
	maxGrids := req.MaxGrids
	if maxGrids == 0 {
		maxGrids = s.o.MaxGrids
	}
	if maxGrids < 1 || maxGrids > MaxMaxGrids {
		return nil, inputErr("max_grids must be between 1 and %d", MaxMaxGrids)
	}
	grids, err := s.selectGrids(ctx, sel)
	if err != nil {
		return nil, err
	}
	release, b, ver, err := s.prepare(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	codes := make([]string, len(grids))
	selected := make(map[string]bool, len(grids))
	for i, g := range grids {
		codes[i] = g.Code
		selected[g.Code] = true
	}
	ev, err := s.evidence(ctx, ver, codes)
	if err != nil {
		return nil, err
	}
	w := b.weights()
	evOf := make(map[[2]string]store.GridEvidence, len(ev)) // (grid, rider key)
	pidOf := map[string]string{}                            // rider key → pseudonym
	for _, e := range ev {
		k := strconv.FormatInt(e.Rider, 10)
		evOf[[2]string{e.Grid, k}] = e
		pidOf[k] = e.PID
	}

	res := &ProposalResult{CreatedBy: actor, Request: req, MaxGrids: maxGrids, Basis: b, DryRun: req.DryRun,
		Withdrawn: []MemberView{}, Grids: make([]GridProposal, len(grids))}
	var solved Result
	plan := func(st store.AssignState) ([]store.NewAssignment, error) {
		p := Problem{MaxGrids: maxGrids, Declined: map[[2]string]bool{}}
		idx := make(map[string]int, len(grids))
		for i, g := range grids {
			idx[g.Code] = i
			p.Grids = append(p.Grids, Grid{Code: g.Code, Target: g.Target})
			res.Grids[i] = GridProposal{Grid: g, Kept: []MemberView{}, Proposals: []ProposedView{}}
		}
		// Memberships and open proposals elsewhere count toward MaxGrids:
		// their grids join the problem with no seats to fill.
		for _, a := range st.Open {
			k := strconv.FormatInt(a.Rider, 10)
			i, ok := idx[a.Grid]
			if !ok {
				i = len(p.Grids)
				idx[a.Grid] = i
				p.Grids = append(p.Grids, Grid{Code: a.Grid})
			}
			p.Grids[i].Members = append(p.Grids[i].Members, k)
			if selected[a.Grid] {
				res.Grids[i].Kept = append(res.Grids[i].Kept, memberView(a))
			}
		}
		for _, a := range st.Declined {
			p.Declined[[2]string{a.Grid, strconv.FormatInt(a.Rider, 10)}] = true
		}
		for _, e := range ev {
			x := EvidenceOf(e, b.DaysTotal)
			if !s.o.Thresholds.Qualifies(x) {
				continue // a passer-by is never proposed
			}
			if sc := Score(x, w); sc > 0 {
				p.Edges = append(p.Edges, Edge{Grid: e.Grid, Rider: strconv.FormatInt(e.Rider, 10), Score: sc})
			}
		}
		var err error
		if solved, err = Solve(ctx, p); err != nil {
			return nil, err
		}
		news := make([]store.NewAssignment, 0, len(solved.Assignments))
		for _, a := range solved.Assignments {
			key, _ := strconv.ParseInt(a.Rider, 10, 64)
			news = append(news, store.NewAssignment{Grid: a.Grid, Rider: key, Score: a.Score})
		}
		for _, sf := range solved.Shortfalls {
			if i := idx[sf.Grid]; selected[sf.Grid] {
				res.Grids[i].Shortfall = &ShortfallView{Target: sf.Target, Filled: sf.Filled, Reason: sf.Reason}
				res.Shortfalls++
			}
		}
		return news, nil
	}
	fill := func(sp store.SavedProposal) {
		res.ProposalID, res.CreatedAt = sp.ID, sp.At
		gi := make(map[string]int, len(grids))
		for i, g := range grids {
			gi[g.Code] = i
		}
		for _, a := range sp.Withdrawn {
			res.Withdrawn = append(res.Withdrawn, memberView(a))
		}
		for _, a := range sp.Rows {
			k := strconv.FormatInt(a.Rider, 10)
			e := evOf[[2]string{a.Grid, k}]
			i := gi[a.Grid]
			res.Grids[i].Proposals = append(res.Grids[i].Proposals, ProposedView{MemberView: memberView(a), Evidence: candidateView(e, b, "")})
			res.Proposed++
			res.TotalScore += a.Score
		}
	}
	sp, err := s.st.Propose(ctx, store.ProposeParams{Grids: codes, Actor: actor, Reassign: req.Reassign, DryRun: req.DryRun}, plan,
		func(sp store.SavedProposal) (any, error) { fill(sp); return res, nil })
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		fill(sp)
	}
	return res, nil
}

// ProposalView is a saved proposal as proposed, with every row's status now.
type ProposalView struct {
	ProposalResult
	Rows []MemberView `json:"rows"` // every assignment of the proposal with its current status
}

// Proposal returns a saved proposal: what was proposed and why (as saved
// with it), with each assignment's current status.
func (s *Service) Proposal(ctx context.Context, id int64) (*ProposalView, error) {
	rec, err := s.st.Proposal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.E(ErrNotFound, fmt.Sprintf("not found: proposal %d", id))
	}
	if err != nil {
		return nil, err
	}
	v := &ProposalView{Rows: make([]MemberView, 0, len(rec.Rows))}
	if err := json.Unmarshal(rec.Detail, &v.ProposalResult); err != nil {
		return nil, fmt.Errorf("proposal %d: saved detail: %w", id, err)
	}
	now := make(map[int64]store.AssignmentRow, len(rec.Rows))
	for _, a := range rec.Rows {
		now[a.ID] = a
		v.Rows = append(v.Rows, memberView(a))
	}
	for i := range v.Grids {
		for j := range v.Grids[i].Proposals {
			p := &v.Grids[i].Proposals[j]
			if a, ok := now[p.ID]; ok {
				p.MemberView = memberView(a)
			}
		}
	}
	return v, nil
}

// Decide accepts or declines one proposed assignment (by row id). It
// returns ErrNotFound or ErrNotProposed (with the row as it is).
func (s *Service) Decide(ctx context.Context, id int64, accept bool, actor string) (MemberView, error) {
	status := "declined"
	if accept {
		status = "accepted"
	}
	a, err := s.st.DecideAssignment(ctx, id, status, actor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return MemberView{}, errs.E(ErrNotFound, fmt.Sprintf("not found: assignment %d", id))
	case errors.Is(err, store.ErrNotProposed):
		return memberView(a), errs.E(ErrNotProposed, fmt.Sprintf("assignment %d is %s; only proposed assignments can be accepted or declined", id, a.Status))
	case err != nil:
		return MemberView{}, err
	}
	return memberView(a), nil
}

// AssignmentGrid returns the grid of an assignment row (for scope checks),
// or ErrNotFound.
func (s *Service) AssignmentGrid(ctx context.Context, id int64) (GridView, error) {
	a, err := s.st.AssignmentByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return GridView{}, errs.E(ErrNotFound, fmt.Sprintf("not found: assignment %d", id))
	}
	if err != nil {
		return GridView{}, err
	}
	return s.Grid(ctx, a.Grid)
}

// GridOutline is a grid with its real outline (GeoJSON), so that a map can
// draw and fit the grid itself rather than its bounding box.
type GridOutline struct {
	GridView
	Geometry json.RawMessage `json:"geometry"`
}

// GridDetail is a grid with its current members and open proposals.
type GridDetail struct {
	Grid      GridOutline  `json:"grid"`
	Members   []MemberView `json:"members"`
	Proposals []MemberView `json:"proposals"`
}

// GridDetail returns a grid, its accepted members and open proposals.
func (s *Service) GridDetail(ctx context.Context, code string) (*GridDetail, error) {
	g, err := s.Grid(ctx, code)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.Assignments(ctx, store.AssignmentFilter{Grids: []string{code}, Statuses: []string{"proposed", "accepted"}})
	if err != nil {
		return nil, err
	}
	geom, err := s.st.GridGeometry(ctx, code)
	if err != nil {
		return nil, err
	}
	d := &GridDetail{Grid: GridOutline{GridView: g, Geometry: geom}, Members: []MemberView{}, Proposals: []MemberView{}}
	for _, a := range rows {
		if a.Status == "accepted" {
			d.Members = append(d.Members, memberView(a))
		} else {
			d.Proposals = append(d.Proposals, memberView(a))
		}
	}
	return d, nil
}

// RosterEntry is an accepted member for the roster exports.
type RosterEntry struct {
	Grid         string          `json:"grid"`
	GridName     string          `json:"grid_name"`
	Rider        string          `json:"rider"`
	Score        float64         `json:"score,omitempty"` // withheld (0) for grid managers
	AcceptedAt   time.Time       `json:"accepted_at"`
	AcceptedBy   string          `json:"accepted_by"`
	AssignmentID int64           `json:"assignment_id"`
	ProposalID   int64           `json:"proposal_id"`
	Range        json.RawMessage `json:"-"`        // GeoJSON geometry of the activity range (clipped to the grids for grid managers)
	Centroid     [2]float64      `json:"centroid"` // time-weighted centroid; for grid managers a point on the clipped range
}

// Roster returns the accepted members of one grid (code) or of every grid
// of a street (street), or ErrNotFound.
func (s *Service) Roster(ctx context.Context, code, street string) ([]RosterEntry, error) {
	return s.roster(ctx, code, street, false)
}

// roster is Roster, with ranges clipped to the grids when clip is set.
func (s *Service) roster(ctx context.Context, code, street string, clip bool) ([]RosterEntry, error) {
	var codes []string
	if street != "" {
		gs, _, err := s.st.SelectGrids(ctx, store.GridSelection{Street: street})
		if err != nil {
			return nil, err
		}
		if len(gs) == 0 {
			return nil, errs.E(ErrNotFound, fmt.Sprintf("not found: street %q has no grids", street))
		}
		for _, g := range gs {
			codes = append(codes, g.Code)
		}
	} else {
		if _, err := s.Grid(ctx, code); err != nil {
			return nil, err
		}
		codes = []string{code}
	}
	ms, err := s.st.Roster(ctx, codes, clip)
	if err != nil {
		return nil, err
	}
	out := make([]RosterEntry, 0, len(ms))
	for _, m := range ms {
		e := RosterEntry{Grid: m.Grid, GridName: m.GridName, Rider: store.ShortPID(m.PID), Score: m.Score,
			AcceptedBy: m.DecidedBy, AssignmentID: m.ID, ProposalID: m.ProposalID, Range: m.Range,
			Centroid: [2]float64{m.CentroidLng, m.CentroidLat}}
		if m.DecidedAt != nil {
			e.AcceptedAt = *m.DecidedAt
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b RosterEntry) int { return strings.Compare(a.Grid, b.Grid) })
	return out, nil
}
