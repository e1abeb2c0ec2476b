package siting

import (
	"cmp"
	"slices"
)

// instance is a Problem compiled for the solver: cells that are already
// covered or carry no demand are dropped from every candidate, so each
// candidate lists only cells it could newly cover, once each.
type instance struct {
	w      []float64 // demand of each cell; 0 if already covered
	cells  [][]int32 // cells of each candidate with w > 0, deduplicated
	by     []int32   // candidates covering cell i: by[byOff[i]:byOff[i+1]]
	byOff  []int32
	before float64 // demand already covered
	total  float64 // all demand
}

func compile(p Problem) *instance {
	n := len(p.Demand)
	in := &instance{w: make([]float64, n), cells: make([][]int32, len(p.Candidates)), byOff: make([]int32, n+1)}
	for i, d := range p.Demand {
		in.total += d
		if p.Covered != nil && p.Covered[i] {
			in.before += d
		} else {
			in.w[i] = d
		}
	}
	seen := make([]int32, n) // candidate index + 1 that last listed the cell
	size := 0
	for _, c := range p.Candidates {
		size += len(c.Cells)
	}
	flat := make([]int32, 0, size)
	for j, c := range p.Candidates {
		from := len(flat)
		for _, i := range c.Cells {
			if in.w[i] > 0 && seen[i] != int32(j+1) {
				seen[i] = int32(j + 1)
				flat = append(flat, int32(i))
				in.byOff[i+1]++
			}
		}
		in.cells[j] = flat[from:len(flat):len(flat)]
		slices.Sort(in.cells[j]) // memory order: kinder to the cache
	}
	for i := range n {
		in.byOff[i+1] += in.byOff[i]
	}
	in.by = make([]int32, len(flat))
	next := slices.Clone(in.byOff[:n])
	for j, cs := range in.cells {
		for _, i := range cs {
			in.by[next[i]] = int32(j)
			next[i]++
		}
	}
	return in
}

// weight is the uncovered demand in reach of candidate j.
func (in *instance) weight(j int) float64 {
	s := 0.0
	for _, i := range in.cells[j] {
		s += in.w[i]
	}
	return s
}

// coverers lists the candidates that reach cell i.
func (in *instance) coverers(i int32) []int32 { return in.by[in.byOff[i]:in.byOff[i+1]] }

// cover counts, for each cell, how many chosen sites reach it.
type cover struct {
	in  *instance
	cnt []int32
}

func newCover(in *instance) *cover { return &cover{in: in, cnt: make([]int32, len(in.w))} }

// gain is the demand candidate j would newly cover.
func (c *cover) gain(j int32) float64 {
	s := 0.0
	for _, i := range c.in.cells[j] {
		if c.cnt[i] == 0 {
			s += c.in.w[i]
		}
	}
	return s
}

// loss is the demand only chosen site j covers: what removing it would lose.
func (c *cover) loss(j int32) float64 {
	s := 0.0
	for _, i := range c.in.cells[j] {
		if c.cnt[i] == 1 {
			s += c.in.w[i]
		}
	}
	return s
}

func (c *cover) add(j int) {
	for _, i := range c.in.cells[j] {
		c.cnt[i]++
	}
}

func (c *cover) remove(j int) {
	for _, i := range c.in.cells[j] {
		c.cnt[i]--
	}
}

// value is the demand newly covered by the chosen sites, summed afresh.
func (c *cover) value() float64 {
	s := 0.0
	for i, n := range c.cnt {
		if n > 0 {
			s += c.in.w[i]
		}
	}
	return s
}

// sumLargest is the sum of the k largest values of xs (which it reorders).
func sumLargest(xs []float64, k int) float64 {
	if k <= 0 {
		return 0
	}
	if k < len(xs) {
		slices.SortFunc(xs, func(a, b float64) int { return cmp.Compare(b, a) })
		xs = xs[:k]
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}
