package release

import (
	"testing"

	"github.com/hexcover/hexcover/geo"
)

// cellsAround returns n distinct res-9 cells near Shanghai.
func cellsAround(t *testing.T, n int) []int64 {
	t.Helper()
	c, err := geo.CellAt(121.40, 31.24, Res)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[geo.Cell]bool{c: true}
	out := []int64{int64(c)}
	for q := 0; len(out) < n; q++ {
		for _, nb := range geo.Neighbors(geo.Cell(out[q])) {
			if !seen[nb] && len(out) < n {
				seen[nb] = true
				out = append(out, int64(nb))
			}
		}
	}
	return out
}

// childOf returns a res-10 child of a res-9 cell (its centre's cell).
func childOf(t *testing.T, c int64) int64 {
	t.Helper()
	p := geo.CellCenter(geo.Cell(c))
	ch, err := geo.CellAt(p[0], p[1], 10)
	if err != nil {
		t.Fatal(err)
	}
	return int64(ch)
}
