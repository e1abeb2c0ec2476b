package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hexcover/hexcover/internal/config"
)

func TestClientIP(t *testing.T) {
	cfg := config.Default()
	cfg.Web.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1/32"}
	s := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{})
	cases := []struct{ remote, xff, want string }{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "198.51.100.1", "203.0.113.5"},                // untrusted peer: its XFF is ignored
		{"10.1.2.3:80", "198.51.100.1", "198.51.100.1"},                    // trusted proxy
		{"10.1.2.3:80", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // the nearest untrusted hop, not the spoofable first
		{"192.0.2.1:80", "garbage, 198.51.100.2", "198.51.100.2"},
		{"10.1.2.3:80", "garbage", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:80", "2001:db8::1", "2001:db8::1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/api/login", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientIP(r); got != c.want {
			t.Errorf("clientIP(%s, XFF %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestMetricsOffByDefault(t *testing.T) {
	s := New(config.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("/metrics without HEXCOVER_METRICS_TOKEN = %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Errorf("/metrics on the metrics listener = %d, want 200", rec.Code)
	}
}

func TestStyleOrigins(t *testing.T) {
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/style.json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"version": 8, "glyphs": "https://fonts.example.com/{fontstack}/{range}.pbf",
			"sprite": [{"id": "default", "url": "https://sprites.example.com/s"}],
			"sources": {"a": {"type": "vector", "url": "%s/tiles.json"}, "b": {"type": "raster", "tiles": ["https://{s}.tiles.example.net/{z}/{x}/{y}.png"]}},
			"layers": []}`, base)
	})
	mux.HandleFunc("/tiles.json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"tiles": ["https://vector.example.org/{z}/{x}/{y}.pbf"]}`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	base = ts.URL
	got, err := StyleOrigins(context.Background(), ts.Client(), ts.URL+"/style.json")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"https://fonts.example.com", "https://*.tiles.example.net", "https://sprites.example.com", "https://vector.example.org", ts.URL}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("StyleOrigins = %v, want %v", got, want)
	}
	cfg := config.Default()
	cfg.BasemapStyle = ts.URL + "/style.json"
	s := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{})
	s.AllowOrigins(got...)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' "+ts.URL) || !strings.Contains(csp, "https://vector.example.org") || strings.Count(csp, ts.URL) != 2 {
		t.Errorf("CSP %q: want the style's origins in connect-src and img-src, once each", csp)
	}
}
