// Package siting chooses k new sites that cover the most uncovered demand
// (maximal covering location), with what-if scenarios.
//
// This file holds the model and [Solve]; the solver is pure and in-memory:
// the caller turns cells, existing presence and candidate sites into a
// [Problem] and reads back a [Solution].
package siting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Problem is a maximal-coverage instance over demand cells indexed 0..len(Demand)-1.
type Problem struct {
	Demand     []float64 // demand weight of each cell, ≥ 0
	Covered    []bool    // cell already covered by existing presence (after removals); may be nil = none
	Candidates []Candidate
	Required   []int // candidate indexes that must be chosen (the planner's "add"); they count toward K
	K          int   // total number of new sites to choose, including Required
}

// Candidate is a possible new site and the demand cells it would cover.
type Candidate struct {
	ID    string
	Cells []int // demand cells within its service radius (indexes into Demand), any order, may have duplicates (dedupe)
}

// Pick is one chosen candidate.
type Pick struct {
	Candidate int     // index into Candidates
	ID        string  // Candidates[Candidate].ID
	Gain      float64 // demand newly covered by this pick, in the order picks are listed
}

// Solution is the outcome of [Solve].
type Solution struct {
	// Picks lists Required first (in the order given), then the other chosen
	// sites, each in turn the one with the largest marginal gain given the
	// picks before it. Their Gains sum to CoveredAfter − CoveredBefore.
	// There are fewer than K picks when fewer sites add any demand.
	Picks         []Pick
	CoveredBefore float64 // demand covered before any pick (existing presence only)
	CoveredAfter  float64 // demand covered by existing presence and Picks
	TotalDemand   float64
	UpperBound    float64 // a valid upper bound on the optimum CoveredAfter for this K (≥ true optimum, always)
	Gap           float64 // (UpperBound − CoveredAfter) / max(UpperBound, tiny): how far from optimal at worst
	Method        string  // how Picks were found, e.g. "greedy+swap"
}

// Options tune [Solve]. The zero value gives the defaults.
type Options struct {
	// MaxSwapRounds caps the passes of the 1-swap local search over the chosen
	// sites. 0 means DefaultMaxSwapRounds; a negative value turns the local
	// search off (greedy only).
	MaxSwapRounds int
	// TimeLimit caps the improvement phases (local search and bound
	// tightening); when it runs out Solve returns the best solution found so
	// far, without error. The greedy construction always completes.
	// 0 means DefaultTimeLimit.
	TimeLimit time.Duration
}

// Defaults for [Options].
const (
	DefaultMaxSwapRounds = 100
	DefaultTimeLimit     = 2 * time.Second
)

// ErrInvalid is wrapped by every validation error of [Problem.Validate] and [Solve].
var ErrInvalid = errors.New("invalid siting problem")

// Validate reports the first reason p cannot be solved, wrapping [ErrInvalid].
func (p Problem) Validate() error {
	if p.K < 0 {
		return fmt.Errorf("%w: K = %d is negative", ErrInvalid, p.K)
	}
	if p.K < len(p.Required) {
		return fmt.Errorf("%w: K = %d is less than the %d required sites", ErrInvalid, p.K, len(p.Required))
	}
	if p.Covered != nil && len(p.Covered) != len(p.Demand) {
		return fmt.Errorf("%w: Covered has %d cells, Demand has %d", ErrInvalid, len(p.Covered), len(p.Demand))
	}
	for i, d := range p.Demand {
		if !(d >= 0) || math.IsInf(d, 1) {
			return fmt.Errorf("%w: demand of cell %d is %v; want a finite value ≥ 0", ErrInvalid, i, d)
		}
	}
	for j, c := range p.Candidates {
		for _, i := range c.Cells {
			if i < 0 || i >= len(p.Demand) {
				return fmt.Errorf("%w: candidate %d (%q) lists cell %d; want 0..%d", ErrInvalid, j, c.ID, i, len(p.Demand)-1)
			}
		}
	}
	seen := make(map[int]bool, len(p.Required))
	for r, j := range p.Required {
		if j < 0 || j >= len(p.Candidates) {
			return fmt.Errorf("%w: Required[%d] = %d is not a candidate index (0..%d)", ErrInvalid, r, j, len(p.Candidates)-1)
		}
		if seen[j] {
			return fmt.Errorf("%w: candidate %d (%q) is required twice", ErrInvalid, j, p.Candidates[j].ID)
		}
		seen[j] = true
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.MaxSwapRounds == 0 {
		o.MaxSwapRounds = DefaultMaxSwapRounds
	}
	if o.TimeLimit <= 0 {
		o.TimeLimit = DefaultTimeLimit
	}
	return o
}

// Solve chooses p.K sites, p.Required among them, that cover the most demand
// not already covered.
//
// It runs a lazy greedy (CELF) from the required sites, then a 1-swap local
// search over the whole neighbourhood (every chosen non-required site against
// every unchosen candidate, each swap priced in O(cells touched)). The upper
// bound is the least of the greedy bounds (value plus the K − len(Required)
// largest marginal gains, at every greedy step and at the final set) and a
// Lagrangian (LP) relaxation bound, tightened by subgradient steps. While that
// bound leaves a gap, a few seeded perturbations (drop some sites, refill
// greedily, swap again) look for a better set; results are reproducible.
//
// If ctx is cancelled Solve stops within a few milliseconds and returns the
// zero Solution and ctx.Err(); use Options.TimeLimit to get the best solution
// found within a time budget instead.
func Solve(ctx context.Context, p Problem, opt Options) (Solution, error) {
	if err := p.Validate(); err != nil {
		return Solution{}, err
	}
	if err := ctx.Err(); err != nil {
		return Solution{}, err
	}
	opt = opt.withDefaults()
	deadline := time.Now().Add(opt.TimeLimit)

	in := compile(p)
	isRequired := make([]bool, len(p.Candidates))
	for _, j := range p.Required {
		isRequired[j] = true
	}
	free := p.K - len(p.Required) // picks left after the required ones

	// Bound at the empty set: no K sites add more than the K largest gains.
	start := make([]float64, 0, len(p.Candidates))
	for j := range p.Candidates {
		start = append(start, in.weight(j))
	}
	ub := min(in.total, in.before+sumLargest(start, p.K))

	cv := newCover(in)
	for _, j := range p.Required {
		cv.add(j)
	}
	var pool []int32
	for j := range p.Candidates {
		if !isRequired[j] && len(in.cells[j]) > 0 {
			pool = append(pool, int32(j))
		}
	}
	sites, _, gb, err := greedy(ctx, cv, pool, free, free)
	if err != nil {
		return Solution{}, err
	}
	ub = min(ub, in.before+gb)
	method := "greedy"
	// open reports whether the bound leaves room for a better solution.
	open := func(value float64) bool { return ub-(in.before+value) > 1e-9*max(ub, 1) }

	if opt.MaxSwapRounds > 0 && len(sites) > 0 && len(pool) > len(sites) {
		ls := newSearch(cv, isRequired, sites)
		if err := ls.run(ctx, opt.MaxSwapRounds, deadline); err != nil {
			return Solution{}, err
		}
		sites = ls.sites
		ub = min(ub, in.before+ls.bound(free))
		method = "greedy+swap"
	}
	value := cv.value()
	if open(value) && time.Now().Before(deadline) {
		lag, err := lagrangianBound(ctx, in, isRequired, free, in.before+value, deadline)
		if err != nil {
			return Solution{}, err
		}
		ub = min(ub, lag)
	}
	if method == "greedy+swap" && open(value) && time.Now().Before(deadline) {
		sites, _, err = perturb(ctx, in, isRequired, pool, sites, value, opt.MaxSwapRounds, deadline, ub-in.before)
		if err != nil {
			return Solution{}, err
		}
		method = "greedy+swap+perturb"
	}

	sol := order(in, p, sites)
	sol.Method = method
	sol.UpperBound = max(ub, sol.CoveredAfter) // the bound is never below a found value, rounding aside
	sol.Gap = (sol.UpperBound - sol.CoveredAfter) / max(sol.UpperBound, 1e-300)
	return sol, nil
}

// order lists the required sites, then sites in greedy order of marginal
// gain, dropping any that add nothing, and totals the coverage.
func order(in *instance, p Problem, sites []int32) Solution {
	cv := newCover(in)
	sol := Solution{CoveredBefore: in.before, TotalDemand: in.total}
	for _, j := range p.Required {
		sol.Picks = append(sol.Picks, Pick{Candidate: j, ID: p.Candidates[j].ID, Gain: cv.gain(int32(j))})
		cv.add(j)
	}
	picks, gains, _, _ := greedy(context.Background(), cv, sites, len(sites), 0)
	for n, j := range picks {
		sol.Picks = append(sol.Picks, Pick{Candidate: int(j), ID: p.Candidates[j].ID, Gain: gains[n]})
	}
	sol.CoveredAfter = in.before + cv.value()
	return sol
}
