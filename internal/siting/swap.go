package siting

import (
	"context"
	"time"
)

// search is the 1-swap local search: replace one chosen non-required site by
// one unchosen candidate while that covers more demand.
//
// It keeps, next to the coverage counts, each unchosen candidate's gain and
// each chosen site's loss (the demand only it covers). Swapping out o for in
// changes coverage by
//
//	gain(in) + Σ{w_i : i ∈ in ∩ o, only o covers i} − loss(o),
//
// so the best partner of o is either the unchosen candidate of largest gain
// or one that shares a cell only o covers; those are found through the
// cell → candidates index. Every swap is thus considered, at a cost of
// O(|cells of o| · coverers per cell) per chosen site, plus O(candidates)
// after each applied swap. Gains and losses are recomputed, not adjusted,
// for the candidates whose cells changed state, so they do not drift.
type search struct {
	cv     *cover
	sites  []int32 // chosen non-required sites
	chosen []bool  // required or in sites
	gain   []float64
	loss   []float64
	bonus  []float64 // per candidate, scratch for one swap-out
	dirty  []int32   // candidates to recompute after a swap
	mark   []bool
	best   int32 // unchosen candidate of largest gain, or -1; valid if !stale
	stale  bool
	eps    float64 // least improvement worth a swap
}

func newSearch(cv *cover, required []bool, sites []int32) *search {
	n := len(cv.in.cells)
	s := &search{cv: cv, sites: sites, chosen: append([]bool(nil), required...), gain: make([]float64, n),
		loss: make([]float64, n), bonus: make([]float64, n), mark: make([]bool, n), stale: true}
	for _, j := range sites {
		s.chosen[j] = true
	}
	for j := range n {
		s.refresh(int32(j))
	}
	s.eps = 1e-12 * max(cv.in.total, 1)
	return s
}

// run applies improving swaps, first improvement, pass after pass, until a
// pass finds none, after maxRounds passes, or at the deadline.
func (s *search) run(ctx context.Context, maxRounds int, deadline time.Time) error {
	for range maxRounds {
		improved := false
		for k := range s.sites {
			if err := ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return nil
			}
			out := s.sites[k]
			in, delta := s.bestSwap(out)
			if in >= 0 && delta > s.eps {
				s.swap(k, in)
				improved = true
			}
		}
		if !improved {
			return nil
		}
	}
	return nil
}

// bestSwap finds the unchosen candidate that best replaces chosen site out
// and the change in coverage; in < 0 if there is none.
func (s *search) bestSwap(out int32) (in int32, delta float64) {
	in = s.top()
	var touched []int32
	for _, i := range s.cv.in.cells[out] {
		if s.cv.cnt[i] != 1 {
			continue
		}
		w := s.cv.in.w[i]
		for _, j := range s.cv.in.coverers(i) {
			if s.chosen[j] {
				continue
			}
			if s.bonus[j] == 0 { // w > 0 for every listed cell
				touched = append(touched, j)
			}
			s.bonus[j] += w
		}
	}
	bestV := -1.0
	if in >= 0 {
		bestV = s.gain[in] + s.bonus[in]
	}
	for _, j := range touched {
		if v := s.gain[j] + s.bonus[j]; v > bestV || v == bestV && j < in {
			in, bestV = j, v
		}
		s.bonus[j] = 0
	}
	if in < 0 {
		return -1, 0
	}
	return in, bestV - s.loss[out]
}

// top is the unchosen candidate of largest gain, or -1.
func (s *search) top() int32 {
	if s.stale {
		s.best, s.stale = -1, false
		for j, g := range s.gain {
			if !s.chosen[j] && (s.best < 0 || g > s.gain[s.best]) {
				s.best = int32(j)
			}
		}
	}
	return s.best
}

// swap replaces sites[k] by in.
func (s *search) swap(k int, in int32) {
	out := s.sites[k]
	cv := s.cv
	for _, i := range cv.in.cells[out] {
		cv.cnt[i]--
		if cv.cnt[i] <= 1 { // 1→0 changes gains, 2→1 losses
			s.touch(i)
		}
	}
	for _, i := range cv.in.cells[in] {
		cv.cnt[i]++
		if cv.cnt[i] <= 2 { // 0→1 changes gains and losses, 1→2 losses
			s.touch(i)
		}
	}
	s.chosen[out], s.chosen[in] = false, true
	s.sites[k] = in
	for _, j := range append(s.dirty, out, in) {
		s.refresh(j)
		s.mark[j] = false
	}
	s.dirty = s.dirty[:0]
	s.stale = true
}

func (s *search) touch(i int32) {
	for _, j := range s.cv.in.coverers(i) {
		if !s.mark[j] {
			s.mark[j] = true
			s.dirty = append(s.dirty, j)
		}
	}
}

func (s *search) refresh(j int32) {
	if s.chosen[j] {
		s.gain[j], s.loss[j] = 0, s.cv.loss(j)
	} else {
		s.gain[j], s.loss[j] = s.cv.gain(j), 0
	}
}

// bound is the greedy-style bound at the current set: newly covered demand
// plus the `width` largest gains.
func (s *search) bound(width int) float64 {
	var gs []float64
	for j, g := range s.gain {
		if !s.chosen[j] && g > 0 {
			gs = append(gs, g)
		}
	}
	return s.cv.value() + sumLargest(gs, width)
}
