package gridassign

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Grid is a community grid (网格) and the part-time members it wants.
type Grid struct {
	Code    string
	Target  int      // members wanted in total, existing members included; ≥ 0
	Members []string // already accepted members, they keep their seat unless Reassign
}

// Edge is the score of one courier in one grid, usually [Candidate.Score].
// Only edges with Score > 0 are usable.
type Edge struct {
	Grid  string
	Rider string
	Score float64
}

// Problem is one assignment run.
//
// An existing member of a grid (unless Reassign) occupies one of its seats,
// counts toward the courier's MaxGrids, and is never proposed for that grid
// again. Declined pairs are never proposed. Duplicate edges keep the highest
// score.
type Problem struct {
	Grids    []Grid
	Edges    []Edge
	MaxGrids int                // per courier, default 1 when 0
	Declined map[[2]string]bool // {grid, rider} pairs never to propose again
	Reassign bool               // if true existing members are ignored (seats reopened)
}

// Assignment proposes Rider as a part-time member of Grid.
type Assignment struct {
	Grid, Rider string
	Score       float64
}

// Shortfall is a grid left with fewer members than its target, and why.
// Filled counts existing members kept plus new proposals. Reason gives counts
// of candidates only, never a rider id.
type Shortfall struct {
	Grid           string
	Target, Filled int
	Reason         string
}

// Result is the outcome of [Solve].
type Result struct {
	Assignments []Assignment // new proposals only, sorted by grid then score desc (then rider)
	Total       float64      // sum of the scores of Assignments; maximal over all feasible proposals
	Shortfalls  []Shortfall  // sorted by grid
}

// Shortfall reasons. When the candidates not proposed for the grid fall into
// several groups, the reason counts each group (reasonMixed).
const (
	reasonNoCandidates = "no suitable candidate: nobody meets the thresholds in this grid"
	reasonNoOthers     = "no other suitable candidate meets the thresholds in this grid" // than its members and proposals
	reasonAllDeclined  = "all candidates declined"
	reasonAllAtLimit   = "all candidates already serve their maximum number of grids"
	reasonAllTaken     = "candidates are taken by grids where they score at least as high"
	reasonMixed        = "remaining candidates: " // then "2 declined, 1 at their maximum number of grids, 3 taken by grids where they score at least as high"
)

// Solve proposes members for every grid so that each grid gets at most its
// target (existing members included), each courier serves at most MaxGrids
// grids (existing memberships included), and the total score of the new
// proposals is maximal. It is exact: a max-weight b-matching solved as a
// min-cost flow (see flow.go).
//
// It fails on a negative target or MaxGrids, a duplicate or empty grid code,
// an edge to an unknown grid, an edge with an empty rider or a NaN or
// infinite score, and when ctx is done.
func Solve(ctx context.Context, p Problem) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	in, err := prepare(p)
	if err != nil {
		return Result{}, err
	}
	f := newFlow(in.caps, in.eg, in.ec, in.ew, len(in.grids))
	if err := f.run(ctx, in.open); err != nil {
		return Result{}, fmt.Errorf("gridassign: solve: %w", err)
	}
	return in.result(f), nil
}

// instance is a validated [Problem] reduced to what the flow needs.
type instance struct {
	grids  []Grid
	open   []int32 // seats still open per grid (target less existing members kept)
	kept   []int   // existing members kept per grid
	riders []string
	caps   []int32 // grids each rider may still be proposed for

	// Usable edges: grid index, rider index, score.
	eg, ec []int32
	ew     []float64

	// Candidate counts per grid, for shortfall reasons.
	members, declined, atLimit, usable []int
}

// prepare validates p and applies members, declined pairs and duplicates.
func prepare(p Problem) (*instance, error) {
	if p.MaxGrids < 0 {
		return nil, fmt.Errorf("gridassign: MaxGrids %d is negative", p.MaxGrids)
	}
	maxGrids := p.MaxGrids
	if maxGrids == 0 {
		maxGrids = 1
	}
	n := len(p.Grids)
	in := &instance{
		grids:    p.Grids,
		open:     make([]int32, n),
		kept:     make([]int, n),
		members:  make([]int, n),
		declined: make([]int, n),
		atLimit:  make([]int, n),
		usable:   make([]int, n),
	}
	gridIdx := make(map[string]int32, n)
	memberships := map[string]int{}  // rider → grids he is a member of
	isMember := map[memberKey]bool{} // (grid, rider) memberships
	for i, g := range p.Grids {
		if g.Code == "" {
			return nil, fmt.Errorf("gridassign: grid %d has an empty code", i)
		}
		if _, dup := gridIdx[g.Code]; dup {
			return nil, fmt.Errorf("gridassign: grid %q is listed twice", g.Code)
		}
		if g.Target < 0 {
			return nil, fmt.Errorf("gridassign: grid %q has a negative target %d", g.Code, g.Target)
		}
		gridIdx[g.Code] = int32(i)
		if !p.Reassign {
			for _, r := range g.Members {
				k := memberKey{int32(i), r}
				if r == "" || isMember[k] {
					continue
				}
				isMember[k] = true
				memberships[r]++
				in.kept[i]++
			}
		}
		in.open[i] = int32(max(0, g.Target-in.kept[i]))
	}

	// Index edges; riders get indexes in order of first appearance so that
	// the result does not depend on map order.
	riderIdx := map[string]int32{}
	type raw struct {
		g, r int32
		w    float64
	}
	raws := make([]raw, 0, len(p.Edges))
	for i, e := range p.Edges {
		g, ok := gridIdx[e.Grid]
		if !ok {
			return nil, fmt.Errorf("gridassign: edge %d (rider %q) names unknown grid %q", i, e.Rider, e.Grid)
		}
		if e.Rider == "" {
			return nil, fmt.Errorf("gridassign: edge %d (grid %q) has an empty rider", i, e.Grid)
		}
		if math.IsNaN(e.Score) || math.IsInf(e.Score, 0) {
			return nil, fmt.Errorf("gridassign: edge %d (grid %q, rider %q) has score %v", i, e.Grid, e.Rider, e.Score)
		}
		r, ok := riderIdx[e.Rider]
		if !ok {
			r = int32(len(in.riders))
			riderIdx[e.Rider] = r
			in.riders = append(in.riders, e.Rider)
		}
		raws = append(raws, raw{g, r, e.Score})
	}
	slices.SortFunc(raws, func(a, b raw) int {
		if c := cmp.Compare(a.g, b.g); c != 0 {
			return c
		}
		if c := cmp.Compare(a.r, b.r); c != 0 {
			return c
		}
		return cmp.Compare(b.w, a.w) // highest score first: duplicates keep the max
	})

	in.caps = make([]int32, len(in.riders))
	for r, id := range in.riders {
		in.caps[r] = int32(max(0, maxGrids-memberships[id]))
	}
	in.eg = make([]int32, 0, len(raws))
	in.ec = make([]int32, 0, len(raws))
	in.ew = make([]float64, 0, len(raws))
	for i, e := range raws {
		if i > 0 && raws[i-1].g == e.g && raws[i-1].r == e.r {
			continue // duplicate with a lower or equal score
		}
		if !(e.w > 0) {
			continue
		}
		code, rider := p.Grids[e.g].Code, in.riders[e.r]
		switch {
		case isMember[memberKey{e.g, rider}]:
			in.members[e.g]++
		case p.Declined[[2]string{code, rider}]:
			in.declined[e.g]++
		case in.caps[e.r] == 0:
			in.atLimit[e.g]++
		default:
			in.usable[e.g]++
			if in.open[e.g] == 0 {
				continue // cannot matter
			}
			in.eg = append(in.eg, e.g)
			in.ec = append(in.ec, e.r)
			in.ew = append(in.ew, e.w)
		}
	}
	return in, nil
}

type memberKey struct {
	grid  int32
	rider string
}

// result reads the proposals and shortfalls off the solved flow.
func (in *instance) result(f *flow) Result {
	var res Result
	filled := slices.Clone(in.kept)
	for e, on := range f.on {
		if !on {
			continue
		}
		g := in.eg[e]
		filled[g]++
		res.Assignments = append(res.Assignments, Assignment{
			Grid:  in.grids[g].Code,
			Rider: in.riders[in.ec[e]],
			Score: in.ew[e],
		})
		res.Total += in.ew[e]
	}
	slices.SortFunc(res.Assignments, func(a, b Assignment) int {
		if c := strings.Compare(a.Grid, b.Grid); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.Rider, b.Rider)
	})
	for g, grid := range in.grids {
		if filled[g] >= grid.Target {
			continue
		}
		placed := filled[g] - in.kept[g]
		res.Shortfalls = append(res.Shortfalls, Shortfall{
			Grid:   grid.Code,
			Target: grid.Target,
			Filled: filled[g],
			Reason: reason(in.members[g]+placed, in.declined[g], in.atLimit[g], in.usable[g]-placed),
		})
	}
	slices.SortFunc(res.Shortfalls, func(a, b Shortfall) int { return strings.Compare(a.Grid, b.Grid) })
	return res
}

// reason explains a shortfall from the counts of the grid's candidates that
// are its members already or proposed for it now, declined, at their grid limit through existing
// memberships, and taken by other grids in this solution. At an optimum every
// usable candidate of a short grid is taken, by grids where he scores at least
// as high (else moving him would raise the total).
func reason(inGrid, declined, atLimit, taken int) string {
	n := declined + atLimit + taken
	switch {
	case n == 0 && inGrid > 0:
		return reasonNoOthers
	case n == 0:
		return reasonNoCandidates
	case declined == n:
		return reasonAllDeclined
	case atLimit == n:
		return reasonAllAtLimit
	case taken == n:
		return reasonAllTaken
	}
	parts := make([]string, 0, 3)
	if declined > 0 {
		parts = append(parts, strconv.Itoa(declined)+" declined")
	}
	if atLimit > 0 {
		parts = append(parts, strconv.Itoa(atLimit)+" at their maximum number of grids")
	}
	if taken > 0 {
		parts = append(parts, strconv.Itoa(taken)+" taken by grids where they score at least as high")
	}
	return reasonMixed + strings.Join(parts, ", ")
}
