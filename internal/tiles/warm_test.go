package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

// KeepWarm builds every display resolution's index for the current data
// at once, and again after an import; /readyz says which state it is in.
func TestKeepWarm(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := server.New(config.Default(), e.st, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{})
	srv.UseTilesWarm(e.svc.Warmed)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	readyTiles := func() string {
		res, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]string
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("/readyz: %d %v", res.StatusCode, err)
		}
		return out["tiles"]
	}
	if got := readyTiles(); got != "warming" {
		t.Fatalf("before warming /readyz tiles = %q, want warming", got)
	}
	done := make(chan int, 4)
	go e.svc.KeepWarm(ctx, 20*time.Millisecond, func(n int, _ time.Duration, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- n
	})
	wait := func(what string) {
		t.Helper()
		select {
		case n := <-done:
			if n != 2*len(displayRes) { // the indexes and the hour rows
				t.Errorf("%s: warmed %d indexes and hour rows, want %d", what, n, 2*len(displayRes))
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: not warmed", what)
		}
	}
	check := func(what string) {
		t.Helper()
		ver, err := e.svc.data.version(ctx, LayerActivity)
		if err != nil {
			t.Fatal(err)
		}
		e.svc.data.mu.Lock()
		defer e.svc.data.mu.Unlock()
		for _, res := range displayRes {
			if x := e.svc.data.hex[res]; x.ver != ver || x.idx == nil {
				t.Errorf("%s: resolution %d indexed at %q (%v), want %s", what, res, x.ver, x.idx != nil, ver)
			}
			if v := e.svc.data.views[res]; v.ver != ver {
				t.Errorf("%s: resolution %d rollups at %q, want %s", what, res, v.ver, ver)
			}
			if h := e.svc.data.hours[res]; h.ver != ver || h.x == nil {
				t.Errorf("%s: resolution %d hour rows at %q (%v), want %s", what, res, h.ver, h.x != nil, ver)
			}
		}
	}
	wait("start")
	check("start")
	if got := readyTiles(); got != "warm" {
		t.Errorf("after warming /readyz tiles = %q, want warm", got)
	}
	// An import: the indexes are for older data until the next warming.
	var more []tilestest.Ping
	for i := range 6 {
		more = append(more, tilestest.Walk(fmt.Sprintf("late%d", i), monday.Add(50*time.Hour), 30*time.Second, 60,
			[2]float64{121.397, 31.247}, [2]float64{121.403, 31.253})...)
	}
	cancel() // hold the warming while checking the state in between
	tilestest.LoadActivity(t, e.st, "more.csv", more)
	e.svc.Invalidate()
	if e.svc.Warmed(context.Background()) {
		t.Error("warm for the new data before warming it")
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go e.svc.KeepWarm(ctx, 20*time.Millisecond, func(n int, _ time.Duration, err error) { done <- n })
	wait("after the import")
	check("after the import")
	if !e.svc.Warmed(ctx) {
		t.Error("not warm after warming the new data")
	}
}

// With a gap source, warming computes the admin's gap analysis of the whole
// week and of every view's hours (shared with /api/gaps and the summaries),
// and it runs WarmAlso once.
func TestWarmAsksGaps(t *testing.T) {
	src := &gapSource{}
	views := [][]int16{{11, 12, 13}, {17, 18}}
	var also atomic.Int32
	e := newEnv(t, Options{Gaps: src, WarmViews: views, WarmAlso: func(context.Context) error { also.Add(1); return nil }})
	n, err := e.svc.Warm(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[]|rider_hours|true", "[11 12 13]|rider_hours|true", "[17 18]|rider_hours|true"}
	if n != 2*len(displayRes)+len(want)+1 || !slices.Equal(src.asked, want) || also.Load() != 1 {
		t.Errorf("warmed %d, gaps asked %q, WarmAlso ran %d times; want %d, %q and once", n, src.asked, also.Load(), 2*len(displayRes)+len(want)+1, want)
	}
}
