package coverage

import (
	"encoding/json"
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
)

// Handlers serve the coverage API from an engine.
type Handlers struct {
	Engine *Engine
}

// Routes returns the coverage routes: GET /api/gaps, GET /api/summary and
// GET /api/coverage/hours, open to every authenticated role (aggregates
// only; zones and areas under k riders are suppressed except for admins).
func (h *Handlers) Routes() []httpkit.Route {
	return []httpkit.Route{
		{Pattern: "GET /api/gaps", Name: "gaps", Handler: h.gaps},
		{Pattern: "GET /api/summary", Name: "summary", Handler: h.summary},
		{Pattern: "GET /api/coverage/hours", Name: "coverage_hours", Handler: h.hours},
		{Pattern: "GET /api/sites/{id}/catchment", Name: "site_catchment", Handler: h.catchment},
	}
}

// catchment answers a site's catchment as a GeoJSON Feature: the streets
// within its riding distance (network coverage) or its radius circle.
func (h *Handlers) catchment(w http.ResponseWriter, r *http.Request) error {
	var c *Catchment
	var err error
	switch by := r.URL.Query().Get("by"); by {
	case "ext_id": // {id} is the site's ext_id, as the map's site tiles carry it
		ext := r.PathValue("id")
		if ext == "" || len(ext) > 256 {
			return errs.E(errs.Invalid, "id: want the site's ext_id (1 to 256 bytes)")
		}
		c, err = h.Engine.SiteCatchmentOf(r.Context(), func(s *Site) bool { return s.ExtID == ext }, ext)
	case "", "id":
		var id int64
		if id, err = httpkit.IDParam(r, "id"); err != nil {
			return err
		}
		c, err = h.Engine.SiteCatchment(r.Context(), id)
	default:
		return errs.Errorf(errs.Invalid, "by=%q: want id or ext_id", by)
	}
	if err != nil {
		return err
	}
	f := geojson.NewFeature(c.Geometry)
	f.Properties = geojson.Properties{"site_id": c.Site.ID, "ext_id": c.Site.ExtID, "name": c.Site.Name, "kind": c.Site.Kind,
		"status": c.Site.Status, "mode": c.Mode, "radius_m": c.RadiusM, "cells": c.Cells, "demand": c.Demand}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

func (h *Handlers) gaps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := ParamsFromQuery(q)
	if err != nil {
		return err
	}
	limit, err := httpkit.LimitParam(q, DefaultGapLimit, MaxGapLimit)
	if err != nil {
		return err
	}
	g, err := h.Engine.Gaps(r.Context(), p, httpkit.ViewerFrom(r.Context()), limit)
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
	s, err := h.Engine.Summary(r.Context(), p, level, httpkit.ViewerFrom(r.Context()))
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, s)
}

func (h *Handlers) hours(w http.ResponseWriter, r *http.Request) error {
	p, err := ParamsFromQuery(r.URL.Query())
	if err != nil {
		return err
	}
	rs, err := h.Engine.HourCoverage(r.Context(), p, httpkit.ViewerFrom(r.Context()))
	if err != nil {
		return err
	}
	out := map[string]any{"metric": p.norm().Metric, "ranges": rs}
	if h.Engine.ForViewer(p, httpkit.ViewerFrom(r.Context())).Released {
		out["released"] = true
	}
	return httpkit.WriteJSON(w, http.StatusOK, out)
}
