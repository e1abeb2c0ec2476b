package gridassign_test

import (
	"context"
	"fmt"

	"github.com/hexcover/hexcover/internal/gridassign"
)

// Greedy would put X in A (0.9) and leave B empty; the optimum moves X to B.
func ExampleSolve() {
	res, err := gridassign.Solve(context.Background(), gridassign.Problem{
		Grids: []gridassign.Grid{{Code: "A", Target: 1}, {Code: "B", Target: 1}, {Code: "C", Target: 1}},
		Edges: []gridassign.Edge{{Grid: "A", Rider: "X", Score: 0.9}, {Grid: "B", Rider: "X", Score: 0.8}, {Grid: "A", Rider: "Y", Score: 0.7}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Assignments {
		fmt.Printf("%s ← %s (%.1f)\n", a.Grid, a.Rider, a.Score)
	}
	fmt.Printf("total %.1f\n", res.Total)
	for _, s := range res.Shortfalls {
		fmt.Printf("%s: %d of %d, %s\n", s.Grid, s.Filled, s.Target, s.Reason)
	}
	// Output:
	// A ← Y (0.7)
	// B ← X (0.8)
	// total 1.5
	// C: 0 of 1, no suitable candidate: nobody meets the thresholds in this grid
}

func ExampleRank() {
	ranked := gridassign.Rank([]gridassign.Evidence{
		{Rider: "b", TimeShare: 0.5, DaysActive: 15, DaysTotal: 30, DwellShare: 0.25, Stability: 0.8},
		{Rider: "a", TimeShare: 0.3, DaysActive: 30, DaysTotal: 30, DwellShare: 0.5, Stability: 1},
		{Rider: "c", TimeShare: 0, DaysActive: 30, DaysTotal: 30},
	}, gridassign.DefaultWeights(), 0)
	for _, c := range ranked {
		fmt.Printf("%d %s %.0f\n", c.Rank, c.Rider, c.Score)
	}
	// Output:
	// 1 a 62
	// 2 b 48
}
