package siting

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSolveCity solves a city-scale instance (100,000 cells, 5,000
// candidates) and reports CoveredAfter/UpperBound as "cover/bound".
func BenchmarkSolveCity(b *testing.B) {
	city := SyntheticCity(42, 100_000, 5_000)
	for _, k := range []int{10, 50} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			p := city
			p.K = k
			var s Solution
			for b.Loop() {
				var err error
				if s, err = Solve(context.Background(), p, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(s.CoveredAfter/s.UpperBound, "cover/bound")
		})
	}
}

// BenchmarkExhaustiveSmall is the brute-force reference on a test-size instance.
func BenchmarkExhaustiveSmall(b *testing.B) {
	p := randomProblem(rand.New(rand.NewPCG(3, 4)))
	p.K, p.Required = 5, nil
	for b.Loop() {
		Exhaustive(p)
	}
}
