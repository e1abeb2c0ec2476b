package siting

import (
	"context"
	"math"
	"time"
)

// Subgradient schedule of lagrangianBound.
const (
	lagMaxIter   = 300 // iterations at most
	lagPatience  = 10  // iterations without a better bound before the step halves
	lagMinFactor = 1e-3
)

// lagrangianBound is an upper bound on the optimum covered demand from the
// Lagrangian relaxation of the coverage constraints y_i ≤ Σ_{j∋i} x_j with
// multipliers 0 ≤ λ_i ≤ w_i:
//
//	L(λ) = base + Σ_i max(0, w_i − λ_i) + (sum of the `free` largest c_j),  c_j = Σ_{i∈j} λ_i,
//
// where base is the demand covered by existing presence and the required
// sites, and i runs over the cells some other candidate reaches. Every L(λ)
// bounds the optimum; its minimum equals the LP-relaxation bound. It is
// minimised by subgradient steps (Polyak step towards lb, the best known
// value) until the deadline or the iteration cap, and the least L seen is
// returned. A cancelled ctx returns ctx.Err().
func lagrangianBound(ctx context.Context, in *instance, required []bool, free int, lb float64, deadline time.Time) (float64, error) {
	// Reduce: cells the required sites cover join the base; the rest are
	// renumbered 0..m-1, keeping those some free candidate reaches.
	base := in.before
	reqd := make([]bool, len(in.w))
	for j, r := range required {
		if r {
			for _, i := range in.cells[j] {
				reqd[i] = true
			}
		}
	}
	id := make([]int32, len(in.w))
	for i := range id {
		id[i] = -1
	}
	var w []float64
	var cells [][]int32
	for j, cs := range in.cells {
		if required[j] {
			continue
		}
		var mine []int32
		for _, i := range cs {
			if reqd[i] {
				continue
			}
			if id[i] < 0 {
				id[i] = int32(len(w))
				w = append(w, in.w[i])
			}
			mine = append(mine, id[i])
		}
		if len(mine) > 0 {
			cells = append(cells, mine)
		}
	}
	for i, r := range reqd {
		if r {
			base += in.w[i]
		}
	}
	if free == 0 {
		return base, nil
	}
	if free >= len(cells) { // every reachable cell can be covered
		s := base
		for _, x := range w {
			s += x
		}
		return s, nil
	}

	// λ = w starts at the greedy bound of the empty set.
	lambda := make([]float64, len(w))
	copy(lambda, w)
	c := make([]float64, len(cells))
	idx := make([]int32, len(cells))
	g := make([]float64, len(w))
	best := math.Inf(1)
	factor, sinceBest := 2.0, 0
	for it := 0; it < lagMaxIter && factor > lagMinFactor; it++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if time.Now().After(deadline) {
			break
		}
		val := base
		for i := range w {
			if w[i] > lambda[i] {
				val += w[i] - lambda[i]
				g[i] = -1
			} else {
				g[i] = 0
			}
		}
		for j, cs := range cells {
			s := 0.0
			for _, i := range cs {
				s += lambda[i]
			}
			c[j] = s
			idx[j] = int32(j)
		}
		selectLargest(idx, c, free)
		for _, j := range idx[:free] {
			val += c[j]
			for _, i := range cells[j] {
				g[i]++
			}
		}
		if val < best-1e-12*val {
			best, sinceBest = val, 0
		} else if sinceBest++; sinceBest >= lagPatience {
			factor, sinceBest = factor/2, 0
		}
		if best-lb <= 1e-9*max(lb, 1) {
			break // the found value is optimal
		}
		norm := 0.0
		for i, gi := range g {
			// a step on a clamped multiplier does nothing; leave it out
			if gi > 0 && lambda[i] == 0 || gi < 0 && lambda[i] == w[i] {
				g[i] = 0
				continue
			}
			norm += gi * gi
		}
		if norm == 0 {
			break // λ is optimal
		}
		t := factor * (val - lb) / norm
		for i, gi := range g {
			if gi != 0 {
				lambda[i] = min(max(lambda[i]-t*gi, 0), w[i])
			}
		}
	}
	return best, nil
}

// selectLargest reorders idx so that its first k entries are those of the k
// largest v[idx[..]] (in no particular order), by quickselect.
func selectLargest(idx []int32, v []float64, k int) {
	lo, hi := 0, len(idx)-1
	for lo < hi {
		// median of three as pivot
		mid := lo + (hi-lo)/2
		a, b, c := v[idx[lo]], v[idx[mid]], v[idx[hi]]
		p := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for v[idx[i]] > p {
				i++
			}
			for v[idx[j]] < p {
				j--
			}
			if i <= j {
				idx[i], idx[j] = idx[j], idx[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}
