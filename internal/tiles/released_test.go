package tiles

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/store"
)

// fakeRelease is a release with one view (lunch) besides the whole week:
// its shown cells are a few res-9 cells near centre, one of them without
// any activity (released cells need not have any).
type fakeRelease struct {
	version string
	cells   map[string][]store.HexStat // by view: "" or "lunch"
	calls   atomic.Int32
}

var lunchHours = func() []int16 {
	f, _ := ParseFilter(map[string][]string{"hours": {"lunch"}})
	return f.Hours
}()

func (r *fakeRelease) view(hours []int16) (string, bool) {
	switch {
	case len(hours) == 0:
		return "", true
	case slices.Equal(hours, lunchHours):
		return "lunch", true
	}
	return "", false
}

func (r *fakeRelease) Version(context.Context) (string, error) { return r.version, nil }

func (r *fakeRelease) Check(hours []int16) error {
	if _, ok := r.view(hours); !ok {
		return errs.E(errs.Forbidden, "not released")
	}
	return nil
}

func (r *fakeRelease) Cells(_ context.Context, res int, hours []int16) ([]store.HexStat, error) {
	r.calls.Add(1)
	v, ok := r.view(hours)
	if !ok {
		return nil, errors.New("not a view")
	}
	var out []store.HexStat
	for _, h := range r.cells[v] {
		h.Cell = int64(geo.CellParent(geo.Cell(h.Cell), res))
		if !slices.ContainsFunc(out, func(o store.HexStat) bool { return o.Cell == h.Cell }) {
			out = append(out, h)
		}
	}
	// Out of order, as a map gives them.
	slices.Reverse(out)
	return out, nil
}

// TestReleasedTiles: a non-admin's hexagon tile shows exactly the release's
// shown cells of the view that meet the tile, with released figures only
// (no pings or dwell), read once per release version and view; an admin's
// the exact figures.
func TestReleasedTiles(t *testing.T) {
	cc, err := geo.CellAt(centre[0], centre[1], 9)
	if err != nil {
		t.Fatal(err)
	}
	c := int64(cc)
	ring := geo.Neighbors(cc)
	rel := &fakeRelease{version: "release:1", cells: map[string][]store.HexStat{
		"":      {{Cell: c, Riders: 12, RiderSeconds: 7200}, {Cell: int64(ring[0]), Riders: 6, RiderSeconds: 3600}},
		"lunch": {{Cell: c, Riders: 9, RiderSeconds: 5400}},
	}}
	e := newEnv(t, Options{Release: rel})
	tile := maptile.At(centre, 13) // res 9
	for _, tc := range []struct {
		q    string
		want map[int64]store.HexStat
	}{
		{"", map[int64]store.HexStat{c: rel.cells[""][0], int64(ring[0]): rel.cells[""][1]}},
		{"hours=lunch", map[int64]store.HexStat{c: rel.cells["lunch"][0]}},
	} {
		for range 2 { // the second time from the cache of the view's index or tiles
			l, resp := e.tileLayer(t, tilePath("activity", tile, tc.q), nil)
			if l == nil {
				t.Fatalf("%q: no layer (status %d)", tc.q, resp.StatusCode)
			}
			got := featureCells(t, l)
			if len(got) != len(tc.want) {
				t.Fatalf("%q: cells %v, want %d", tc.q, got, len(tc.want))
			}
			for cell, w := range tc.want {
				f, ok := got[geo.Cell(cell).String()]
				if !ok {
					t.Fatalf("%q: cell %s missing", tc.q, geo.Cell(cell))
				}
				if f.Props["riders"] != int64(w.Riders) || f.Props["rider_hours"] != w.RiderSeconds/3600 {
					t.Errorf("%q: cell %s props %v, want riders %d, rider-hours %g", tc.q, geo.Cell(cell), f.Props, w.Riders, w.RiderSeconds/3600)
				}
				if _, ok := f.Props["pings"]; ok {
					t.Errorf("%q: released cell carries pings: %v", tc.q, f.Props)
				}
			}
		}
	}
	if n := rel.calls.Load(); n != 2 {
		t.Errorf("release read %d times for 2 views at one resolution, want 2", n)
	}
	// A tile far from every shown cell is empty.
	far := maptile.At(centre, 16)
	far.X += 40
	if l, _ := e.tileLayer(t, tilePath("activity", far, ""), nil); l != nil {
		t.Errorf("a tile away from the shown cells has %d features", len(l.Features))
	}
	// A new release version is read again.
	rel.version = "release:2"
	rel.cells["lunch"][0].Riders = 11
	e.svc.Invalidate()
	l, _ := e.tileLayer(t, tilePath("activity", tile, "hours=lunch"), nil)
	if f := featureCells(t, l)[geo.Cell(c).String()]; f.Props["riders"] != int64(11) {
		t.Errorf("after a new release: %v, want riders 11", f.Props)
	}
	// Hours that are no view are refused; an admin gets exact figures.
	if resp, _ := e.get(t, tilePath("activity", tile, "hours=15"), nil); resp.StatusCode != 403 {
		t.Errorf("hours=15 for a non-admin: status %d, want 403", resp.StatusCode)
	}
	la, _ := e.tileLayer(t, tilePath("activity", tile, "hours=lunch"), map[string]string{"X-Test-Admin": "1"})
	if la == nil {
		t.Fatal("admin: no lunch tile")
	}
	for c, f := range featureCells(t, la) {
		if _, ok := f.Props["pings"]; !ok {
			t.Errorf("admin cell %s without pings: %v", c, f.Props)
		}
	}
}

// TestHourSetRollups: once the hour sets are rolled up (store.RefreshHexViews,
// run after every import), a filtered tile of one of them is served from
// memory with the same exact figures as the per-tile merge; other hour
// lists still merge rows in the database.
func TestHourSetRollups(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	afternoon := []int16{15}
	if _, err := e.st.RefreshHexViews(ctx, [][]int16{lunchHours, afternoon}); err != nil {
		t.Fatal(err)
	}
	admin := map[string]string{"X-Test-Admin": "1"}
	tiles := []maptile.Tile{maptile.At(centre, 14), maptile.At(centre, 15)}
	for _, tl := range tiles {
		if geo.DisplayRes(int(tl.Z)) != geo.DisplayRes(int(tiles[0].Z)) {
			t.Fatalf("zooms %d and %d show different resolutions", tl.Z, tiles[0].Z)
		}
	}
	res := geo.DisplayRes(int(tiles[0].Z))
	stored := storedAggregates(t, e.st, res, lunchHours)
	check := func(tl maptile.Tile, q string, stored map[string]agg) {
		t.Helper()
		want := expectedCells(t, tl, stored, 0)
		l, _ := e.tileLayer(t, tilePath("activity", tl, q), admin)
		got := featureCells(t, l)
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("%s at z%d: %d cells, want %d", q, tl.Z, len(got), len(want))
		}
		for _, c := range want {
			checkProps(t, q+" cell "+c, got[c], stored[c])
		}
	}
	check(tiles[0], "hours=lunch", stored)
	// Without the hour rows in the database (the data version unchanged),
	// the next lunch tile still has every figure: it came from the rollup.
	if _, err := e.st.Pool.Exec(ctx, `DELETE FROM hex_activity WHERE how >= 0`); err != nil {
		t.Fatal(err)
	}
	check(tiles[1], "hours=lunch", stored)
	// An hour list that is not rolled up reads the (now empty) hour rows.
	if l, resp := e.tileLayer(t, tilePath("activity", tiles[1], "hours=13"), admin); l != nil || resp.StatusCode != 204 {
		t.Errorf("hours=13 without hour rows: status %d, want 204", resp.StatusCode)
	}
}
