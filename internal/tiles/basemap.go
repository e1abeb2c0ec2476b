package tiles

import (
	"context"

	"github.com/paulmach/orb/maptile"
)

// LayerBasemap is the basemap drawn from the loaded OpenStreetMap extract
// (hexcover ingest osm): one tile holds the MVT layers water, park, building,
// rail, road, place and poi. It is built by PostGIS (ST_AsMVT), generalized
// per zoom: features below their min zoom are dropped (minor roads and small
// areas at low zoom) and lines and areas are simplified to a tile unit.
const LayerBasemap Layer = "basemap"

var basemapInfo = layerInfo{
	name: "底图 Basemap",
	description: "OpenStreetMap 道路、铁路、水系、公园、建筑、地名与兴趣点（中文名，英文名取自 name:en）。" +
		"Roads, rail, water, parks, buildings, place names and points of interest from the loaded OpenStreetMap extract.",
	maxZoom: 16,
}

// basemapLayers describes the MVT layers of a basemap tile, for TileJSON.
var basemapLayers = []VectorLayer{
	{ID: "water", Description: "rivers, canals, streams (lines); lakes, reservoirs, riverbanks (areas)",
		Fields: map[string]string{"class": str, "name": str, "name_en": str}},
	{ID: "park", Description: "parks and green areas", Fields: map[string]string{"class": str, "name": str, "name_en": str}},
	{ID: "building", Description: "building outlines (z ≥ 14)", Fields: map[string]string{"class": str}, MinZoom: 14},
	{ID: "rail", Description: "railways, metro and tram lines",
		Fields: map[string]string{"class": str, "name": str, "name_en": str, "bridge": "Boolean", "tunnel": "Boolean"}},
	{ID: "road", Description: "roads by OSM highway class; minor classes from higher zooms",
		Fields: map[string]string{"class": str, "name": str, "name_en": str, "ref": str, "bridge": "Boolean", "tunnel": "Boolean"}},
	{ID: "place", Description: "place names", Fields: map[string]string{"class": str, "name": str, "name_en": str}},
	{ID: "poi", Description: "points of interest (z ≥ 14)", Fields: map[string]string{"class": str, "name": str, "name_en": str}, MinZoom: 14},
}

func basemapVectorLayers() []VectorLayer {
	out := make([]VectorLayer, len(basemapLayers))
	for i, l := range basemapLayers {
		l.MaxZoom = basemapInfo.maxZoom
		out[i] = l
	}
	return out
}

// buildBasemap builds a basemap tile; nil means nothing is drawn there.
func (s *Service) buildBasemap(ctx context.Context, t maptile.Tile) ([]byte, error) {
	b, err := s.st.BasemapMVT(ctx, int(t.Z), int(t.X), int(t.Y))
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return gzipBytes(b)
}
