package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// With Paths, every path is fetched exactly once, with the token, and the
// report counts what the server answered.
func TestRunPathsFetchesEachOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		seen[r.URL.RequestURI()]++
		mu.Unlock()
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/busy":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("tile"))
		}
	}))
	defer srv.Close()
	var paths []string
	for i := range 60 {
		paths = append(paths, fmt.Sprintf("/tiles/activity/14/%d/6692.mvt?hours=lunch", i))
	}
	paths = append(paths, "/missing", "/busy")
	rep, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: "tok", Duration: time.Minute, Concurrency: 4, Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != len(paths) || rep.Errors != 1 || len(rep.Routes) != 1 || rep.Routes[0].Route != "paths" || rep.Routes[0].Shed != 1 {
		t.Fatalf("report %+v (routes %+v), want %d requests, 1 error, 1 shed, one route", rep, rep.Routes, len(paths))
	}
	for _, p := range paths {
		if seen[p] != 1 {
			t.Errorf("%s fetched %d times, want once", p, seen[p])
		}
	}
	if r := rep.Routes[0]; !(r.P50ms <= r.P99ms && r.P99ms <= r.MaxMs && r.MaxMs > 0) {
		t.Errorf("percentiles p50 %.3f p99 %.3f max %.3f out of order", r.P50ms, r.P99ms, r.MaxMs)
	}
}
