package osm

import (
	"strings"

	"github.com/paulmach/osm"

	"github.com/hexcover/hexcover/internal/model"
)

// Layers of the basemap, one per kind of feature.
const (
	LayerRoad     = "road"
	LayerRail     = "rail"
	LayerWater    = "water"
	LayerPark     = "park"
	LayerBuilding = "building"
	LayerPlace    = "place"
	LayerPOI      = "poi"
)

// Layers lists every layer in drawing order (bottom first).
var Layers = []string{LayerWater, LayerPark, LayerBuilding, LayerRail, LayerRoad, LayerPlace, LayerPOI}

// roadZoom is the lowest zoom a road class is drawn at: the basemap's
// generalization drops minor roads at low zoom. Links draw one zoom later
// than their road.
var roadZoom = map[string]int{
	"motorway": 5, "trunk": 6, "primary": 8, "secondary": 9, "tertiary": 10,
	"unclassified": 12, "residential": 12, "living_street": 13, "road": 13,
	"service": 14, "pedestrian": 14, "track": 14, "busway": 14,
	"cycleway": 14, "footway": 15, "path": 15, "steps": 15, "bridleway": 15,
}

var railZoom = map[string]int{"rail": 8, "subway": 10, "light_rail": 10, "monorail": 11, "narrow_gauge": 11, "tram": 12}

var waterwayZoom = map[string]int{"river": 8, "canal": 9, "stream": 12, "drain": 13, "ditch": 14}

var placeZoom = map[string]int{
	"city": 4, "town": 7, "suburb": 10, "village": 11, "quarter": 11, "island": 11,
	"neighbourhood": 13, "hamlet": 13, "locality": 14, "isolated_dwelling": 15,
}

// parkTags are the tags (key=value) of green areas drawn as parks.
var parkTags = map[string]bool{
	"leisure=park": true, "leisure=garden": true, "leisure=nature_reserve": true, "leisure=playground": true,
	"leisure=pitch": true, "leisure=golf_course": true, "landuse=grass": true, "landuse=recreation_ground": true,
	"landuse=forest": true, "landuse=meadow": true, "landuse=village_green": true, "landuse=cemetery": true,
	"natural=wood": true, "natural=scrub": true, "natural=grassland": true,
}

// poiKeys are the keys whose value names a point of interest's class.
var poiKeys = []string{"amenity", "shop", "tourism", "office", "healthcare", "public_transport", "railway", "historic"}

// class is what a tagged OSM object becomes: a basemap layer and class, and
// whether its geometry is an area (closed way or multipolygon).
type class struct {
	layer   string
	class   string
	area    bool
	minZoom int
}

// classifyLine returns the layer of a way that is drawn as a line, if any.
func classifyLine(t osm.Tags) (class, bool) {
	if hw := t.Find("highway"); hw != "" {
		base, link := strings.CutSuffix(hw, "_link")
		if z, ok := roadZoom[base]; ok && t.Find("area") != "yes" {
			if link {
				z++
			}
			return class{layer: LayerRoad, class: hw, minZoom: z}, true
		}
	}
	if rw := t.Find("railway"); rw != "" {
		if z, ok := railZoom[rw]; ok {
			if t.Find("service") != "" { // sidings, yards
				z = 14
			}
			return class{layer: LayerRail, class: rw, minZoom: z}, true
		}
	}
	if ww := t.Find("waterway"); ww != "" {
		if z, ok := waterwayZoom[ww]; ok {
			return class{layer: LayerWater, class: ww, minZoom: z}, true
		}
	}
	return class{}, false
}

// classifyArea returns the layer of a closed way or multipolygon drawn as an
// area, if any. Its min zoom is set from its size when stored.
func classifyArea(t osm.Tags) (class, bool) {
	switch {
	case t.Find("natural") == "water" || t.Find("waterway") == "riverbank" || t.Find("landuse") == "reservoir" ||
		t.Find("landuse") == "basin":
		c := t.Find("water")
		if c == "" {
			c = "water"
		}
		return class{layer: LayerWater, class: c, area: true}, true
	case t.Find("building") != "" && t.Find("building") != "no":
		return class{layer: LayerBuilding, class: t.Find("building"), area: true, minZoom: 14}, true
	}
	for _, k := range []string{"leisure", "landuse", "natural"} {
		if v := t.Find(k); v != "" && parkTags[k+"="+v] {
			return class{layer: LayerPark, class: v, area: true}, true
		}
	}
	return class{}, false
}

// classifyPoint returns the layer of a node (or an area's label point) drawn
// as a point: a place name or a point of interest.
func classifyPoint(t osm.Tags) (class, bool) {
	if p := t.Find("place"); p != "" {
		if z, ok := placeZoom[p]; ok && nameOf(t) != "" {
			return class{layer: LayerPlace, class: p, minZoom: z}, true
		}
	}
	for _, k := range poiKeys {
		v := t.Find(k)
		if v == "" || v == "no" {
			continue
		}
		if k == "railway" && v != "station" && v != "halt" && v != "subway_entrance" {
			continue
		}
		z := 16
		switch {
		case v == "fuel" || v == "charging_station" || v == "station" || v == "hospital":
			z = 14
		case nameOf(t) != "":
			z = 15
		}
		return class{layer: LayerPOI, class: v, minZoom: z}, true
	}
	return class{}, false
}

// siteOf returns the candidate site an object stands for: fuel stations
// (amenity=fuel) as kind fuel_station, charging stations (amenity=charging_station)
// and convenience stores (shop=convenience) as kind candidate with the amenity
// "charging" or "convenience_store". All come in with status candidate.
func siteOf(t osm.Tags) (model.SiteKind, []string, bool) {
	switch {
	case t.Find("amenity") == "fuel":
		am := []string{}
		if t.Find("shop") == "convenience" || t.Find("shop") == "yes" {
			am = append(am, "convenience_store")
		}
		return model.KindFuelStation, am, true
	case t.Find("amenity") == "charging_station":
		return model.KindCandidate, []string{"charging"}, true
	case t.Find("shop") == "convenience":
		return model.KindCandidate, []string{"convenience_store"}, true
	}
	return "", nil, false
}

// siteFallbackName names a site that has no name in OSM.
func siteFallbackName(kind model.SiteKind, amenities []string) string {
	switch {
	case kind == model.KindFuelStation:
		return "加油站"
	case len(amenities) > 0 && amenities[0] == "charging":
		return "充电站"
	default:
		return "便利店"
	}
}

// nameOf is the local (Chinese) name: name, else name:zh, else name:en.
func nameOf(t osm.Tags) string {
	for _, k := range []string{"name", "name:zh", "name:zh-Hans", "name:en"} {
		if v := t.Find(k); v != "" {
			return v
		}
	}
	return ""
}

// isMultipolygon tells whether a relation is an area made of member ways.
func isMultipolygon(t osm.Tags) bool {
	return t.Find("type") == "multipolygon"
}

// Rideable reports whether riders on e-bikes may use a road: every highway
// class except those in excluded (by default motorway, trunk and their
// links), unless tagged bicycle=no or access=no/private. One-way streets are
// ridden both ways (e-bikes do).
func Rideable(class, bicycle, access string, excluded map[string]bool) bool {
	if excluded[class] {
		return false
	}
	if bicycle == "no" || bicycle == "use_sidepath" {
		return false
	}
	if (access == "no" || access == "private") && bicycle != "yes" && bicycle != "designated" && bicycle != "permissive" {
		return false
	}
	return true
}

// DefaultExcluded are the highway classes riders do not ride.
func DefaultExcluded() map[string]bool {
	return map[string]bool{"motorway": true, "motorway_link": true, "trunk": true, "trunk_link": true}
}
