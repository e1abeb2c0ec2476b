package siting

import "slices"

// Exhaustive tries every set of min(K, len(Candidates)) candidates that
// contains Required and returns one covering the most demand (Required first,
// then the others ascending) and its covered demand. It takes time
// proportional to C(candidates − required, K − required): for tests and small
// instances only. It panics if p is invalid.
func Exhaustive(p Problem) (best []int, value float64) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	in := compile(p)
	cv := newCover(in)
	isRequired := make([]bool, len(p.Candidates))
	for _, j := range p.Required {
		isRequired[j] = true
		cv.add(j)
	}
	var pool []int32
	for j := range p.Candidates {
		if !isRequired[j] {
			pool = append(pool, int32(j))
		}
	}
	k := min(p.K-len(p.Required), len(pool))
	cur := make([]int32, 0, k)
	var bestSet []int32
	bestV := -1.0
	var rec func(from int, v float64)
	rec = func(from int, v float64) {
		if len(cur) == k {
			if v > bestV {
				bestV, bestSet = v, append(bestSet[:0], cur...)
			}
			return
		}
		for n := from; n <= len(pool)-(k-len(cur)); n++ {
			j := pool[n]
			g := cv.gain(j)
			cv.add(int(j))
			cur = append(cur, j)
			rec(n+1, v+g)
			cur = cur[:len(cur)-1]
			cv.remove(int(j))
		}
	}
	rec(0, 0)
	best = slices.Clone(p.Required)
	for _, j := range bestSet {
		best = append(best, int(j))
	}
	return best, Evaluate(p, best)
}
