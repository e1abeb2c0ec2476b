// The basemap: hexcover's own vector tiles of the loaded OpenStreetMap extract (hexcover ingest osm),
// drawn under the analysis layers. Offline: served by our server like every other layer; no sprite,
// labels drawn from local fonts. Layers follow GET /tiles/basemap.json: water, park, building, rail,
// road, place, poi; the server already drops minor roads and small areas at low zoom.

import { API } from './config.js';

export const BASEMAP_SOURCE = 'hexcover-basemap';

const C = {
  water: '#a9cbe6',
  waterLine: '#8db9dd',
  park: '#d3e6c4',
  building: '#e2ddd5',
  rail: '#9a9a9a',
  major: '#ffffff',
  majorCasing: '#c9c2b4',
  minor: '#ffffff',
  minorCasing: '#d9d3c7',
  path: '#cfc8ba',
  label: '#5a5346',
  waterLabel: '#3d6f9c',
  halo: 'rgba(255,255,255,0.9)',
};

const MAJOR = ['motorway', 'trunk', 'primary', 'secondary', 'motorway_link', 'trunk_link', 'primary_link', 'secondary_link'];
const MINOR = ['tertiary', 'tertiary_link', 'unclassified', 'residential', 'living_street', 'road', 'service', 'pedestrian', 'busway'];
const PATHS = ['footway', 'path', 'cycleway', 'steps', 'track', 'bridleway'];

const isClass = (list) => ['in', ['get', 'class'], ['literal', list]];
const isLine = ['==', ['geometry-type'], 'LineString'];
const isPolygon = ['==', ['geometry-type'], 'Polygon'];

/** Road width in pixels at zoom 10, 13 and 16 for major and minor roads. */
const width = (w10, w13, w16) => ['interpolate', ['exponential', 1.6], ['zoom'], 10, w10, 13, w13, 16, w16];

/** The vector source of the basemap. */
export function basemapSource() {
  return { type: 'vector', tiles: [API.tiles('basemap')], minzoom: 6, maxzoom: 16, attribution: '© OpenStreetMap' };
}

function layer(id, type, sourceLayer, extra) {
  return { id: `basemap-${id}`, type, source: BASEMAP_SOURCE, 'source-layer': sourceLayer, ...extra };
}

/** Geometry layers (fills and lines), bottom first; drawn right above the background. */
export function basemapLayers() {
  return [
    layer('park', 'fill', 'park', { paint: { 'fill-color': C.park, 'fill-opacity': 0.8 } }),
    layer('water-fill', 'fill', 'water', { filter: isPolygon, paint: { 'fill-color': C.water } }),
    layer('water-line', 'line', 'water', {
      filter: isLine,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': C.waterLine,
        'line-width': [
          'interpolate', ['exponential', 1.6], ['zoom'],
          10, ['match', ['get', 'class'], ['river', 'canal'], 2, 0.8],
          13, ['match', ['get', 'class'], ['river', 'canal'], 6, 1.5],
          16, ['match', ['get', 'class'], ['river', 'canal'], 24, 4],
        ],
      },
    }),
    layer('building', 'fill', 'building', { minzoom: 14, paint: { 'fill-color': C.building, 'fill-outline-color': '#d2ccc2' } }),
    layer('path', 'line', 'road', {
      minzoom: 14,
      filter: isClass(PATHS),
      paint: { 'line-color': C.path, 'line-width': 1, 'line-dasharray': [2, 1.5] },
    }),
    layer('minor-casing', 'line', 'road', {
      filter: isClass(MINOR),
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': C.minorCasing, 'line-width': width(0.6, 3, 12) },
    }),
    layer('minor', 'line', 'road', {
      filter: isClass(MINOR),
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': C.minor, 'line-width': width(0.3, 2, 10) },
    }),
    layer('major-casing', 'line', 'road', {
      filter: isClass(MAJOR),
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['case', ['==', ['get', 'bridge'], true], '#8f877a', C.majorCasing], 'line-width': width(1.6, 5, 18) },
    }),
    layer('major', 'line', 'road', {
      filter: isClass(MAJOR),
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': ['match', ['get', 'class'], ['motorway', 'motorway_link', 'trunk', 'trunk_link'], '#fbd38d', C.major],
        'line-width': width(1, 3.6, 15),
      },
    }),
    layer('rail', 'line', 'rail', {
      paint: { 'line-color': C.rail, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 3], 'line-dasharray': [3, 3] },
    }),
  ];
}

/** Label layer ids, whose text follows the UI language. */
export const BASEMAP_LABEL_LAYERS = ['basemap-water-label', 'basemap-road-label', 'basemap-place-label', 'basemap-poi-label'];

/** Label layers; `field` is the language's label expression (see labelField in mapstyle.js), `font` the text-font stack. */
export function basemapLabels(field, font) {
  const paint = { 'text-color': C.label, 'text-halo-color': C.halo, 'text-halo-width': 1.4 };
  return [
    layer('water-label', 'symbol', 'water', {
      minzoom: 13,
      filter: isLine,
      layout: { 'text-field': field, 'text-font': font, 'text-size': 12, 'symbol-placement': 'line', 'text-letter-spacing': 0.1 },
      paint: { ...paint, 'text-color': C.waterLabel },
    }),
    layer('road-label', 'symbol', 'road', {
      minzoom: 14,
      filter: ['!', isClass(PATHS)],
      layout: { 'text-field': field, 'text-font': font, 'text-size': 11, 'symbol-placement': 'line', 'symbol-spacing': 300 },
      paint,
    }),
    layer('place-label', 'symbol', 'place', {
      layout: { 'text-field': field, 'text-font': font, 'text-size': 13, 'text-max-width': 8 },
      paint: { ...paint, 'text-color': '#3b3528' },
    }),
    layer('poi-label', 'symbol', 'poi', {
      minzoom: 15,
      layout: { 'text-field': field, 'text-font': font, 'text-size': 10.5, 'text-max-width': 7, 'text-optional': true },
      paint: { ...paint, 'text-color': '#6b6457' },
    }),
  ];
}
