// Static configuration of the map: server endpoints, colours, ramps and layer groups.
// Everything that the style, the legend and the popups must agree on lives here.

/** Fallback view when /api/meta is unreachable: central Shanghai. */
export const FALLBACK_VIEW = { center: [121.41, 31.25], zoom: 12 };

/** Endpoints, relative to the page's origin so the map works behind any host or proxy. */
export const API = {
  meta: '/api/meta',
  /** Tile URL template; query (hours=, metric=) is appended when given. */
  // hexcover:// is served by the retrying tile loader in main.js (the server sheds load with 503).
  tiles: (layer, query = '') => `hexcover://tiles/${layer}/{z}/{x}/{y}.mvt${query ? `?${query}` : ''}`,
};

/** Vector sources served by hexcover (GET /tiles/{layer}/{z}/{x}/{y}.mvt). */
export const SOURCES = {
  areas: { id: 'hexcover-areas', layer: 'areas', sourceLayer: 'areas', minzoom: 9, maxzoom: 16 },
  grids: { id: 'hexcover-grids', layer: 'grids', sourceLayer: 'grids', minzoom: 9, maxzoom: 16, promoteId: 'code' },
  sites: { id: 'hexcover-sites', layer: 'sites', sourceLayer: 'sites', minzoom: 9, maxzoom: 16 },
  activity: { id: 'hexcover-activity', layer: 'activity', sourceLayer: 'activity', minzoom: 9, maxzoom: 16, filtered: true },
  gaps: { id: 'hexcover-gaps', layer: 'gaps', sourceLayer: 'gaps', minzoom: 9, maxzoom: 16, filtered: true },
};

/** Roles and the views each may use (first = default). */
export const ROLE_VIEWS = {
  admin: ['heatmap', 'siting', 'grids'],
  planner: ['heatmap', 'siting'],
  leader: ['heatmap', 'siting'], // siting view read-only for leaders: ranked gap zones only
  grid_manager: ['grids', 'heatmap'],
};
export const ALL_VIEWS = ['heatmap', 'siting', 'grids'];
/** Roles that may run the siting and save scenarios from the page. */
export const SITING_ROLES = ['admin', 'planner'];

/** Time-of-day presets of the hour control (server keywords; '' = all day). */
export const HOUR_PRESETS = ['', 'breakfast', 'lunch', 'dinner', 'night', 'peak'];

/**
 * Activity metrics: the tile property (or expression) coloured, its ramp and unit key.
 * stops[i] is the lower bound of the i-th colour; values below stops[0] are not drawn.
 */
export const METRICS = {
  rider_hours: { value: ['to-number', ['get', 'rider_hours'], 0], stops: [0.5, 2, 5, 10, 25, 50, 100], unit: 'unit.rider_hours' },
  riders: { value: ['to-number', ['get', 'riders'], 0], stops: [5, 10, 20, 40, 80, 150, 250], unit: 'unit.riders' },
  pings: { value: ['to-number', ['get', 'pings'], 0], stops: [50, 200, 500, 1000, 2500, 5000, 10000], unit: 'unit.pings' },
  dwell: { value: ['/', ['to-number', ['get', 'dwell_s'], 0], 3600], stops: [0.1, 0.5, 1, 2, 5, 10, 20], unit: 'unit.dwell_hours' },
};
export const METRIC_KEYS = Object.keys(METRICS);
export const GAP_COLOR = '#6a3d9a';
export const PICK_COLOR = '#0b6e4f';

/** Site kinds in legend order, with their colours. Unknown kinds use OTHER_KIND_COLOR. */
export const SITE_KINDS = [
  { kind: 'service_center', color: '#d62728' },
  { kind: 'rest_station', color: '#1f77b4' },
  { kind: 'fuel_station', color: '#ff7f0e' },
  { kind: 'branch', color: '#2ca02c' },
  { kind: 'candidate', color: '#9467bd' },
];
export const OTHER_KIND_COLOR = '#7f7f7f';

/** Site statuses drawn hollow (ring only). */
export const HOLLOW_STATUSES = ['candidate', 'planned'];

/**
 * Activity ramp: rider-hours per hexagon. stops[i] is the lower bound of colors[i];
 * values below stops[0] are not drawn. Sequential yellow-orange-red palette.
 */
export const ACTIVITY_RAMP = {
  property: 'rider_hours',
  stops: [0.5, 2, 5, 10, 25, 50, 100],
  colors: ['#ffffb2', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#b10026'],
  opacity: 0.6,
};

export const COLORS = {
  background: '#f4f3ef',
  districtFill: '#e6eef7',
  districtLine: '#5b7da6',
  streetLine: '#6b6b8a',
  communityLine: '#9a9ab0',
  gridLine: '#3d8c8c',
  gridHover: '#1b6f6f',
  label: '#33334d',
  labelHalo: '#ffffff',
};

/** CSS font families MapLibre uses to draw label glyphs locally (no glyphs URL is served). */
export const LOCAL_FONT_FAMILY =
  '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

/** Toggleable layer groups (panel order). Each lists the style layer ids it shows/hides. */
export const LAYER_GROUPS = [
  { key: 'activity', label: 'layer.activity', layers: ['activity-fill'] },
  { key: 'gaps', label: 'layer.gaps', layers: ['gaps-fill', 'gaps-line'] },
  { key: 'grids', label: 'layer.grids', layers: ['grids-fill', 'grids-line', 'grids-hover-line', 'grids-selected-line'] },
  { key: 'sites', label: 'layer.sites', layers: ['sites-circle'] },
  {
    key: 'areas',
    label: 'layer.areas',
    layers: ['areas-district-fill', 'areas-district-line', 'areas-street-line', 'areas-community-line', 'areas-street-label', 'areas-community-label'],
  },
];

/** Layers that react to hover/click. */
export const INTERACTIVE = {
  grids: 'grids-fill',
  sites: 'sites-circle',
  gaps: 'gaps-fill',
  activity: 'activity-fill',
  areas: 'areas-district-fill',
};
