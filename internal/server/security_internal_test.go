package server

import (
	"io"
	"log/slog"
	"net/http/httptest"
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
