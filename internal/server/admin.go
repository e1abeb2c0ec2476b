package server

import (
	"errors"
	"net/http"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/store"
)

// riderRange: GET /api/riders/{pid}/range (admin only, audited) — one
// rider's activity range per period as GeoJSON. Rider-level data: PIPL Art.
// 28 makes tracks sensitive, so every view is logged with who and when.
func (s *Server) riderRange(w http.ResponseWriter, r *http.Request) error {
	v := httpkit.ViewerFrom(r.Context())
	pid := r.PathValue("pid")
	fs, err := s.store.RiderRange(r.Context(), pid)
	if errors.Is(err, store.ErrNotFound) {
		return errs.E(errs.NotFound, "no rider with that pseudonymous id", err)
	}
	if err != nil {
		return err
	}
	if err := s.store.Audit(r.Context(), v.Actor(), "rider.range.view", fs[0].Properties.Rider, map[string]any{"periods": len(fs)}); err != nil {
		return err // no view without its audit record
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": fs})
}

// auditLog: GET /api/audit?action=&limit= (admin only).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpkit.LimitParam(r.URL.Query(), 100, 1000)
	if err != nil {
		return err
	}
	action := r.URL.Query().Get("action")
	if len(action) > 100 {
		return errs.E(errs.Invalid, "action: at most 100 characters")
	}
	es, err := s.store.AuditLog(r.Context(), action, limit)
	if err != nil {
		return err
	}
	if es == nil {
		es = []store.AuditEntry{}
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"entries": es})
}
