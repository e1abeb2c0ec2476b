package server

import (
	"net/http"

	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/store"
)

// wrap makes h a route handler: database errors get their kinds
// (store.Translate), httpkit writes the error, errors of status 500 and up
// are logged, and the route is counted in the metrics.
func (s *Server) wrap(route string, h httpkit.HandlerFunc) http.Handler {
	return s.metrics.instrument(route, httpkit.Handler(func(w http.ResponseWriter, r *http.Request) error {
		return store.Translate(h(w, r))
	}, func(r *http.Request, code int, err error) {
		if code >= 500 && code != httpkit.StatusClientClosed {
			s.log.Error("request failed", "route", route, "path", r.URL.Path, "status", code, "err", err)
		}
	}))
}
