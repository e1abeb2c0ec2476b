package gridassign

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What a grid manager may learn (issue 12): grid managers work with
// individual, pseudonymous couriers to recruit them, so they see figures of
// single couriers, but only what happens inside their own grids — hours and
// days there. Anything that relates in-grid time to the courier's time
// elsewhere is coarsened or withheld, so that no figure, ratio or explanation
// gives away how long he works outside their scope:
//   - the shares of his active time and of his waiting time in the grid come
//     as bands (shareBands), never exact;
//   - the score is withheld (with the exact in-grid hours and days, the
//     score would pin the time share, and so his total hours, far finer than
//     the band), and so are range stability and the proposal's total score;
//   - roster ranges are clipped to the roster's grids (store.Roster clip).
//
// Admins keep the exact figures. Every candidate list, proposal read and
// roster download, whoever makes it, is written to the audit log.

// Reader is who reads rider-level figures: the actor for the audit log, and
// whether he sees exact figures (admins) or a grid manager's view.
type Reader struct {
	Actor string
	Exact bool
}

// Audit actions of reads.
const (
	AuditCandidates = "grid.candidates.view"
	AuditProposal   = "assignment.proposal.view"
	AuditRoster     = "grid.roster.download"
)

// ManagerCandidate is a candidate as a grid manager sees him: his hours and
// days inside the grid, and the share of his time there as a band.
type ManagerCandidate struct {
	Rank           int         `json:"rank,omitempty"`
	Rider          string      `json:"rider"`
	TimeShareBand  string      `json:"time_share_band"`
	DaysActive     int         `json:"days_active"`
	DaysTotal      int         `json:"days_total"`
	DwellShareBand string      `json:"dwell_share_band"`
	InGridHours    float64     `json:"in_grid_hours"`
	Status         string      `json:"status,omitempty"`
	Decision       string      `json:"decision,omitempty"`
	Explanation    Explanation `json:"explanation"`
}

// ForManager is c as a grid manager sees it, its explanation written from
// the bands.
func (c CandidateView) ForManager() ManagerCandidate {
	m := ManagerCandidate{Rank: c.Rank, Rider: c.Rider, TimeShareBand: c.TimeShareBand, DaysActive: c.DaysActive,
		DaysTotal: c.DaysTotal, DwellShareBand: c.DwellShareBand, InGridHours: c.InGridHours, Status: c.Status, Decision: c.Decision}
	var zh, en strings.Builder
	fmt.Fprintf(&en, "%s of active time inside this grid (%.1f h); seen here on %d of %d days; %s of waiting and rest time here.",
		m.TimeShareBand, m.InGridHours, m.DaysActive, m.DaysTotal, m.DwellShareBand)
	fmt.Fprintf(&zh, "在本网格内的时间占其活跃时间的%s（%.1f小时）；%d天中有%d天到过本网格；等单和休息时间的%s在本网格。",
		m.TimeShareBand, m.InGridHours, m.DaysTotal, m.DaysActive, m.DwellShareBand)
	en.WriteString(statusNote(m.Status).En)
	zh.WriteString(statusNote(m.Status).Zh)
	m.Explanation = Explanation{Zh: zh.String(), En: en.String()}
	return m
}

// ManagerCandidateList is [CandidateList] as a grid manager sees it.
type ManagerCandidateList struct {
	Grid       GridView           `json:"grid"`
	Basis      Basis              `json:"basis"`
	Total      int                `json:"total"`
	Weak       int                `json:"weak"`
	Candidates []ManagerCandidate `json:"candidates"`
	Reason     *Explanation       `json:"reason,omitempty"`
}

// ForManager is l as a grid manager sees it.
func (l *CandidateList) ForManager() *ManagerCandidateList {
	out := &ManagerCandidateList{Grid: l.Grid, Basis: l.Basis, Total: l.Total, Weak: l.Weak, Reason: l.Reason,
		Candidates: make([]ManagerCandidate, len(l.Candidates))}
	for i, c := range l.Candidates {
		out.Candidates[i] = c.ForManager()
	}
	return out
}

// forManager withholds a member's score.
func (m MemberView) forManager() MemberView { m.Score = 0; return m }

func membersForManager(ms []MemberView) []MemberView {
	out := make([]MemberView, len(ms))
	for i, m := range ms {
		out[i] = m.forManager()
	}
	return out
}

// ManagerProposed is [ProposedView] as a grid manager sees it.
type ManagerProposed struct {
	MemberView
	Evidence ManagerCandidate `json:"evidence"`
}

// ManagerGridProposal is [GridProposal] as a grid manager sees it.
type ManagerGridProposal struct {
	Grid      GridView          `json:"grid"`
	Kept      []MemberView      `json:"kept"`
	Proposals []ManagerProposed `json:"proposed"`
	Shortfall *ShortfallView    `json:"shortfall,omitempty"`
}

// ManagerProposal is a proposal ([ProposalResult] or [ProposalView]) as a
// grid manager sees it: no scores, evidence as [ManagerCandidate].
type ManagerProposal struct {
	ProposalID int64                 `json:"proposal_id"`
	DryRun     bool                  `json:"dry_run,omitempty"`
	CreatedBy  string                `json:"created_by"`
	CreatedAt  time.Time             `json:"created_at"`
	Request    ProposeRequest        `json:"request"`
	MaxGrids   int                   `json:"max_grids"`
	Basis      Basis                 `json:"basis"`
	Proposed   int                   `json:"proposed"`
	Withdrawn  []MemberView          `json:"withdrawn"`
	Shortfalls int                   `json:"shortfalls"`
	Grids      []ManagerGridProposal `json:"grids"`
	Rows       []MemberView          `json:"rows,omitempty"`
}

// ForManager is p as a grid manager sees it.
func (p *ProposalResult) ForManager() *ManagerProposal {
	out := &ManagerProposal{ProposalID: p.ProposalID, DryRun: p.DryRun, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt,
		Request: p.Request, MaxGrids: p.MaxGrids, Basis: p.Basis, Proposed: p.Proposed,
		Withdrawn: membersForManager(p.Withdrawn), Shortfalls: p.Shortfalls, Grids: make([]ManagerGridProposal, len(p.Grids))}
	for i, g := range p.Grids {
		mg := ManagerGridProposal{Grid: g.Grid, Kept: membersForManager(g.Kept), Shortfall: g.Shortfall,
			Proposals: make([]ManagerProposed, len(g.Proposals))}
		for j, pv := range g.Proposals {
			mg.Proposals[j] = ManagerProposed{MemberView: pv.MemberView.forManager(), Evidence: pv.Evidence.ForManager()}
		}
		out.Grids[i] = mg
	}
	return out
}

// ForManager is v as a grid manager sees it.
func (v *ProposalView) ForManager() *ManagerProposal {
	out := v.ProposalResult.ForManager()
	out.Rows = membersForManager(v.Rows)
	if out.Rows == nil {
		out.Rows = []MemberView{}
	}
	return out
}

// ForManager is d as a grid manager sees it (no scores).
func (d *GridDetail) ForManager() *GridDetail {
	return &GridDetail{Grid: d.Grid, Members: membersForManager(d.Members), Proposals: membersForManager(d.Proposals)}
}

func riderList(n int, rider func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = rider(i)
	}
	return out
}

// CandidatesFor ranks a grid's couriers for r (exact for admins, the grid
// manager's view otherwise) and writes the read to the audit log.
func (s *Service) CandidatesFor(ctx context.Context, r Reader, code string, limit int) (any, error) {
	l, err := s.Candidates(ctx, code, limit)
	if err != nil {
		return nil, err
	}
	err = s.st.Audit(ctx, r.Actor, AuditCandidates, code, map[string]any{"exact": r.Exact, "listed": len(l.Candidates),
		"riders": riderList(len(l.Candidates), func(i int) string { return l.Candidates[i].Rider })})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if r.Exact {
		return l, nil
	}
	return l.ForManager(), nil
}

// ProposalFor returns a saved proposal for r, once allow (the caller's scope
// check, given the proposal's grids) lets him, and writes the read to the
// audit log.
func (s *Service) ProposalFor(ctx context.Context, r Reader, id int64, allow func([]GridView) error) (any, error) {
	p, err := s.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	gs := make([]GridView, len(p.Grids))
	for i, g := range p.Grids {
		gs[i] = g.Grid
	}
	if err := allow(gs); err != nil {
		return nil, err
	}
	if err := s.st.Audit(ctx, r.Actor, AuditProposal, strconv.FormatInt(id, 10), map[string]any{"exact": r.Exact, "rows": len(p.Rows)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if r.Exact {
		return p, nil
	}
	return p.ForManager(), nil
}

// RosterFor returns the roster of a grid (code) or a street for r — for a
// grid manager with ranges clipped to those grids and no scores — and writes
// the download to the audit log.
func (s *Service) RosterFor(ctx context.Context, r Reader, code, street string) ([]RosterEntry, error) {
	rs, err := s.roster(ctx, code, street, !r.Exact)
	if err != nil {
		return nil, err
	}
	target := code
	if code == "" {
		target = "street:" + street
	}
	err = s.st.Audit(ctx, r.Actor, AuditRoster, target, map[string]any{"exact": r.Exact, "members": len(rs),
		"riders": riderList(len(rs), func(i int) string { return rs[i].Rider })})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if !r.Exact {
		for i := range rs {
			rs[i].Score = 0
		}
	}
	return rs, nil
}
