package gridassign

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Exhaustive returns the optimum total score of p by exhaustive search, for
// tiny instances in tests (a dozen couriers, a handful of grids). It applies
// the rules of [Problem] on its own, without [Solve]'s code, so the two check
// each other. It returns NaN where Solve returns an error on validation.
func Exhaustive(p Problem) float64 {
	if p.MaxGrids < 0 {
		return math.NaN()
	}
	maxGrids := p.MaxGrids
	if maxGrids == 0 {
		maxGrids = 1
	}
	seats := map[string]int{}
	member := map[[2]string]bool{}
	memberships := map[string]int{}
	for _, g := range p.Grids {
		if _, dup := seats[g.Code]; dup || g.Code == "" || g.Target < 0 {
			return math.NaN()
		}
		seats[g.Code] = g.Target
		if p.Reassign {
			continue
		}
		for _, r := range g.Members {
			k := [2]string{g.Code, r}
			if r != "" && !member[k] {
				member[k] = true
				memberships[r]++
				seats[g.Code]--
			}
		}
	}
	best := map[[2]string]float64{}
	for _, e := range p.Edges {
		if _, ok := seats[e.Grid]; !ok || e.Rider == "" || math.IsNaN(e.Score) || math.IsInf(e.Score, 0) {
			return math.NaN()
		}
		k := [2]string{e.Grid, e.Rider}
		if w, seen := best[k]; !seen || e.Score > w {
			best[k] = e.Score
		}
	}

	// Usable options per rider, riders in a fixed order.
	type option struct {
		grid  int
		score float64
	}
	codes := make([]string, 0, len(seats))
	for c := range seats {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	gridOf := map[string]int{}
	for i, c := range codes {
		gridOf[c] = i
	}
	opts := map[string][]option{}
	for k, w := range best {
		if w > 0 && !member[k] && !p.Declined[k] {
			opts[k[1]] = append(opts[k[1]], option{gridOf[k[0]], w})
		}
	}
	riders := make([]string, 0, len(opts))
	for r := range opts {
		riders = append(riders, r)
	}
	slices.Sort(riders)

	left := make([]int, len(codes))
	for i, c := range codes {
		left[i] = max(0, seats[c])
	}
	memo := map[string]float64{}
	var search func(i int) float64
	search = func(i int) float64 {
		if i == len(riders) {
			return 0
		}
		var key strings.Builder
		key.WriteString(strconv.Itoa(i))
		for _, l := range left {
			key.WriteByte(',')
			key.WriteString(strconv.Itoa(l))
		}
		if v, ok := memo[key.String()]; ok {
			return v
		}
		choices := opts[riders[i]]
		room := maxGrids - memberships[riders[i]]
		top := 0.0
		// Every subset of the rider's options of size ≤ room with seats left.
		var pick func(j, room int, sum float64)
		pick = func(j, room int, sum float64) {
			if j == len(choices) || room <= 0 {
				top = max(top, sum+search(i+1))
				return
			}
			pick(j+1, room, sum)
			if g := choices[j].grid; left[g] > 0 {
				left[g]--
				pick(j+1, room-1, sum+choices[j].score)
				left[g]++
			}
		}
		pick(0, room, 0)
		memo[key.String()] = top
		return top
	}
	return search(0)
}
