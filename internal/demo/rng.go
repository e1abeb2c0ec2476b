package demo

import "math/rand/v2"

// Streams of randomness. Each part of the city draws from its own PCG source,
// keyed by the seed and a purpose, so that changing one part (or the number of
// riders) leaves the others as they were.
const (
	streamLattice uint64 = 0x6c61747469636531 + iota
	streamNames
	streamPlaces
	streamSites
	streamRiderPlan
	streamRiderMove
	streamCourierPlan
	streamCourierMove
	streamTerritories
	streamDepots
)

// splitmix64 is a strong 64-bit mixer (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRand returns the source for one purpose (and index, for riders).
func newRand(seed int64, stream uint64, index int) *rand.Rand {
	s1 := splitmix64(uint64(seed) ^ splitmix64(stream))
	s2 := splitmix64(stream*0x100000001b3 + uint64(index))
	return rand.New(rand.NewPCG(s1, s2))
}

// uniform returns a number in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// pickWeighted returns an index drawn with probability proportional to the
// cumulative weights cum (cum[i] = w[0]+...+w[i]).
func pickWeighted(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func cumulative(w []float64) []float64 {
	cum := make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		cum[i] = s
	}
	return cum
}
