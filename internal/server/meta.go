package server

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Me is the body of GET /api/me and POST /api/login: the viewer, what it
// may do (model.Viewer.Capabilities) and the names of its scope's entries
// (scope entry → names), so that people read 长征镇, not street:310107001.
type Me struct {
	model.Viewer
	Capabilities []model.Capability         `json:"capabilities"`
	ScopeNames   map[string]store.ScopeName `json:"scope_names"`
}

// meOf builds Me; names that cannot be read are left out (the codes still
// show).
func (s *Server) meOf(ctx context.Context, v model.Viewer) Me {
	if v.Scope == nil {
		v.Scope = []string{}
	}
	names, err := s.store.ScopeNames(ctx, v.Scope)
	if err != nil {
		names = map[string]store.ScopeName{}
	}
	return Me{Viewer: v, Capabilities: s.hideFor(v, v.Capabilities()), ScopeNames: names}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	return httpkit.WriteJSON(w, http.StatusOK, s.meOf(r.Context(), httpkit.ViewerFrom(r.Context())))
}

// hideFor drops from a viewer's capabilities what this server does not
// answer for it: outside the admin role, with a published release, no hour
// list beyond the release's views, so no hours.arbitrary.
func (s *Server) hideFor(v model.Viewer, caps []model.Capability) []model.Capability {
	if s.releasedFor(v) {
		caps = slices.DeleteFunc(caps, func(c model.Capability) bool { return c == model.CapHoursArbitrary })
	}
	return caps
}

// Release is the published release as /api/meta and /api/me describe it
// to roles other than admin (internal/release implements it): every figure
// they see comes from it.
type Release interface {
	// Period is the local dates the published release covers (nil: none
	// published yet).
	Period(ctx context.Context) (*store.Period, error)
	// Metrics are the metrics the release carries (rider_hours, riders);
	// the others (pings, dwell) are admin-only.
	Metrics() []model.Metric
}

// UseRelease makes /api/meta and /api/me describe the published release to
// roles other than admin (call before serving).
func (s *Server) UseRelease(r Release) { s.release = r }

// releasedFor reports whether v sees the published release.
func (s *Server) releasedFor(v model.Viewer) bool { return s.release != nil && !v.Admin() }

// adminCounts are the counts of Meta.Counts that describe riders and their
// pings: exact, so shown to admins only (each import's change would tell
// outsiders how many riders and pings it added).
var adminCounts = []string{"riders", "pings"}

// Meta is the body of GET /api/meta: the loaded city (store.Meta, with its
// period) and the enumerations the map shows.
type Meta struct {
	*store.Meta
	Enums   Enums   `json:"enums"`
	Basemap Basemap `json:"basemap"`
}

// Basemap is the external basemap the map draws under its layers
// (HEXCOVER_BASEMAP_STYLE; empty: hexcover's own) and its datum
// (HEXCOVER_BASEMAP_DATUM): under gcj02 the map shifts every overlay into it
// and every coordinate it sends back into WGS-84 (web/src/datum.js).
type Basemap struct {
	Style string `json:"style,omitempty"`
	Datum string `json:"datum"`
}

// Enums are model's enumerations with their names, as the map needs them.
type Enums struct {
	Roles        []Item         `json:"roles"`
	SiteKinds    []SiteKindItem `json:"site_kinds"`
	SiteStatuses []Item         `json:"site_statuses"`
	AreaLevels   []Item         `json:"area_levels"`
	Metrics      []MetricItem   `json:"metrics"`
	HourRanges   []HourRange    `json:"hour_ranges"`
}

// Item is one value of an enumeration with its names.
type Item struct {
	ID string `json:"id"`
	model.Label
}

// SiteKindItem is a site kind: whether it counts as presence (a configured
// radius, HEXCOVER_RADII) and the radius it covers with.
type SiteKindItem struct {
	Item
	Presence bool    `json:"presence"`
	RadiusM  float64 `json:"radius_m"`
}

// MetricItem is a metric with its unit; Demand: usable as coverage demand.
type MetricItem struct {
	Item
	Unit   model.Label `json:"unit"`
	Demand bool        `json:"demand"`
}

// HourRange is a named hour range with its local clock hours (each day).
type HourRange struct {
	Item
	Hours []int `json:"hours"`
}

// EnumsOf builds the enumerations under cfg (presence and radii).
func EnumsOf(cfg config.Config) Enums {
	var e Enums
	for _, r := range model.Roles {
		e.Roles = append(e.Roles, Item{r, model.RoleLabels[r]})
	}
	for _, k := range model.SiteKinds {
		r, presence := cfg.ServiceRadiusM[string(k)]
		if !presence || r <= 0 {
			r = cfg.DefaultRadiusM()
		}
		e.SiteKinds = append(e.SiteKinds, SiteKindItem{Item{string(k), model.SiteKindLabels[k]}, presence, r})
	}
	for _, st := range model.SiteStatuses {
		e.SiteStatuses = append(e.SiteStatuses, Item{string(st), model.SiteStatusLabels[st]})
	}
	for _, l := range model.AreaLevels {
		e.AreaLevels = append(e.AreaLevels, Item{string(l), model.AreaLevelLabels[l]})
	}
	for _, m := range model.Metrics {
		in := model.MetricInfos[m]
		e.Metrics = append(e.Metrics, MetricItem{Item{string(m), in.Label}, in.Unit, in.Demand})
	}
	for _, h := range model.HourRanges {
		e.HourRanges = append(e.HourRanges, HourRange{Item{h.Name, h.Label}, h.Hours})
	}
	return e
}

func (s *Server) meta(w http.ResponseWriter, r *http.Request) error {
	m, err := s.store.Meta(r.Context())
	if err != nil {
		return err
	}
	enums := s.enums
	if s.releasedFor(httpkit.ViewerFrom(r.Context())) {
		// Outside the admin role: no exact count of riders or pings, the
		// period of the published release (the dates its figures come from,
		// not of the raw data: a day with one rider's pings and no release
		// yet shows nowhere), and only the metrics the release carries.
		m.Counts = maps.Clone(m.Counts)
		for _, k := range adminCounts {
			delete(m.Counts, k)
		}
		if m.Period, err = s.release.Period(r.Context()); err != nil {
			return err
		}
		released := s.release.Metrics()
		enums.Metrics = slices.DeleteFunc(slices.Clone(enums.Metrics), func(it MetricItem) bool {
			return !slices.Contains(released, model.Metric(it.ID))
		})
	}
	return httpkit.WriteJSON(w, http.StatusOK, Meta{Meta: m, Enums: enums,
		Basemap: Basemap{Style: s.cfg.BasemapStyle, Datum: s.cfg.BasemapDatum}})
}
