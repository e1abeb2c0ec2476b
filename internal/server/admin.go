package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hexcover/hexcover/internal/store"
)

// riderRange: GET /api/riders/{pid}/range (admin only, audited) — one
// rider's activity range per period as GeoJSON. Rider-level data: PIPL Art.
// 28 makes tracks sensitive, so every view is logged with who and when.
func (s *Server) riderRange(w http.ResponseWriter, r *http.Request) error {
	v := ViewerFrom(r.Context())
	pid := r.PathValue("pid")
	fs, err := s.store.RiderRange(r.Context(), pid)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("no rider with that pseudonymous id")
	}
	if err != nil {
		if !store.IsUnavailable(err) && r.Context().Err() == nil {
			return BadRequest(err.Error())
		}
		return err
	}
	if err := s.store.Audit(r.Context(), v.Actor(), "rider.range.view", fs[0].Properties.Rider, map[string]any{"periods": len(fs)}); err != nil {
		return err // no view without its audit record
	}
	return writeJSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": fs})
}

// auditLog: GET /api/audit?action=&limit= (admin only).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if q := r.URL.Query().Get("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 1000 {
			return BadRequest("limit must be 1..1000")
		}
		limit = n
	}
	action := r.URL.Query().Get("action")
	if len(action) > 100 {
		return BadRequest("action too long")
	}
	es, err := s.store.AuditLog(r.Context(), action, limit)
	if err != nil {
		return err
	}
	if es == nil {
		es = []store.AuditEntry{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}
