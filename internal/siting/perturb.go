package siting

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// perturbRounds is how many perturbations perturb tries at most. Each costs
// about one greedy run plus one local search.
const perturbRounds = 24

// perturb is an iterated local search around the best set found: drop a few
// random chosen non-required sites, refill greedily from the other
// candidates, run the swap search, and keep the result if it covers more.
// It stops after perturbRounds tries, at the deadline, or once the value
// reaches stop (an upper bound: nothing better exists). The random source is
// seeded, so results are reproducible. It returns the best sites and their
// newly covered demand (required sites included).
func perturb(ctx context.Context, in *instance, required []bool, pool, sites []int32, value float64,
	maxRounds int, deadline time.Time, stop float64) ([]int32, float64, error) {
	rng := rand.New(rand.NewPCG(uint64(len(pool)), uint64(len(sites))))
	eps := 1e-12 * max(in.total, 1)
	best := slices.Clone(sites)
	dropped := make([]bool, len(in.cells))
	for range perturbRounds {
		if value >= stop-eps || time.Now().After(deadline) {
			break
		}
		cur := slices.Clone(best)
		rng.Shuffle(len(cur), func(a, b int) { cur[a], cur[b] = cur[b], cur[a] })
		q := 1 + rng.IntN(max(1, len(cur)/3))
		kept, drop := cur[:len(cur)-q], cur[len(cur)-q:]
		for _, j := range drop {
			dropped[j] = true
		}
		cv := newCover(in)
		chosen := slices.Clone(required)
		for j, r := range required {
			if r {
				cv.add(j)
			}
		}
		for _, j := range kept {
			cv.add(int(j))
			chosen[j] = true
		}
		var rest []int32
		for _, j := range pool {
			if !chosen[j] && !dropped[j] {
				rest = append(rest, j)
			}
		}
		for _, j := range drop {
			dropped[j] = false
		}
		fill, _, _, err := greedy(ctx, cv, rest, q, 0)
		if err != nil {
			return nil, 0, err
		}
		ls := newSearch(cv, required, append(kept, fill...))
		if err := ls.run(ctx, maxRounds, deadline); err != nil {
			return nil, 0, err
		}
		if v := cv.value(); v > value+eps {
			best, value = ls.sites, v
		}
	}
	return best, value, nil
}
