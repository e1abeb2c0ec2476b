package siting

import (
	"context"
	"math"
)

// greedy adds to cv up to k candidates from pool, each time the one with the
// largest marginal gain, stopping early when nothing adds demand. Gains are
// evaluated lazily (CELF): a heap holds each candidate's gain as last
// computed, an upper bound on its gain now, by submodularity.
//
// It also returns the least bound seen of the form
//
//	value now + the sum of the `width` largest marginal gains now,
//
// taken before every pick and after the last one. If cv holds the required
// sites, any feasible solution T adds at most width = K − len(Required)
// sites outside the current set S, and f(T) ≤ f(S ∪ T) ≤ f(S) + Σ_{c∈T∖S} Δ(c|S),
// so the bound is an upper bound on the optimum (in newly covered demand).
func greedy(ctx context.Context, cv *cover, pool []int32, k, width int) (picks []int32, gains []float64, bound float64, err error) {
	h := make(gainHeap, 0, len(pool))
	for _, j := range pool {
		if g := cv.gain(j); g > 0 {
			h = append(h, entry{gain: g, cand: j})
		}
	}
	h.init()
	val := cv.value()
	bound = math.Inf(1)
	top := make([]entry, 0, max(width, 1))
	for step := int32(0); ; step++ {
		if step%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		// Pop until the max(width, 1) best current gains are known exactly:
		// a fresh entry at the top beats every stale bound below it.
		top = top[:0]
		for len(top) < max(width, 1) && len(h) > 0 {
			e := h.pop()
			if e.step != step {
				e.gain, e.step = cv.gain(e.cand), step
				if e.gain > 0 { // gains only shrink: a zero stays zero
					h.push(e)
				}
				continue
			}
			top = append(top, e)
		}
		sum := 0.0
		for _, e := range top[:min(width, len(top))] {
			sum += e.gain
		}
		bound = min(bound, val+sum)
		if int(step) == k || len(top) == 0 {
			return picks, gains, bound, nil
		}
		best := top[0]
		cv.add(int(best.cand))
		val += best.gain
		picks = append(picks, best.cand)
		gains = append(gains, best.gain)
		for _, e := range top[1:] {
			h.push(e) // stale from the next step on
		}
	}
}

// entry is a candidate's marginal gain as computed at greedy step `step`.
type entry struct {
	gain float64
	cand int32
	step int32
}

// gainHeap is a max-heap of entries, ties to the lower candidate index so
// results do not depend on heap layout.
type gainHeap []entry

func (h gainHeap) less(a, b int) bool {
	if h[a].gain != h[b].gain {
		return h[a].gain > h[b].gain
	}
	return h[a].cand < h[b].cand
}

func (h gainHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *gainHeap) push(e entry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *gainHeap) pop() entry {
	s := *h
	e := s[0]
	last := len(s) - 1
	s[0] = s[last]
	*h = s[:last]
	h.down(0)
	return e
}

func (h gainHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			c = r
		}
		if !h.less(c, i) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
