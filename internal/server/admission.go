package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
)

// admission bounds the analysis requests that run at once
// (HEXCOVER_ANALYSIS_SLOTS): one more waits up to HEXCOVER_ANALYSIS_WAIT
// for a slot and is then answered 503 with Retry-After. Analyses are the
// expensive queries; bounding them keeps database connections and CPU for
// tiles and /api/meta, which are not admitted here.
type admission struct {
	sem      *semaphore.Weighted
	wait     time.Duration
	running  prometheus.Gauge
	rejected prometheus.Counter
}

func newAdmission(slots int, wait time.Duration, reg *prometheus.Registry) *admission {
	a := &admission{
		sem:  semaphore.NewWeighted(int64(max(1, slots))),
		wait: wait,
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hexcover_analysis_running",
			Help: "Analysis requests running (bounded by HEXCOVER_ANALYSIS_SLOTS)."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "hexcover_analysis_rejected_total",
			Help: "Analysis requests answered 503 because every slot stayed busy."}),
	}
	reg.MustRegister(a.running, a.rejected)
	return a
}

// retryAfter is what a rejected analysis request is told to wait.
const retryAfter = 2 * time.Second

// middleware admits h's requests one slot each.
func (a *admission) middleware(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !a.sem.TryAcquire(1) {
			ctx, cancel := context.WithTimeout(r.Context(), a.wait)
			err := a.sem.Acquire(ctx, 1)
			cancel()
			if err != nil {
				if r.Context().Err() != nil {
					return errs.E(errs.Canceled, r.Context().Err())
				}
				a.rejected.Inc()
				return errs.E(errs.Unavailable, "the server is busy with other analyses; retry shortly", retryAfter, errors.New("analysis admission: no slot"))
			}
		}
		a.running.Inc()
		defer func() {
			a.running.Dec()
			a.sem.Release(1)
		}()
		return h(w, r)
	}
}

// MountAnalysis mounts routes like Mount, each request of theirs also
// admitted by the analysis bound (after authentication, so anonymous
// requests take no slot).
func (s *Server) MountAnalysis(routes ...httpkit.Route) {
	for _, rt := range routes {
		rt.Handler = httpkit.Chain(rt.Handler, s.admit.middleware)
		s.Mount(rt)
	}
}
