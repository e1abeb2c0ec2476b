package tiles

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of the tiles.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

type layerInfo struct {
	name, description string
	fields            map[string]string
	maxZoom           int
}

const (
	num = "Number"
	str = "String"
)

var layerInfos = map[Layer]layerInfo{
	LayerActivity: {
		name:        "骑手活动 Rider activity",
		description: "按H3六边形汇总的骑手活动（显示分辨率随缩放变化；少于k名骑手的格子不显示）。Rider activity per H3 hexagon at the zoom's display resolution; cells with fewer than k distinct riders are hidden outside the admin role. Filters: hours=, metric=.",
		fields: map[string]string{"cell": str, "pings": num, "riders": num, "rider_hours": num, "dwell_s": num,
			"demand": num},
		maxZoom: 16,
	},
	LayerGaps: {
		name:        "服务空白 Coverage gaps",
		description: "缺口区的六边形，与 /api/gaps 列出的缺口区逐格一致（需求分辨率，各缩放级别相同）。The hexagons of the gap zones /api/gaps lists, cell for cell (demand resolution at every zoom): uncovered, demand at or above the threshold. zone: the zone's lowest cell; zone_rank: its rank in /api/gaps. Filters: hours=, metric=riders.",
		fields:      map[string]string{"cell": str, "demand": num, "riders": num, "nearest_site_m": num, "zone": num, "zone_rank": num},
		maxZoom:     16,
	},
	LayerGrids: {
		name:        "社区网格 Community grids",
		description: "社区网格及其网格长与兼职网格员目标人数。Community grids with their manager and target number of part-time members.",
		fields: map[string]string{"code": str, "name": str, "community_code": str, "street_code": str, "manager": str,
			"target": num},
		maxZoom: 16,
	},
	LayerAreas: {
		name:        "行政区划 Administrative areas",
		description: "区、街道、社区边界。District, street and community boundaries.",
		fields:      map[string]string{"code": str, "name": str, "name_en": str, "level": str},
		maxZoom:     16,
	},
	LayerSites: {
		name:        "站点 Sites",
		description: "党群服务中心、骑手驿站、加油站休息点、分支机构与候选点。Service centres, rest stations, fuel-station rest points, branches and candidate sites.",
		fields: map[string]string{"id": str, "kind": str, "status": str, "name": str, "capacity": num,
			"amenities": str, "opening_hours": str},
		maxZoom: MaxZoom,
	},
	LayerBasemap: basemapInfo,
}
