package release

import (
	"testing"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/store"
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

// ping is a ping of rider at ts (unix ns) at the centre of a res-9 cell.
func ping(rider, ts int64, cell int64) store.DayPing {
	p := geo.CellCenter(geo.Cell(cell))
	return store.DayPing{Rider: rider, TS: ts, Lat: p[1], Lng: p[0]}
}
