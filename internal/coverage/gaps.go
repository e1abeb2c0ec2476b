package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// GapZone is a connected set of gap cells (uncovered cells with demand at
// or above the threshold; H3 neighbours are connected).
type GapZone struct {
	ID         string       `json:"id"` // stable for a data version: the zone's lowest cell, hex
	Rank       int          `json:"rank"`
	Cells      []geo.Cell   `json:"-"`
	CellCount  int          `json:"cells"`
	AreaKm2    float64      `json:"area_km2"`
	Demand     float64      `json:"demand"` // uncovered demand: the sum of the cells' demand
	Metric     model.Metric `json:"metric"`
	Riders     int64        `json:"riders"` // distinct over the zone's cells and hours, exact
	Pings      int64        `json:"pings"`
	RiderHours float64      `json:"rider_hours"`
	DwellHours float64      `json:"dwell_hours"`
	Centroid   orb.Point    `json:"centroid"` // demand-weighted centre of the cell centres
	Released   bool         `json:"-"`        // figures from the published release (no pings, dwell)
	Polygon    orb.Geometry `json:"-"`        // dissolved cell outlines
	Nearest    *SiteDist    `json:"nearest_site,omitempty"`
	Candidates []SiteDist   `json:"candidates"`
	Street     *AreaRef     `json:"street,omitempty"`
	Community  *AreaRef     `json:"community,omitempty"`
	District   *AreaRef     `json:"district,omitempty"`
}

// SiteDist is a site and its distance in metres from a zone.
type SiteDist struct {
	Site
	Lng       float64 `json:"lng"`
	Lat       float64 `json:"lat"`
	DistanceM float64 `json:"distance_m"`
	RadiusM   float64 `json:"radius_m"`
}

// AreaRef names an area.
type AreaRef struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Gaps is the ranked list of gap zones of an analysis.
type Gaps struct {
	Version   string       `json:"version"`
	Metric    model.Metric `json:"metric"`
	Hours     []int16      `json:"hours,omitempty"`
	Threshold float64      `json:"threshold"`
	Total     float64      `json:"total_demand"`
	Covered   float64      `json:"covered_demand"`
	CoverPct  float64      `json:"coverage_pct"`
	GapCells  int          `json:"gap_cells"`
	ZoneCount int          `json:"gap_zones"` // all zones, listed or not
	Zones     []GapZone    `json:"zones"`
	// Suppressed counts zones with fewer than k distinct riders that are not
	// listed outside the admin role (their demand stays in the totals).
	Suppressed       int     `json:"suppressed_zones"`
	SuppressedDemand float64 `json:"suppressed_demand"`
	Released         bool    `json:"released,omitempty"` // figures from the published release
}

// GapThreshold is the demand a cell needs to be a gap cell: the absolute
// threshold of the metric, or the GapDenseQuantile of the cells' demand if
// that is higher.
func (a *Analysis) GapThreshold() float64 {
	th := a.Settings.Threshold(a.Params.Metric)
	q := a.Settings.GapDenseQuantile
	if q <= 0 {
		return th
	}
	ds := make([]float64, 0, len(a.Cells))
	for _, c := range a.Cells {
		if c.Demand > 0 {
			ds = append(ds, c.Demand)
		}
	}
	if len(ds) == 0 {
		return th
	}
	slices.Sort(ds)
	i := min(len(ds)-1, max(0, int(math.Ceil(q*float64(len(ds))))-1))
	return max(th, ds[i])
}

// GapCells reports which cells of a are gap cells.
func (a *Analysis) GapCells() []bool {
	th := a.GapThreshold()
	out := make([]bool, len(a.Cells))
	for i, c := range a.Cells {
		out[i] = !c.Covered && c.Demand > 0 && c.Demand >= th
	}
	return out
}

// zones groups gap cells into connected components (indexes into a.Cells),
// each sorted, the components in order of their lowest cell.
func (a *Analysis) zones(gap []bool) [][]int {
	seen := make([]bool, len(a.Cells))
	var out [][]int
	for i := range a.Cells {
		if !gap[i] || seen[i] {
			continue
		}
		comp := []int{i}
		seen[i] = true
		for q := 0; q < len(comp); q++ {
			for _, nb := range geo.Neighbors(a.Cells[comp[q]].Cell) {
				j, ok := a.cellIdx[nb]
				if ok && gap[j] && !seen[j] {
					seen[j] = true
					comp = append(comp, j)
				}
			}
		}
		slices.Sort(comp)
		out = append(out, comp)
	}
	return out
}

// Gaps ranks the gap zones of the analysis for p, largest uncovered demand
// first, and fills in the first limit (0: all) with their riders, outline,
// nearest presence site, candidate sites and areas.
//
// Privacy: outside the admin role a zone with fewer than k distinct riders
// is dropped from the list (counted in Suppressed). It is not merged into a
// neighbour: zones are by definition not adjacent, and a merged outline would
// draw a gap where there is none. Its demand stays in every total.
func (e *Engine) Gaps(ctx context.Context, p Params, v model.Viewer, limit int) (*Gaps, error) {
	a, err := e.Analyze(ctx, e.ForViewer(p, v))
	if err != nil {
		return nil, err
	}
	return a.Gaps(ctx, e, v, limit)
}

// Gaps is Engine.Gaps on an analysis already made.
func (a *Analysis) Gaps(ctx context.Context, e *Engine, v model.Viewer, limit int) (*Gaps, error) {
	gap := a.GapCells()
	comps := a.zones(gap)
	g := &Gaps{Version: a.Version, Metric: a.Params.Metric, Hours: a.Params.Hours, Threshold: a.GapThreshold(),
		Total: a.TotalDemand, Covered: a.CoveredDemand, CoverPct: CoverPct(a.CoveredDemand, a.TotalDemand), ZoneCount: len(comps),
		Released: a.Params.Released}
	zones := make([]GapZone, len(comps))
	var cells []int64
	var groups []int32
	for z, comp := range comps {
		zn := &zones[z]
		zn.Metric = a.Params.Metric
		var wx, wy, w float64
		for _, i := range comp {
			c := a.Cells[i]
			zn.Cells = append(zn.Cells, c.Cell)
			zn.Demand += c.Demand
			zn.Pings += c.Pings
			zn.RiderHours += c.RiderHours
			zn.DwellHours += c.DwellHours
			wt := max(c.Demand, 1e-9)
			wx, wy, w = wx+wt*c.Center[0], wy+wt*c.Center[1], w+wt
			cells = append(cells, int64(c.Cell))
			groups = append(groups, int32(z))
		}
		g.GapCells += len(comp)
		zn.CellCount = len(comp)
		zn.Centroid = orb.Point{wx / w, wy / w}
		zn.ID = fmt.Sprintf("%x", uint64(zn.Cells[0]))
	}
	if a.Params.Released {
		// Distinct riders do not add up: a zone shows the most riders of
		// its (shown) cells, a released lower bound.
		for z, comp := range comps {
			zones[z].Released = true
			for _, i := range comp {
				zones[z].Riders = max(zones[z].Riders, a.Cells[i].Riders)
			}
		}
	} else {
		riders, err := e.st.DistinctRiders(ctx, a.Settings.DemandRes, a.Params.Hours, cells, groups)
		if err != nil {
			return nil, err
		}
		for z := range zones {
			zones[z].Riders = riders[int32(z)]
		}
	}
	idx := make([]int, len(zones))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		if c := cmp.Compare(zones[y].Demand, zones[x].Demand); c != 0 {
			return c
		}
		return cmp.Compare(zones[x].ID, zones[y].ID)
	})
	k := int64(a.Settings.MinRiders)
	var listed []int
	for _, z := range idx {
		if !v.Admin() && zones[z].Riders < k {
			g.Suppressed++
			g.SuppressedDemand += zones[z].Demand
			continue
		}
		listed = append(listed, z)
	}
	if limit > 0 && len(listed) > limit {
		listed = listed[:limit]
	}
	cells, groups = cells[:0], groups[:0]
	for _, z := range listed {
		for _, c := range zones[z].Cells {
			cells = append(cells, int64(c))
			groups = append(groups, int32(z))
		}
	}
	shapes, err := e.st.DissolveCells(ctx, cells, groups)
	if err != nil {
		return nil, err
	}
	g.Zones = make([]GapZone, 0, len(listed))
	for rank, z := range listed {
		zn := zones[z]
		zn.Rank = rank + 1
		if sh, ok := shapes[int32(z)]; ok {
			zn.Polygon, zn.AreaKm2 = roundGeometry(sh.Geometry), sh.AreaKm2
		}
		a.describe(&zn, comps[z])
		g.Zones = append(g.Zones, zn)
	}
	return g, nil
}

// describe fills in a zone's nearest presence site, candidate sites and areas.
func (a *Analysis) describe(zn *GapZone, comp []int) {
	best := math.Inf(1)
	for _, s := range a.Presence {
		if s.Status != "existing" {
			continue
		}
		if d := geo.Haversine(zn.Centroid, s.Point); d < best {
			best = d
			zn.Nearest = &SiteDist{Site: s, Lng: s.Point[0], Lat: s.Point[1], DistanceM: math.Round(d), RadiusM: a.Settings.Radius(s.Kind)}
		}
	}
	zn.Candidates = []SiteDist{}
	for _, s := range a.Sites {
		if s.Status != "candidate" && s.Status != "planned" {
			continue
		}
		r := a.Settings.Radius(s.Kind)
		d := math.Inf(1)
		for _, i := range comp {
			d = min(d, geo.Haversine(s.Point, a.Cells[i].Center))
		}
		if d <= r {
			zn.Candidates = append(zn.Candidates, SiteDist{Site: s, Lng: s.Point[0], Lat: s.Point[1], DistanceM: math.Round(d), RadiusM: r})
		}
	}
	slices.SortFunc(zn.Candidates, func(x, y SiteDist) int { return cmp.Compare(x.DistanceM, y.DistanceM) })
	// The area holding most of the zone's demand.
	for _, l := range model.AreaLevels {
		lv := string(l)
		w := map[int32]float64{}
		for _, i := range comp {
			var j int32
			switch lv {
			case "district":
				j = a.Cells[i].District
			case "street":
				j = a.Cells[i].Street
			default:
				j = a.Cells[i].Community
			}
			if j >= 0 {
				w[j] += max(a.Cells[i].Demand, 1e-9)
			}
		}
		bestJ, bestW := int32(-1), -1.0
		for j, x := range w {
			if x > bestW || (x == bestW && j < bestJ) {
				bestJ, bestW = j, x
			}
		}
		if bestJ < 0 {
			continue
		}
		ar := a.Areas[lv][bestJ]
		ref := &AreaRef{Code: ar.Code, Name: ar.Name, NameEn: ar.NameEn}
		switch lv {
		case "district":
			zn.District = ref
		case "street":
			zn.Street = ref
		default:
			zn.Community = ref
		}
	}
}

// FeatureCollection renders the zones as GeoJSON, largest first.
func (g *Gaps) FeatureCollection() *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, z := range g.Zones {
		var geom orb.Geometry = z.Polygon
		if geom == nil {
			geom = z.Centroid
		}
		f := geojson.NewFeature(geom)
		f.ID = z.ID
		f.Properties = zoneProps(z)
		fc.Append(f)
	}
	fc.ExtraMembers = geojson.Properties{
		"version": g.Version, "metric": g.Metric, "threshold": g.Threshold, "total_demand": round3(g.Total),
		"covered_demand": round3(g.Covered), "coverage_pct": round3(g.CoverPct), "gap_cells": g.GapCells,
		"gap_zones": g.ZoneCount, "suppressed_zones": g.Suppressed, "suppressed_demand": round3(g.SuppressedDemand),
	}
	if len(g.Hours) > 0 {
		fc.ExtraMembers["hours"] = g.Hours
	}
	if g.Released {
		fc.ExtraMembers["released"] = true
	}
	return fc
}

func zoneProps(z GapZone) geojson.Properties {
	p := geojson.Properties{
		"id": z.ID, "rank": z.Rank, "cells": z.CellCount, "area_km2": round3(z.AreaKm2), "demand": round3(z.Demand),
		"metric": z.Metric, "riders": z.Riders, "pings": z.Pings, "rider_hours": round3(z.RiderHours),
		"dwell_hours": round3(z.DwellHours), "centroid": []float64{round6(z.Centroid[0]), round6(z.Centroid[1])},
		"candidates": z.Candidates,
	}
	if z.Released {
		delete(p, "pings")
		delete(p, "dwell_hours")
		p["released"] = true
	}
	if z.Nearest != nil {
		p["nearest_site"] = z.Nearest
	}
	for k, a := range map[string]*AreaRef{"street": z.Street, "community": z.Community, "district": z.District} {
		if a != nil {
			p[k] = a
		}
	}
	return p
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// roundGeometry rounds coordinates to 1e-7° (about 1 cm), the grid the
// dissolve snapped to, so GeoJSON carries no floating-point noise.
func roundGeometry(g orb.Geometry) orb.Geometry {
	r := func(ring orb.Ring) {
		for i, p := range ring {
			ring[i] = orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, ring := range g {
			r(ring)
		}
	case orb.MultiPolygon:
		for _, poly := range g {
			for _, ring := range poly {
				r(ring)
			}
		}
	}
	return g
}
