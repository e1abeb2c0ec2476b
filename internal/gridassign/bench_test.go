package gridassign

import (
	"context"
	"testing"
)

func benchSolve(b *testing.B, grids, couriers int) {
	p := SyntheticCity(1, grids, couriers)
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		var err error
		if res, err = Solve(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.Edges)), "edges")
	b.ReportMetric(float64(len(res.Assignments)), "proposals")
}

// BenchmarkSolveCity is the city-scale case: 2,000 grids, 50,000 couriers.
func BenchmarkSolveCity(b *testing.B) { benchSolve(b, 2000, 50000) }

// BenchmarkSolveDistrict is a district: 200 grids, 5,000 couriers.
func BenchmarkSolveDistrict(b *testing.B) { benchSolve(b, 200, 5000) }

// BenchmarkSolveTight has about as many couriers as seats, so most seats
// are contested and paths are long.
func BenchmarkSolveTight(b *testing.B) { benchSolve(b, 2000, 6000) }
