package gridassign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// randomProblem is a tiny instance with members, declined pairs, duplicate
// and non-positive edges, and tied scores.
func randomProblem(rng *rand.Rand) Problem {
	nG, nC := 3+rng.IntN(3), 5+rng.IntN(5)
	p := Problem{MaxGrids: rng.IntN(3), Declined: map[[2]string]bool{}, Reassign: rng.IntN(7) == 0}
	rider := func(c int) string { return fmt.Sprintf("r%d", c) }
	for g := range nG {
		grid := Grid{Code: fmt.Sprintf("g%d", g), Target: rng.IntN(4)}
		if rng.IntN(3) == 0 {
			for range 1 + rng.IntN(2) {
				grid.Members = append(grid.Members, rider(rng.IntN(nC+2))) // may be a rider without edges
			}
		}
		p.Grids = append(p.Grids, grid)
	}
	for g := range nG {
		for c := range nC {
			if rng.Float64() >= 0.4 {
				continue
			}
			e := Edge{Grid: p.Grids[g].Code, Rider: rider(c), Score: float64(rng.IntN(20)) / 2} // ties, and some zeros
			if rng.IntN(20) == 0 {
				e.Score = -1
			}
			p.Edges = append(p.Edges, e)
			if rng.IntN(6) == 0 { // duplicate, higher or lower
				p.Edges = append(p.Edges, Edge{e.Grid, e.Rider, float64(rng.IntN(20)) / 2})
			}
			if rng.IntN(8) == 0 {
				p.Declined[[2]string{e.Grid, e.Rider}] = true
			}
		}
	}
	rng.Shuffle(len(p.Edges), func(i, j int) { p.Edges[i], p.Edges[j] = p.Edges[j], p.Edges[i] })
	return p
}

// checkFeasible checks res against the rules of p, computed independently of
// the solver.
func checkFeasible(t *testing.T, p Problem, res Result) {
	t.Helper()
	maxGrids := cmp.Or(p.MaxGrids, 1)
	best := map[[2]string]float64{}
	for _, e := range p.Edges {
		k := [2]string{e.Grid, e.Rider}
		if w, ok := best[k]; !ok || e.Score > w {
			best[k] = e.Score
		}
	}
	member := map[[2]string]bool{}
	kept := map[string]int{}
	memberships := map[string]int{}
	target := map[string]int{}
	for _, g := range p.Grids {
		target[g.Code] = g.Target
		for _, r := range g.Members {
			if !p.Reassign && !member[[2]string{g.Code, r}] {
				member[[2]string{g.Code, r}] = true
				kept[g.Code]++
				memberships[r]++
			}
		}
	}
	added := map[string]int{}
	served := map[string]int{}
	seen := map[[2]string]bool{}
	total := 0.0
	for _, a := range res.Assignments {
		k := [2]string{a.Grid, a.Rider}
		if seen[k] {
			t.Errorf("%v proposed twice", k)
		}
		seen[k] = true
		if w, ok := best[k]; !ok || w != a.Score || !(w > 0) {
			t.Errorf("%v proposed with score %v, want a usable edge (best score %v, present %v)", k, a.Score, w, ok)
		}
		if p.Declined[k] {
			t.Errorf("declined pair %v proposed", k)
		}
		if member[k] {
			t.Errorf("existing member %v re-proposed", k)
		}
		added[a.Grid]++
		served[a.Rider]++
		total += a.Score
	}
	for g, n := range added {
		if n > 0 && kept[g]+n > target[g] {
			t.Errorf("grid %s: %d kept + %d proposed > target %d", g, kept[g], n, target[g])
		}
	}
	for r, n := range served {
		if n > 0 && memberships[r]+n > maxGrids {
			t.Errorf("rider %s: %d memberships + %d proposed > MaxGrids %d", r, memberships[r], n, maxGrids)
		}
	}
	if math.Abs(total-res.Total) > 1e-9 {
		t.Errorf("Total = %v, want sum of assignments %v", res.Total, total)
	}
	sorted := slices.IsSortedFunc(res.Assignments, func(a, b Assignment) int {
		return cmp.Or(strings.Compare(a.Grid, b.Grid), cmp.Compare(b.Score, a.Score), strings.Compare(a.Rider, b.Rider))
	})
	if !sorted {
		t.Errorf("assignments not sorted by grid, score desc: %v", res.Assignments)
	}
	short := map[string]Shortfall{}
	for _, s := range res.Shortfalls {
		short[s.Grid] = s
	}
	for _, g := range p.Grids {
		filled := kept[g.Code] + added[g.Code]
		s, listed := short[g.Code]
		if want := filled < g.Target; listed != want {
			t.Errorf("grid %s filled %d of %d: shortfall listed %v, want %v", g.Code, filled, g.Target, listed, want)
		}
		if listed && (s.Filled != filled || s.Target != g.Target || s.Reason == "") {
			t.Errorf("grid %s shortfall %+v, want Filled %d Target %d and a reason", g.Code, s, filled, g.Target)
		}
	}
}

func TestSolveMatchesExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 7))
	for i := range 400 {
		p := randomProblem(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			res, err := Solve(context.Background(), p)
			if err != nil {
				t.Fatalf("Solve: %v", err)
			}
			if want := Exhaustive(p); math.Abs(res.Total-want) > 1e-9 {
				t.Errorf("Solve total = %v, want exhaustive optimum %v\nproblem %+v\nassignments %v", res.Total, want, p, res.Assignments)
			}
			checkFeasible(t, p, res)
		})
	}
}

func TestSolveHandMade(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want []Assignment
	}{
		{
			// Greedy by score gives X→A (0.9) and nobody in B: 0.9.
			name: "greedy is suboptimal",
			p: Problem{
				Grids: []Grid{{Code: "A", Target: 1}, {Code: "B", Target: 1}},
				Edges: []Edge{{"A", "X", 0.9}, {"B", "X", 0.8}, {"A", "Y", 0.7}, {"B", "Y", 0}},
			},
			want: []Assignment{{"A", "Y", 0.7}, {"B", "X", 0.8}},
		},
		{
			// A chain: each grid's best courier is needed by the next grid.
			name: "augmenting chain",
			p: Problem{
				Grids: []Grid{{Code: "A", Target: 1}, {Code: "B", Target: 1}, {Code: "C", Target: 1}},
				Edges: []Edge{{"A", "X", 10}, {"B", "X", 9}, {"B", "Y", 10}, {"C", "Y", 9}, {"A", "Z", 8}},
			},
			want: []Assignment{{"A", "Z", 8}, {"B", "X", 9}, {"C", "Y", 9}}, // greedy: X→A, Y→B = 20
		},
		{
			name: "two grids per courier",
			p: Problem{
				Grids:    []Grid{{Code: "A", Target: 2}, {Code: "B", Target: 1}},
				Edges:    []Edge{{"A", "X", 5}, {"B", "X", 4}, {"A", "Y", 3}, {"B", "Y", 6}},
				MaxGrids: 2,
			},
			want: []Assignment{{"A", "X", 5}, {"A", "Y", 3}, {"B", "Y", 6}},
		},
		{
			name: "existing member keeps seat and capacity",
			p: Problem{
				Grids: []Grid{{Code: "A", Target: 2, Members: []string{"X"}}, {Code: "B", Target: 1}},
				Edges: []Edge{{"A", "X", 9}, {"B", "X", 9}, {"A", "Y", 2}, {"B", "Y", 1}},
			},
			want: []Assignment{{"A", "Y", 2}}, // X serves A already; B would need X
		},
		{
			name: "reassign reopens seats",
			p: Problem{
				Grids:    []Grid{{Code: "A", Target: 2, Members: []string{"X"}}, {Code: "B", Target: 1}},
				Edges:    []Edge{{"A", "X", 9}, {"B", "X", 9}, {"A", "Y", 2}, {"B", "Y", 1}},
				Reassign: true,
			},
			want: []Assignment{{"A", "X", 9}, {"A", "Y", 2}},
		},
		{
			name: "duplicates keep the max, declined never proposed",
			p: Problem{
				Grids:    []Grid{{Code: "A", Target: 1}, {Code: "B", Target: 1}},
				Edges:    []Edge{{"A", "X", 1}, {"A", "X", 7}, {"A", "X", 3}, {"B", "Y", 5}, {"A", "Y", 6}},
				Declined: map[[2]string]bool{{"B", "Y"}: true},
			},
			want: []Assignment{{"A", "X", 7}},
		},
		{
			name: "non-positive scores are unusable",
			p: Problem{
				Grids: []Grid{{Code: "A", Target: 3}},
				Edges: []Edge{{"A", "X", 0}, {"A", "Y", -2}, {"A", "Z", 0.5}},
			},
			want: []Assignment{{"A", "Z", 0.5}},
		},
		{
			name: "member above target leaves no seat",
			p: Problem{
				Grids: []Grid{{Code: "A", Target: 1, Members: []string{"X", "Y"}}},
				Edges: []Edge{{"A", "Z", 4}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Solve(context.Background(), tt.p)
			if err != nil {
				t.Fatalf("Solve: %v", err)
			}
			if !reflect.DeepEqual(res.Assignments, tt.want) {
				t.Errorf("assignments = %v, want %v", res.Assignments, tt.want)
			}
			if want := Exhaustive(tt.p); math.Abs(res.Total-want) > 1e-9 {
				t.Errorf("total = %v, want %v", res.Total, want)
			}
			checkFeasible(t, tt.p, res)
		})
	}
}

func TestSolveShortfalls(t *testing.T) {
	p := Problem{
		Grids: []Grid{
			{Code: "empty", Target: 2},
			{Code: "declined", Target: 1},
			{Code: "taken", Target: 1},
			{Code: "winner", Target: 1},
			{Code: "members", Target: 2, Members: []string{"M"}},
			{Code: "limit", Target: 1},
			{Code: "mixed", Target: 2},
			{Code: "other", Target: 1},
			{Code: "full", Target: 1, Members: []string{"F"}},
			{Code: "none", Target: 0},
			{Code: "few", Target: 3},
		},
		Edges: []Edge{
			{"declined", "D1", 5}, {"declined", "D2", 5},
			{"taken", "T", 3}, {"winner", "T", 8},
			{"members", "M", 6},
			{"limit", "F", 2},
			{"mixed", "D1", 1}, {"mixed", "F", 1}, {"mixed", "W", 2}, {"other", "W", 5}, {"mixed", "X", 4},
			{"few", "Y", 1},
		},
		Declined: map[[2]string]bool{{"declined", "D1"}: true, {"declined", "D2"}: true, {"mixed", "D1"}: true},
	}
	want := Result{
		Assignments: []Assignment{{"few", "Y", 1}, {"mixed", "X", 4}, {"other", "W", 5}, {"winner", "T", 8}},
		Total:       18,
		Shortfalls: []Shortfall{
			{"declined", 1, 0, "all candidates declined"},
			{"empty", 2, 0, "no suitable candidate: nobody meets the thresholds in this grid"},
			{"few", 3, 1, "no other suitable candidate meets the thresholds in this grid"},
			{"limit", 1, 0, "all candidates already serve their maximum number of grids"},
			{"members", 2, 1, "no other suitable candidate meets the thresholds in this grid"},
			{"mixed", 2, 1, "remaining candidates: 1 declined, 1 at their maximum number of grids, 1 taken by grids where they score at least as high"},
			{"taken", 1, 0, "candidates are taken by grids where they score at least as high"},
		},
	}
	got, err := Solve(context.Background(), p)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if !reflect.DeepEqual(got.Assignments, want.Assignments) || got.Total != want.Total {
		t.Errorf("assignments = %v total %v, want %v total %v", got.Assignments, got.Total, want.Assignments, want.Total)
	}
	for i := range max(len(got.Shortfalls), len(want.Shortfalls)) {
		var g, w Shortfall
		if i < len(got.Shortfalls) {
			g = got.Shortfalls[i]
		}
		if i < len(want.Shortfalls) {
			w = want.Shortfalls[i]
		}
		if g != w {
			t.Errorf("shortfall %d = %+v\nwant           %+v", i, g, w)
		}
	}
}

func TestSolveErrors(t *testing.T) {
	grids := []Grid{{Code: "A", Target: 1}}
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"unknown grid", Problem{Grids: grids, Edges: []Edge{{"B", "X", 1}}}, `unknown grid "B"`},
		{"negative target", Problem{Grids: []Grid{{Code: "A", Target: -1}}}, "negative target"},
		{"negative MaxGrids", Problem{Grids: grids, MaxGrids: -1}, "MaxGrids -1 is negative"},
		{"duplicate grid", Problem{Grids: []Grid{{Code: "A"}, {Code: "A"}}}, `grid "A" is listed twice`},
		{"empty grid code", Problem{Grids: []Grid{{Target: 1}}}, "empty code"},
		{"empty rider", Problem{Grids: grids, Edges: []Edge{{"A", "", 1}}}, "empty rider"},
		{"NaN score", Problem{Grids: grids, Edges: []Edge{{"A", "X", math.NaN()}}}, "score NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Solve(context.Background(), tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Solve error = %v, want one containing %q", err, tt.want)
			}
			if got := Exhaustive(tt.p); !math.IsNaN(got) {
				t.Errorf("Exhaustive = %v, want NaN", got)
			}
		})
	}
}

func TestSolveCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Solve(ctx, SyntheticCity(1, 50, 500))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Solve on a canceled context: error %v, want context.Canceled", err)
	}
}

// negativeCycle reports whether the residual network of res has a negative
// cycle, that is whether res is not optimal for p (Bellman–Ford from every
// node at once). It rebuilds the network from p without the solver's code.
func negativeCycle(p Problem, res Result) bool {
	maxGrids := cmp.Or(p.MaxGrids, 1)
	id := map[string]int{"": 0} // node 0 is source and sink merged
	node := func(kind, name string) int {
		k := kind + name
		if n, ok := id[k]; ok {
			return n
		}
		id[k] = len(id)
		return id[k]
	}
	best := map[[2]string]float64{}
	for _, e := range p.Edges {
		k := [2]string{e.Grid, e.Rider}
		if w, ok := best[k]; !ok || e.Score > w {
			best[k] = e.Score
		}
	}
	member := map[[2]string]bool{}
	memberships := map[string]int{}
	open := map[string]int{}
	for _, g := range p.Grids {
		open[g.Code] = g.Target
		for _, r := range g.Members {
			if !p.Reassign && !member[[2]string{g.Code, r}] {
				member[[2]string{g.Code, r}] = true
				memberships[r]++
				open[g.Code]--
			}
		}
	}
	on := map[[2]string]bool{}
	added, served := map[string]int{}, map[string]int{}
	for _, a := range res.Assignments {
		on[[2]string{a.Grid, a.Rider}] = true
		added[a.Grid]++
		served[a.Rider]++
	}
	type arc struct {
		u, v int
		c    float64
	}
	var arcs []arc
	riders := map[string]bool{}
	for k, w := range best {
		if !(w > 0) || member[k] || p.Declined[k] {
			continue
		}
		g, r := node("g", k[0]), node("r", k[1])
		riders[k[1]] = true
		if on[k] {
			arcs = append(arcs, arc{g, r, w})
		} else {
			arcs = append(arcs, arc{r, g, -w})
		}
	}
	for r := range riders {
		n := node("r", r)
		if served[r] < maxGrids-memberships[r] {
			arcs = append(arcs, arc{0, n, 0})
		}
		if served[r] > 0 {
			arcs = append(arcs, arc{n, 0, 0})
		}
	}
	for g, seats := range open {
		n := node("g", g)
		if added[g] < seats {
			arcs = append(arcs, arc{n, 0, 0})
		}
		if added[g] > 0 {
			arcs = append(arcs, arc{0, n, 0})
		}
	}
	dist := make([]float64, len(id))
	for round := 0; ; round++ {
		changed := false
		for _, a := range arcs {
			if d := dist[a.u] + a.c; d < dist[a.v]-1e-9 {
				dist[a.v], changed = d, true
			}
		}
		if !changed {
			return false
		}
		if round == len(id) {
			return true
		}
	}
}

func TestNegativeCycleCheck(t *testing.T) {
	p := Problem{
		Grids: []Grid{{Code: "A", Target: 1}, {Code: "B", Target: 1}},
		Edges: []Edge{{"A", "X", 0.9}, {"B", "X", 0.8}, {"A", "Y", 0.7}},
	}
	tests := []struct {
		name string
		res  Result
		want bool
	}{
		{"greedy", Result{Assignments: []Assignment{{"A", "X", 0.9}}}, true},
		{"empty", Result{}, true},
		{"optimal", Result{Assignments: []Assignment{{"A", "Y", 0.7}, {"B", "X", 0.8}}}, false},
	}
	for _, tt := range tests {
		if got := negativeCycle(p, tt.res); got != tt.want {
			t.Errorf("%s: negativeCycle = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSolveOptimalOnCities(t *testing.T) {
	tests := []struct {
		name              string
		seed              int64
		grids, couriers   int
		maxGrids          int
		reassign, shuffle bool
	}{
		{"many couriers", 1, 300, 6000, 1, false, false},
		{"tight", 2, 300, 900, 1, false, false},
		{"scarce", 3, 300, 400, 1, false, true},
		{"two grids each", 4, 300, 600, 2, false, false},
		{"reassign", 5, 200, 500, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := SyntheticCity(tt.seed, tt.grids, tt.couriers)
			p.MaxGrids, p.Reassign = tt.maxGrids, tt.reassign
			res, err := Solve(context.Background(), p)
			if err != nil {
				t.Fatalf("Solve: %v", err)
			}
			checkFeasible(t, p, res)
			if negativeCycle(p, res) {
				t.Errorf("residual network has a negative cycle: the assignment is not optimal")
			}

			// The same problem with edges in another order gives the same answer.
			q := p
			q.Edges = slices.Clone(p.Edges)
			rand.New(rand.NewPCG(uint64(tt.seed), 1)).Shuffle(len(q.Edges), func(i, j int) { q.Edges[i], q.Edges[j] = q.Edges[j], q.Edges[i] })
			again, err := Solve(context.Background(), q)
			if err != nil {
				t.Fatalf("Solve shuffled: %v", err)
			}
			if math.Abs(again.Total-res.Total) > 1e-9 || !reflect.DeepEqual(again.Assignments, res.Assignments) {
				t.Errorf("shuffled edges: total %v with %d assignments, want %v with %d", again.Total, len(again.Assignments), res.Total, len(res.Assignments))
			}
		})
	}
}

func TestSyntheticCity(t *testing.T) {
	p := SyntheticCity(7, 100, 2000)
	if !reflect.DeepEqual(p, SyntheticCity(7, 100, 2000)) {
		t.Errorf("SyntheticCity is not deterministic")
	}
	if len(p.Grids) != 100 || p.MaxGrids != 1 {
		t.Errorf("SyntheticCity: %d grids MaxGrids %d, want 100 and 1", len(p.Grids), p.MaxGrids)
	}
	perRider := map[string]int{}
	for _, e := range p.Edges {
		if !(e.Score > 0 && e.Score <= 100) {
			t.Fatalf("edge %+v: score outside (0,100]", e)
		}
		perRider[e.Rider]++
	}
	if len(perRider) != 2000 {
		t.Errorf("SyntheticCity: %d riders with edges, want 2000", len(perRider))
	}
	for r, n := range perRider {
		if n < 1 || n > 8 {
			t.Errorf("rider %s has %d edges, want 1–8", r, n)
		}
	}
	for _, g := range p.Grids {
		if g.Target < 1 || g.Target > 5 {
			t.Errorf("grid %s target %d, want 1–5", g.Code, g.Target)
		}
	}
	if got := SyntheticCity(1, 0, 10); len(got.Grids) != 0 || len(got.Edges) != 0 {
		t.Errorf("SyntheticCity with no grids = %+v, want empty", got)
	}
}
