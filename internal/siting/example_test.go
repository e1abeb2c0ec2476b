package siting_test

import (
	"context"
	"fmt"

	"github.com/hexcover/hexcover/internal/siting"
)

// Site "a" reaches the most demand, but "b" and "c" together cover everything.
func ExampleSolve() {
	p := siting.Problem{
		Demand: []float64{1, 1, 1, 1, 1, 1},
		Candidates: []siting.Candidate{
			{ID: "a", Cells: []int{0, 1, 2, 3}},
			{ID: "b", Cells: []int{0, 1, 4}},
			{ID: "c", Cells: []int{2, 3, 5}},
		},
		K: 2,
	}
	s, err := siting.Solve(context.Background(), p, siting.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, pk := range s.Picks {
		fmt.Printf("%s +%g\n", pk.ID, pk.Gain)
	}
	fmt.Printf("covered %g of %g, bound %g\n", s.CoveredAfter, s.TotalDemand, s.UpperBound)
	// Output:
	// b +3
	// c +3
	// covered 6 of 6, bound 6
}

func ExampleEvaluate() {
	p := siting.Problem{
		Demand:     []float64{5, 2, 3},
		Covered:    []bool{true, false, false},
		Candidates: []siting.Candidate{{ID: "a", Cells: []int{0, 1}}, {ID: "b", Cells: []int{2}}},
	}
	fmt.Println(siting.Evaluate(p, nil), siting.Evaluate(p, []int{0}), siting.Evaluate(p, []int{0, 1}))
	// Output: 5 7 10
}
