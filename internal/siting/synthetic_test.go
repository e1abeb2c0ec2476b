package siting

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticCity builds a reproducible city-like instance for benchmarks: a
// square grid of `cells` demand cells (row-major, the last row possibly
// short) with demand clustered around hotspots over a thin background, some
// cells empty, a few existing sites covering discs of cells, and
// `candidates` candidate sites, most near hotspots, each reaching the cells
// within a radius of 2.5–5 cells (about 20–80 cells). K is 10 and nothing
// is required; set them on the result.
func SyntheticCity(seed int64, cells, candidates int) Problem {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	side := int(math.Ceil(math.Sqrt(float64(cells))))
	type spot struct{ x, y, sigma, peak float64 }
	spots := make([]spot, max(3, cells/2500))
	for h := range spots {
		spots[h] = spot{
			x: rng.Float64() * float64(side), y: rng.Float64() * float64(side),
			sigma: 4 + rng.Float64()*16, peak: math.Exp(rng.NormFloat64()) * 5,
		}
	}
	p := Problem{Demand: make([]float64, cells), Covered: make([]bool, cells), K: 10}
	for i := range p.Demand {
		if rng.Float64() < 0.15 { // parks, water, rail yards
			continue
		}
		x, y := float64(i%side), float64(i/side)
		d := 0.05 * math.Exp(rng.NormFloat64())
		for _, s := range spots {
			dx, dy := x-s.x, y-s.y
			if r2 := dx*dx + dy*dy; r2 < 16*s.sigma*s.sigma {
				d += s.peak * math.Exp(-r2/(2*s.sigma*s.sigma))
			}
		}
		p.Demand[i] = math.Round(d*100) / 100
	}
	// disc lists the cells within radius r of (x, y).
	disc := func(x, y, r float64) []int {
		var out []int
		for cy := max(0, int(math.Ceil(y-r))); cy <= min(side-1, int(math.Floor(y+r))); cy++ {
			for cx := max(0, int(math.Ceil(x-r))); cx <= min(side-1, int(math.Floor(x+r))); cx++ {
				dx, dy := float64(cx)-x, float64(cy)-y
				if i := cy*side + cx; dx*dx+dy*dy <= r*r && i < cells {
					out = append(out, i)
				}
			}
		}
		return out
	}
	near := func() (float64, float64) {
		s := spots[rng.IntN(len(spots))]
		return s.x + rng.NormFloat64()*s.sigma, s.y + rng.NormFloat64()*s.sigma
	}
	for range max(2, cells/10000) { // existing presence
		x, y := near()
		for _, i := range disc(x, y, 6+rng.Float64()*4) {
			p.Covered[i] = true
		}
	}
	p.Candidates = make([]Candidate, candidates)
	for j := range p.Candidates {
		x, y := rng.Float64()*float64(side), rng.Float64()*float64(side)
		if rng.Float64() < 0.6 {
			x, y = near()
		}
		p.Candidates[j] = Candidate{ID: fmt.Sprintf("c%d", j), Cells: disc(x, y, 2.5+rng.Float64()*2.5)}
	}
	return p
}
