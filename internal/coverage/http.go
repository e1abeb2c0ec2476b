package coverage

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/server"
)

// Query limits of the API.
const (
	DefaultGapLimit = 50
	MaxGapLimit     = 500
)

// Handlers serve the coverage API from an engine.
type Handlers struct {
	Engine *Engine
	// ViewerOf tells who asks; nil = the server's authenticated viewer
	// (server.ViewerFrom): admins see zones and areas below k riders.
	ViewerOf func(*http.Request) Viewer
}

// Routes returns the coverage routes: GET /api/gaps, GET /api/summary and
// GET /api/coverage/hours, open to every authenticated role (aggregates
// only; zones and areas under k riders are suppressed except for admins).
func (h *Handlers) Routes() []server.Route {
	return []server.Route{
		{Pattern: "GET /api/gaps", Name: "gaps", Handler: h.gaps},
		{Pattern: "GET /api/summary", Name: "summary", Handler: h.summary},
		{Pattern: "GET /api/coverage/hours", Name: "coverage_hours", Handler: h.hours},
	}
}

func (h *Handlers) viewer(r *http.Request) Viewer {
	if h.ViewerOf == nil {
		return Viewer{Admin: server.ViewerFrom(r.Context()).Admin()}
	}
	return h.ViewerOf(r)
}

// ParamsFromQuery reads hours=, metric= and planned= (true/1).
func ParamsFromQuery(q url.Values) (Params, error) {
	var p Params
	var err error
	if p.Hours, err = activity.ParseHours(q.Get("hours")); err != nil {
		return p, server.BadRequest(err.Error())
	}
	if p.Metric, err = ParseMetric(q.Get("metric")); err != nil {
		return p, server.BadRequest(err.Error())
	}
	if v := q.Get("planned"); v != "" {
		if p.Planned, err = strconv.ParseBool(v); err != nil {
			return p, server.BadRequest("planned: want true or false")
		}
	}
	return p, nil
}

func (h *Handlers) gaps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := ParamsFromQuery(q)
	if err != nil {
		return err
	}
	limit := DefaultGapLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxGapLimit {
			return server.BadRequest("limit: want an integer from 1 to " + strconv.Itoa(MaxGapLimit))
		}
	}
	g, err := h.Engine.Gaps(r.Context(), p, h.viewer(r), limit)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(g.FeatureCollection())
}

func (h *Handlers) summary(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := ParamsFromQuery(q)
	if err != nil {
		return err
	}
	level := q.Get("level")
	if level == "" {
		level = "street"
	}
	switch level {
	case "district", "street", "community":
	default:
		return server.BadRequest("level: want district, street or community")
	}
	s, err := h.Engine.Summary(r.Context(), p, level, h.viewer(r))
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, s)
}

func (h *Handlers) hours(w http.ResponseWriter, r *http.Request) error {
	p, err := ParamsFromQuery(r.URL.Query())
	if err != nil {
		return err
	}
	rs, err := h.Engine.HourCoverage(r.Context(), p)
	if err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, map[string]any{"metric": p.norm().Metric, "ranges": rs})
}
