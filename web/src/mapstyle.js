// The MapLibre style, built in code: a plain background plus hexcover's own vector tiles.
// No external basemap, sprite or glyph server: labels are drawn by MapLibre from local fonts
// (with no `glyphs` URL in the style, MapLibre 6 rasterizes every glyph locally with TinySDF).
// With HEXCOVER_BASEMAP_STYLE set, that style's sources and layers (and its glyphs and sprite) take
// the place of our background and basemap (buildStyle's `external`); see datum.js for its datum.

import { ACTIVITY_RAMP, API, COLORS, GAP_COLOR, HOLLOW_STATUSES, METRICS, OTHER_KIND_COLOR, PICK_COLOR, SITE_KINDS, SOURCES } from './config.js';
import { BASEMAP_LABEL_LAYERS, BASEMAP_SOURCE, basemapLabels, basemapLayers, basemapSource } from './basemap.js';

/** GeoJSON source of the catchment of the site whose popup asked for it (GET /api/sites/{id}/catchment). */
export const CATCHMENT_SOURCE = 'hexcover-catchment';
/** GeoJSON source of the siting result (picks, hand-added sites) and the selected zone or hexagon. */
export const PICKS_SOURCE = 'hexcover-picks';
/** Line layer outlining the selected grid (filter set by the grid view). */
export const SELECTED_GRID_LAYER = 'grids-selected-line';
/** GeoJSON source with one label point per area (labels.js), so each area is labelled once. */
export const LABELS_SOURCE = 'hexcover-area-labels';
/** Diagonal hatching of the gap layer (an image made in code: see gapHatch). */
export const GAP_HATCH = 'gap-hatch';

/** 12×12 RGBA image: a purple diagonal line on transparent, tiled by the gap fill. */
export function gapHatch(color = GAP_COLOR) {
  const n = 12;
  const data = new Uint8Array(n * n * 4);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const d = Math.abs(((x + y) % n) - n / 2); // distance from the anti-diagonal band
      const a = d < 1.2 ? 230 : d < 2 ? 120 : 0;
      const o = (y * n + x) * 4;
      data.set([r, g, b, a], o);
    }
  }
  return { width: n, height: n, data };
}

/** Font stack for text-font; used as CSS font families when glyphs are drawn locally. */
const TEXT_FONT = ['PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei'];

function vectorSource(src, query) {
  const s = {
    type: 'vector',
    tiles: [API.tiles(src.layer, src.filtered ? query : '')],
    minzoom: src.minzoom,
    maxzoom: src.maxzoom,
    attribution: '',
  };
  if (src.promoteId) s.promoteId = { [src.sourceLayer]: src.promoteId };
  return s;
}

/** Expression for a label in the given language (English falls back to Chinese). */
export function labelField(lang) {
  return lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['coalesce', ['get', 'name'], ['get', 'name_en']];
}

/** Expression: colour of a site by its kind. */
function kindColor() {
  const m = ['match', ['get', 'kind']];
  for (const k of SITE_KINDS) m.push(k.kind, k.color);
  m.push(OTHER_KIND_COLOR);
  return m;
}

const isHollow = ['in', ['get', 'status'], ['literal', HOLLOW_STATUSES]];

/** Expression: step ramp over the chosen metric (see METRICS in config.js). */
export function activityColor(metric = 'rider_hours') {
  const m = METRICS[metric] || METRICS.rider_hours;
  const e = ['step', m.value, 'rgba(0,0,0,0)'];
  m.stops.forEach((s, i) => e.push(s, ACTIVITY_RAMP.colors[i]));
  return e;
}

/** Layer ids whose text follows the UI language. */
export const LABEL_LAYERS = ['areas-street-label', 'areas-community-label', ...BASEMAP_LABEL_LAYERS];

/** Prefix of the ids of an external basemap's sources and layers inside our style. */
export const EXTERNAL_PREFIX = 'ext-';

/**
 * The sources and layers of an external basemap style (HEXCOVER_BASEMAP_STYLE, fetched by main.js),
 * renamed under EXTERNAL_PREFIX so they cannot collide with ours; glyphs and sprite kept.
 */
export function externalBasemap(ext) {
  const sources = {};
  for (const [id, src] of Object.entries(ext.sources || {})) sources[EXTERNAL_PREFIX + id] = src;
  const layers = (ext.layers || []).map((l) => ({ ...l, id: EXTERNAL_PREFIX + l.id, ...(l.source ? { source: EXTERNAL_PREFIX + l.source } : {}) }));
  let font = null; // the first text-font the external style uses: its glyph server has it
  for (const l of layers) if (!font && Array.isArray(l.layout?.['text-font'])) font = l.layout['text-font'];
  return { sources, layers, glyphs: ext.glyphs, sprite: ext.sprite, font };
}

/**
 * Builds the whole style for the given language. With `external` (an external basemap's style JSON) its
 * sources and layers replace our background and basemap under the analysis layers.
 */
export function buildStyle(lang, { query = '', metric = 'rider_hours', external = null } = {}) {
  const style = buildOwnStyle(lang, { query, metric });
  if (!external) return style;
  const ext = externalBasemap(external);
  const ours = new Set(['background', ...basemapLayers().map((l) => l.id), ...BASEMAP_LABEL_LAYERS]);
  const layers = style.layers.filter((l) => !ours.has(l.id));
  for (const l of layers) {
    // Over a real basemap the district is a faint tint, not an opaque canvas.
    if (l.id === 'areas-district-fill') l.paint = { ...l.paint, 'fill-opacity': 0.15 };
    // With the external glyph server, our labels use a font it has.
    if (ext.glyphs && ext.font && l.layout?.['text-font']) l.layout = { ...l.layout, 'text-font': ext.font };
  }
  delete style.sources[BASEMAP_SOURCE];
  return {
    ...style,
    ...(ext.glyphs ? { glyphs: ext.glyphs } : {}),
    ...(ext.sprite ? { sprite: ext.sprite } : {}),
    sources: { ...ext.sources, ...style.sources },
    layers: [...ext.layers, ...layers],
  };
}

function buildOwnStyle(lang, { query, metric }) {
  const gaps = SOURCES.gaps;
  const areas = SOURCES.areas;
  const grids = SOURCES.grids;
  const sites = SOURCES.sites;
  const activity = SOURCES.activity;
  const level = (l) => ['==', ['get', 'level'], l];

  return {
    version: 8,
    name: 'hexcover',
    // No `glyphs` and no `sprite`: nothing is fetched from outside our server.
    sources: {
      [areas.id]: vectorSource(areas),
      [grids.id]: vectorSource(grids),
      [sites.id]: vectorSource(sites),
      [activity.id]: vectorSource(activity, query),
      [gaps.id]: vectorSource(gaps, query),
      [PICKS_SOURCE]: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      [CATCHMENT_SOURCE]: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      [BASEMAP_SOURCE]: basemapSource(),
      [LABELS_SOURCE]: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': COLORS.background } },

      // Areas: the district as a light fill under everything else.
      {
        id: 'areas-district-fill',
        type: 'fill',
        source: areas.id,
        'source-layer': areas.sourceLayer,
        filter: level('district'),
        paint: { 'fill-color': COLORS.districtFill, 'fill-opacity': 0.7 },
      },
      ...basemapLayers(), // the OSM basemap (web/src/basemap.js), under the analysis layers
      ...basemapLabels(labelField(lang), TEXT_FONT),

      // Rider activity: hexagons coloured by rider-hours, below all lines.
      {
        id: 'activity-fill',
        type: 'fill',
        source: activity.id,
        'source-layer': activity.sourceLayer,
        paint: {
          'fill-color': activityColor(metric),
          'fill-opacity': ACTIVITY_RAMP.opacity,
          'fill-outline-color': 'rgba(0,0,0,0)',
        },
      },

      // Gaps: uncovered demand cells, hatched and outlined in purple over the activity, so the
      // activity colours underneath keep matching their legend.
      {
        id: 'gaps-fill',
        type: 'fill',
        source: gaps.id,
        'source-layer': gaps.sourceLayer,
        paint: { 'fill-pattern': GAP_HATCH, 'fill-opacity': 0.9 },
      },
      {
        id: 'gaps-line',
        type: 'line',
        source: gaps.id,
        'source-layer': gaps.sourceLayer,
        paint: { 'line-color': GAP_COLOR, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.8, 15, 1.6], 'line-opacity': 0.9 },
      },

      // Grids: an almost invisible fill so the whole polygon is hoverable/clickable, highlighted on hover.
      {
        id: 'grids-fill',
        type: 'fill',
        source: grids.id,
        'source-layer': grids.sourceLayer,
        paint: {
          'fill-color': COLORS.gridHover,
          'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.18, 0.01],
        },
      },
      {
        id: 'grids-line',
        type: 'line',
        source: grids.id,
        'source-layer': grids.sourceLayer,
        paint: {
          'line-color': COLORS.gridLine,
          'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.4, 15, 1],
          'line-opacity': 0.8,
        },
      },

      // Community (thin, dashed) and street (thicker) boundaries, district outline on top.
      {
        id: 'areas-community-line',
        type: 'line',
        source: areas.id,
        'source-layer': areas.sourceLayer,
        filter: level('community'),
        paint: {
          'line-color': COLORS.communityLine,
          'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 15, 1.2],
          'line-dasharray': [3, 2],
        },
      },
      {
        id: 'areas-street-line',
        type: 'line',
        source: areas.id,
        'source-layer': areas.sourceLayer,
        filter: level('street'),
        paint: {
          'line-color': COLORS.streetLine,
          'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1.2, 15, 2.5],
        },
      },
      {
        id: 'areas-district-line',
        type: 'line',
        source: areas.id,
        'source-layer': areas.sourceLayer,
        filter: level('district'),
        paint: { 'line-color': COLORS.districtLine, 'line-width': 2.5 },
      },

      // Grid hover outline.
      {
        id: 'grids-hover-line',
        type: 'line',
        source: grids.id,
        'source-layer': grids.sourceLayer,
        paint: {
          'line-color': COLORS.gridHover,
          'line-width': 2.5,
          'line-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 1, 0],
        },
      },

      // The grid open in the grid view: its real outline.
      {
        id: SELECTED_GRID_LAYER,
        type: 'line',
        source: grids.id,
        'source-layer': grids.sourceLayer,
        filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#111827', 'line-width': 3 },
      },

      // Sites: filled circle by kind; ring only for planned / candidate.
      {
        id: 'sites-circle',
        type: 'circle',
        source: sites.id,
        'source-layer': sites.sourceLayer,
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3.5, 13, 6, 16, 9],
          'circle-color': ['case', isHollow, '#ffffff', kindColor()],
          'circle-opacity': ['case', isHollow, 0.85, 1],
          'circle-stroke-color': ['case', isHollow, kindColor(), '#ffffff'],
          'circle-stroke-width': ['case', isHollow, 2.5, 1.5],
        },
      },

      // A site's catchment: the streets within riding distance (network) or its radius circle.
      {
        id: 'catchment-fill',
        type: 'fill',
        source: CATCHMENT_SOURCE,
        filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': '#1f77b4', 'fill-opacity': 0.12, 'fill-outline-color': '#1f77b4' },
      },
      {
        id: 'catchment-line',
        type: 'line',
        source: CATCHMENT_SOURCE,
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': '#1f77b4', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 2, 16, 5], 'line-opacity': 0.8 },
      },

      // Siting: service radius of each suggested / hand-added site; the selected grid or gap zone.
      {
        id: 'picks-focus-line',
        type: 'line',
        source: PICKS_SOURCE,
        filter: ['==', ['get', 'role'], 'focus'],
        paint: { 'line-color': '#111827', 'line-width': 3, 'line-dasharray': [2, 1] },
      },
      {
        id: 'picks-radius',
        type: 'fill',
        source: PICKS_SOURCE,
        filter: ['==', ['get', 'role'], 'radius'],
        paint: { 'fill-color': PICK_COLOR, 'fill-opacity': 0.12, 'fill-outline-color': PICK_COLOR },
      },

      // Labels: one per area, at one point per area (labels.js fills the source); streets from z11,
      // communities from z14.
      {
        id: 'areas-street-label',
        type: 'symbol',
        source: LABELS_SOURCE,
        minzoom: 11,
        filter: level('street'),
        layout: {
          'text-field': labelField(lang),
          'text-font': TEXT_FONT,
          'text-size': ['interpolate', ['linear'], ['zoom'], 11, 12, 16, 16],
          'text-max-width': 8,
          'text-padding': 4,
        },
        paint: { 'text-color': COLORS.label, 'text-halo-color': COLORS.labelHalo, 'text-halo-width': 1.6 },
      },
      {
        id: 'areas-community-label',
        type: 'symbol',
        source: LABELS_SOURCE,
        minzoom: 14,
        filter: level('community'),
        layout: {
          'text-field': labelField(lang),
          'text-font': TEXT_FONT,
          'text-size': 11.5,
          'text-max-width': 7,
          'text-padding': 2,
        },
        paint: { 'text-color': '#55556d', 'text-halo-color': COLORS.labelHalo, 'text-halo-width': 1.4 },
      },
    ],
  };
}
