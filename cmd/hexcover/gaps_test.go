package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// gapCell is a gap cell's zone (its lowest cell) and rank, as the list or
// the tiles give it.
// The zone id is compared as the map reads it, a float64 (an MVT integer
// this large does not survive JavaScript or the decoder exactly).
type gapCell struct {
	zone float64
	rank int64
}

// TestGapTilesMatchAPI: the map's gaps layer and GET /api/gaps show the same
// cells in the same zones with the same ranks, for an admin (exact) and a
// planner (the published release), over the whole week and an hour range,
// and the summary's gap column adds up to the list — end to end through the
// server on the demo city.
func TestGapTilesMatchAPI(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + dbURL}, "demo", "--riders", "200", "--days", "1"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	cfg := config.Default()
	cfg.DatabaseURL = dbURL
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &env{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, _, err := buildServer(ctx, e, st, fstest.MapFS{"index.html": {Data: []byte("<html>")}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	clients := map[string]attackClient{}
	for _, role := range []string{"admin", "planner"} {
		sec, _ := store.NewTokenSecret()
		if _, err := st.CreateToken(ctx, "gaps-"+role, role, nil, sec); err != nil {
			t.Fatal(err)
		}
		clients[role] = attackClient{t: t, base: ts.URL, token: sec}
	}
	for _, tc := range []struct{ who, query string }{
		{"admin", ""}, {"admin", "hours=lunch"}, {"admin", "metric=riders"},
		{"planner", ""}, {"planner", "hours=dinner"},
	} {
		c := clients[tc.who]
		var list struct {
			Zones    int `json:"gap_zones"`
			Cells    int `json:"gap_cells"`
			Features []struct {
				Props struct {
					ID      string   `json:"id"`
					Rank    int64    `json:"rank"`
					CellIDs []string `json:"cell_ids"`
				} `json:"properties"`
			} `json:"features"`
		}
		if code := c.json("GET", "/api/gaps?limit=500&"+tc.query, "", &list); code != 200 {
			t.Fatalf("%s %s: /api/gaps = %d", tc.who, tc.query, code)
		}
		if len(list.Features) != list.Zones {
			t.Fatalf("%s %s: %d of %d zones listed", tc.who, tc.query, len(list.Features), list.Zones)
		}
		want := map[string]gapCell{}
		var bound orb.Bound
		for n, f := range list.Features {
			id, err := strconv.ParseUint(f.Props.ID, 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range f.Props.CellIDs {
				want[h] = gapCell{float64(id), f.Props.Rank}
				var cell uint64
				fmt.Sscanf(h, "%x", &cell)
				p := geo.CellCenter(geo.Cell(cell))
				if n == 0 && len(want) == 1 {
					bound = p.Bound()
				}
				bound = bound.Extend(p)
			}
		}
		if len(want) != list.Cells {
			t.Errorf("%s %s: %d cells in the zones, gap_cells %d", tc.who, tc.query, len(want), list.Cells)
		}
		if len(want) == 0 {
			t.Fatalf("%s %s: no gap cells", tc.who, tc.query)
		}
		// Every z11 tile over the zones and a margin around them.
		got := map[string]gapCell{}
		bound = bound.Pad(0.05)
		tr := maptile.At(bound.Min, 11)
		tl := maptile.At(bound.Max, 11)
		for x := min(tr.X, tl.X); x <= max(tr.X, tl.X); x++ {
			for y := min(tr.Y, tl.Y); y <= max(tr.Y, tl.Y); y++ {
				path := fmt.Sprintf("/tiles/gaps/11/%d/%d.mvt?%s", x, y, tc.query)
				code, b := c.do("GET", path, "")
				if code == http.StatusNoContent {
					continue
				}
				if code != 200 {
					t.Fatalf("GET %s = %d %s", path, code, b)
				}
				layers, err := mvt.Unmarshal(b)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range layers {
					for _, f := range l.Features {
						cell, _ := f.Properties["cell"].(string)
						got[cell] = gapCell{float64(num(f.Properties["zone"])), num(f.Properties["zone_rank"])}
					}
				}
			}
		}
		bad := 0
		for h, w := range want {
			if g, ok := got[h]; !ok || g != w {
				if bad++; bad <= 5 {
					t.Errorf("%s %s: cell %s listed in zone %.0f rank %d; tiles: %v %+v", tc.who, tc.query, h, w.zone, w.rank, ok, g)
				}
			}
		}
		for h := range got {
			if _, ok := want[h]; !ok {
				if bad++; bad <= 5 {
					t.Errorf("%s %s: tiles draw gap cell %s that /api/gaps does not list", tc.who, tc.query, h)
				}
			}
		}
		// The summary's gap column adds up to the list.
		type row struct {
			GapZones *int `json:"gap_zones"`
		}
		var sum struct {
			Rows  []row `json:"rows"`
			Other *row  `json:"other"`
		}
		if code := c.json("GET", "/api/summary?level=street&"+tc.query, "", &sum); code != 200 {
			t.Fatalf("summary = %d", code)
		}
		n := 0
		if sum.Other != nil && sum.Other.GapZones != nil {
			n += *sum.Other.GapZones
		}
		for _, r := range sum.Rows {
			if r.GapZones != nil {
				n += *r.GapZones
			}
		}
		if n != list.Zones {
			t.Errorf("%s %s: summary gap zones add up to %d, /api/gaps lists %d", tc.who, tc.query, n, list.Zones)
		}
		t.Logf("%s %s: %d zones, %d cells; tiles %d cells", tc.who, tc.query, list.Zones, len(want), len(got))
	}
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return -1
}
