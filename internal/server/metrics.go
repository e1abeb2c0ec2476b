package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/store"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, st *store.Store) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hexcover_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hexcover_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	if st != nil {
		reg.MustRegister(poolCollector{st}, importCollector{st})
	}
	return m
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) {
	if w.code == 0 {
		w.code = c
	}
	w.ResponseWriter.WriteHeader(c)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// poolCollector exports pgxpool statistics.
type poolCollector struct{ st *store.Store }

var (
	poolTotal    = prometheus.NewDesc("hexcover_db_pool_conns", "Database pool connections by state.", []string{"state"}, nil)
	poolAcquires = prometheus.NewDesc("hexcover_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWait     = prometheus.NewDesc("hexcover_db_pool_acquire_wait_seconds_total", "Time spent waiting for a pool connection.", nil, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolTotal
	ch <- poolAcquires
	ch <- poolWait
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.Pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.MaxConns()), "max")
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}

// importCollector exports the rows imported so far (imports run in the CLI,
// so the counts come from ingest_batches at scrape time).
type importCollector struct{ st *store.Store }

var importRows = prometheus.NewDesc("hexcover_import_rows_total", "Rows of completed imports by kind and result (accepted, rejected).", []string{"kind", "result"}, nil)

func (c importCollector) Describe(ch chan<- *prometheus.Desc) { ch <- importRows }

func (c importCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	t, err := c.st.ImportTotals(ctx)
	if err != nil {
		return // database away: the pool metrics and /readyz say so
	}
	for k, v := range t {
		ch <- prometheus.MustNewConstMetric(importRows, prometheus.CounterValue, float64(v[0]), k, "accepted")
		ch <- prometheus.MustNewConstMetric(importRows, prometheus.CounterValue, float64(v[1]), k, "rejected")
	}
}

// metricsOnMain serves /metrics on the main listener only to a bearer of
// HEXCOVER_METRICS_TOKEN; without one set it is not served there (404):
// request counts and pool states are for the operator, not the public.
func (s *Server) metricsOnMain() httpkit.HandlerFunc {
	h := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	return func(w http.ResponseWriter, r *http.Request) error {
		want := s.cfg.Web.MetricsToken
		if want == "" {
			msg := "metrics are not served on this address: set HEXCOVER_METRICS_TOKEN"
			if s.cfg.Web.MetricsAddr != "" {
				msg = "metrics are served on HEXCOVER_METRICS_ADDR"
			}
			return errs.E(errs.NotFound, msg)
		}
		got, kind := credentials(r)
		if kind != credBearer || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errs.E(errs.Unauthenticated, "metrics need Authorization: Bearer <HEXCOVER_METRICS_TOKEN>")
		}
		h.ServeHTTP(w, r)
		return nil
	}
}

// MetricsHandler serves /metrics alone, for the separate listener
// (HEXCOVER_METRICS_ADDR), without a token.
func (s *Server) MetricsHandler() http.Handler {
	m := httpkit.NewMux()
	m.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return m
}
