package gridassign

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Synthetic city layout, from the field notes: community grids of about
// 0.36 km² on a square lattice; riders working within a few kilometres of a
// merchant cluster (average radius 2.4 km), so each overlaps the 1–8 grids
// nearest his centre; 30 days of observations.
const (
	synthCell      = 0.6  // km, side of a grid
	synthSpread    = 1.2  // km, σ of riders around their merchant cluster
	synthClustered = 0.75 // share of riders attached to a cluster
	synthDays      = 30
)

// SyntheticCity builds a deterministic, realistic-looking [Problem] for
// benchmarks and demos: grids on a lattice with targets 1–5, couriers
// clustered around merchant hot spots, each with edges to the 1–8 grids
// nearest him, scored with [Score] and [DefaultWeights] from synthetic
// [Evidence]. About one grid in ten already has a member and about one edge
// in a hundred was declined. MaxGrids is 1. Ids are synthetic
// ("G00042", "r000017").
func SyntheticCity(seed int64, grids, couriers int) Problem {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	grids, couriers = max(grids, 0), max(couriers, 0)
	p := Problem{MaxGrids: 1, Declined: map[[2]string]bool{}}
	if grids == 0 {
		return p
	}
	side := int(math.Ceil(math.Sqrt(float64(grids))))
	width := float64(side) * synthCell
	rows := (grids + side - 1) / side
	height := float64(rows) * synthCell
	p.Grids = make([]Grid, grids)
	for i := range p.Grids {
		p.Grids[i] = Grid{Code: fmt.Sprintf("G%05d", i), Target: 1 + rng.IntN(5)}
	}

	hot := make([][2]float64, max(1, grids/25))
	for i := range hot {
		hot[i] = [2]float64{rng.Float64() * width, rng.Float64() * height}
	}
	type near struct {
		grid int
		d    float64
	}
	var cand []near
	byGrid := make([][]int, grids) // edge indexes per grid
	for c := range couriers {
		var x, y float64
		if rng.Float64() < synthClustered {
			h := hot[rng.IntN(len(hot))]
			x, y = h[0]+rng.NormFloat64()*synthSpread, h[1]+rng.NormFloat64()*synthSpread
		} else {
			x, y = rng.Float64()*width, rng.Float64()*height
		}
		x, y = min(max(x, 0), width-1e-9), min(max(y, 0), height-1e-9)
		cx, cy := int(x/synthCell), int(y/synthCell)
		cand = cand[:0]
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				gx, gy := cx+dx, cy+dy
				g := gy*side + gx
				if gx < 0 || gx >= side || gy < 0 || g >= grids {
					continue
				}
				mx, my := (float64(gx)+0.5)*synthCell, (float64(gy)+0.5)*synthCell
				cand = append(cand, near{g, math.Hypot(mx-x, my-y)})
			}
		}
		slices.SortFunc(cand, func(a, b near) int { return cmp.Compare(a.d, b.d) })
		k := min(1+rng.IntN(8), len(cand))
		weights := make([]float64, k)
		sum := 0.0
		for i := range k {
			weights[i] = math.Exp(-cand[i].d/0.8) * (0.5 + rng.Float64())
			sum += weights[i]
		}
		inside := 0.7 + 0.3*rng.Float64() // the rest of his time is outside any listed grid
		rider := fmt.Sprintf("r%06d", c)
		for i := range k {
			share := inside * weights[i] / sum
			ev := Evidence{
				Rider:      rider,
				TimeShare:  share,
				DaysTotal:  synthDays,
				DaysActive: max(1, min(synthDays, int(math.Round(synthDays*share*float64(k)*(0.6+0.6*rng.Float64()))))),
				DwellShare: min(1, share*(0.5+rng.Float64())),
			}
			if rng.Float64() < 0.8 {
				ev.Stability = 0.3 + 0.7*rng.Float64()
			}
			g := cand[i].grid
			byGrid[g] = append(byGrid[g], len(p.Edges))
			p.Edges = append(p.Edges, Edge{Grid: p.Grids[g].Code, Rider: rider, Score: Score(ev, DefaultWeights())})
		}
	}

	member := map[string]bool{}
	for g, es := range byGrid {
		if len(es) == 0 || rng.Float64() >= 0.1 {
			continue
		}
		r := p.Edges[es[rng.IntN(len(es))]].Rider
		if !member[r] {
			member[r] = true
			p.Grids[g].Members = []string{r}
		}
	}
	for _, e := range p.Edges {
		if !member[e.Rider] && rng.Float64() < 0.01 {
			p.Declined[[2]string{e.Grid, e.Rider}] = true
		}
	}
	return p
}
