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

// GapZone is a gap zone: gap cells (uncovered cells with demand at or
// above the threshold, GapCells) that one station at Centre can serve, every
// cell centre within RadiusM of it (zones.go).
type GapZone struct {
	ID        string     `json:"id"` // stable for a data version: the zone's lowest cell, hex
	Rank      int        `json:"rank"`
	Cells     []geo.Cell `json:"-"`
	CellCount int        `json:"cells"`
	AreaKm2   float64    `json:"area_km2"`
	Demand    float64    `json:"demand"` // uncovered demand: the sum of the cells' demand
	// DemandPerDay is Demand per average day of data (rider-hours; with
	// the riders measure it is Demand: distinct riders are not per day).
	DemandPerDay float64      `json:"demand_per_day"`
	Metric       model.Metric `json:"metric"`
	Riders       int64        `json:"riders"` // distinct over the zone's cells and hours, exact
	Pings        int64        `json:"pings"`
	RiderHours   float64      `json:"rider_hours"`
	DwellHours   float64      `json:"dwell_hours"`
	Centroid     orb.Point    `json:"centroid"` // demand-weighted centre of the cell centres
	// Centre is the centre of the zone's disc (a cell centre): a station
	// there with radius RadiusM reaches every cell centre of the zone, the
	// farthest SpanM metres away.
	Centre      orb.Point    `json:"centre"`
	RadiusM     float64      `json:"radius_m"`
	SpanM       float64      `json:"span_m"`
	Released    bool         `json:"-"` // figures from the published release (no pings, dwell)
	Polygon     orb.Geometry `json:"-"` // dissolved cell outlines
	Nearest     *SiteDist    `json:"nearest_site,omitempty"`
	Candidates  []SiteDist   `json:"candidates"`
	Street      *AreaRef     `json:"street,omitempty"`    // the street holding most of the zone's demand
	Community   *AreaRef     `json:"community,omitempty"` // the community holding most of it
	District    *AreaRef     `json:"district,omitempty"`
	Streets     []AreaRef    `json:"streets"`     // every street the zone touches, most demand first
	Communities []AreaRef    `json:"communities"` // every community it touches, most demand first
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
	Threshold float64      `json:"threshold"` // demand a gap cell needs, over the Days of the data (the metric's unit)
	// ThresholdPerDay is the absolute part of the rule per average day
	// (rider-hours; riders are not per day): see Analysis.GapThreshold.
	ThresholdPerDay float64   `json:"threshold_per_day"`
	Days            int       `json:"days"`
	Total           float64   `json:"total_demand"`
	Covered         float64   `json:"covered_demand"`
	CoverPct        float64   `json:"coverage_pct"`
	GapCells        int       `json:"gap_cells"` // the cells of the listed zones, every page
	ZoneCount       int       `json:"gap_zones"` // the zones listed, every page (suppressed ones apart)
	Zones           []GapZone `json:"zones"`
	// Suppressed counts zones with fewer than k distinct riders that are not
	// listed outside the admin role (their demand stays in the totals).
	Suppressed       int     `json:"suppressed_zones"`
	SuppressedDemand float64 `json:"suppressed_demand"`
	Released         bool    `json:"released,omitempty"` // figures from the published release
}

// GapThreshold is the one gap rule's demand: a cell is a gap cell when it
// is not covered and its demand reaches the absolute threshold of the
// metric and the GapDenseQuantile (the median) of the cells' demand. For
// rider-hours the absolute threshold is per average day (× Days), so it
// does not change with the amount of data loaded, and neither does the
// median (it scales with the data); distinct riders do not add up over
// days, so theirs is absolute.
func (a *Analysis) GapThreshold() float64 {
	th := a.Settings.Threshold(a.Params.Metric)
	if a.Params.Metric != model.MetricRiders && a.Days > 0 {
		th *= float64(a.Days)
	}
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

// Gaps ranks the gap zones of the analysis for p, largest uncovered demand
// first, and fills in the first limit (0: all) with their riders, outline,
// nearest presence site, candidate sites and areas.
//
// Privacy: outside the admin role a zone with fewer than k distinct riders
// is dropped from the list (counted in Suppressed). Its demand stays in
// every total.
func (e *Engine) Gaps(ctx context.Context, p Params, v model.Viewer, limit int) (*Gaps, error) {
	a, err := e.Analyze(ctx, e.ForViewer(p, v))
	if err != nil {
		return nil, err
	}
	return a.Gaps(ctx, e, v, limit)
}

// Gaps is Engine.Gaps on an analysis already made.
func (a *Analysis) Gaps(ctx context.Context, e *Engine, v model.Viewer, limit int) (*Gaps, error) {
	zs := a.gapZones()
	riders, err := a.zoneRiders(ctx, e)
	if err != nil {
		return nil, err
	}
	listed, suppressed, err := a.listed(ctx, e, v)
	if err != nil {
		return nil, err
	}
	g := &Gaps{Version: a.Version, Metric: a.Params.Metric, Hours: a.Params.Hours, Threshold: a.GapThreshold(),
		ThresholdPerDay: a.Settings.Threshold(a.Params.Metric), Days: a.Days,
		Total: a.TotalDemand, Covered: a.CoveredDemand, CoverPct: CoverPct(a.CoveredDemand, a.TotalDemand),
		ZoneCount: len(listed), Suppressed: len(suppressed), Released: a.Params.Released}
	for _, z := range listed {
		g.GapCells += len(zs.zones[z].cells)
	}
	for _, z := range suppressed {
		g.SuppressedDemand += zs.zones[z].demand
	}
	if limit > 0 && len(listed) > limit {
		listed = listed[:limit]
	}
	var cells []int64
	var groups []int32
	for _, z := range listed {
		for _, i := range zs.zones[z].cells {
			cells = append(cells, int64(a.Cells[i].Cell))
			groups = append(groups, int32(z))
		}
	}
	shapes, err := e.st.DissolveCells(ctx, cells, groups)
	if err != nil {
		return nil, err
	}
	g.Zones = make([]GapZone, 0, len(listed))
	for rank, z := range listed {
		zn := a.gapZone(zs.zones[z], riders[z])
		zn.Rank = rank + 1
		if sh, ok := shapes[int32(z)]; ok {
			zn.Polygon, zn.AreaKm2 = roundGeometry(sh.Geometry), sh.AreaKm2
		}
		a.describe(&zn, zs.zones[z].cells)
		g.Zones = append(g.Zones, zn)
	}
	return g, nil
}

// gapZone is a zone's figures.
func (a *Analysis) gapZone(z zone, riders int64) GapZone {
	zn := GapZone{Metric: a.Params.Metric, ID: fmt.Sprintf("%x", uint64(z.id)), Riders: riders, Released: a.Params.Released,
		CellCount: len(z.cells), RadiusM: z.radius, SpanM: math.Round(z.span), Centre: a.Cells[z.centre].Center}
	var wx, wy, w float64
	for _, i := range z.cells {
		c := a.Cells[i]
		zn.Cells = append(zn.Cells, c.Cell)
		zn.Demand += c.Demand
		zn.Pings += c.Pings
		zn.RiderHours += c.RiderHours
		zn.DwellHours += c.DwellHours
		wt := max(c.Demand, 1e-9)
		wx, wy, w = wx+wt*c.Center[0], wy+wt*c.Center[1], w+wt
	}
	zn.Centroid = orb.Point{wx / w, wy / w}
	zn.DemandPerDay = zn.Demand
	if a.Params.Metric != model.MetricRiders && a.Days > 0 {
		zn.DemandPerDay = a.PerDay(zn.Demand)
	}
	return zn
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
	// Every area the zone touches, most demand first; the first is the
	// zone's own.
	zn.Streets, zn.Communities = []AreaRef{}, []AreaRef{}
	for _, l := range model.AreaLevels {
		lv := string(l)
		for n, j := range a.areaShares(lv, comp) {
			ar := a.Areas[lv][j]
			ref := AreaRef{Code: ar.Code, Name: ar.Name, NameEn: ar.NameEn}
			switch lv {
			case "district":
				if n == 0 {
					zn.District = &ref
				}
			case "street":
				if n == 0 {
					zn.Street = &ref
				}
				zn.Streets = append(zn.Streets, ref)
			default:
				if n == 0 {
					zn.Community = &ref
				}
				zn.Communities = append(zn.Communities, ref)
			}
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
		"version": g.Version, "metric": g.Metric, "threshold": round3(g.Threshold), "threshold_per_day": g.ThresholdPerDay, "days": g.Days,
		"total_demand":   round3(g.Total),
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
		"dwell_hours": round3(z.DwellHours), "demand_per_day": round3(z.DemandPerDay), "centroid": []float64{round6(z.Centroid[0]), round6(z.Centroid[1])},
		"candidates": z.Candidates, "centre": []float64{round6(z.Centre[0]), round6(z.Centre[1])},
		"radius_m": z.RadiusM, "span_m": z.SpanM, "streets": z.Streets, "communities": z.Communities,
		"cell_ids": cellIDs(z.Cells),
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

// cellIDs are cells as hex strings, the H3 way.
func cellIDs(cs []geo.Cell) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%x", uint64(c))
	}
	return out
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
