// hexcover web map: entry point.
// Loads /api/meta for the initial view, builds the style from our own vector tiles, and wires
// the header, layer panel, legend, popups, loading indicator and error banner.
// Tests use window.hexcover = { map, ready, meta } (ready resolves on the map's first 'idle').

import { Map as MapLibreMap, NavigationControl, ScaleControl, getVersion, setWorkerUrl } from 'maplibre-gl';
import { fetchMeta } from './api.js';
import { FALLBACK_VIEW, LAYER_GROUPS, LOCAL_FONT_FAMILY, SOURCES } from './config.js';
import { getLang, initLang, onLangChange } from './i18n.js';
import { LABEL_LAYERS, buildStyle, labelField } from './mapstyle.js';
import { initInteraction } from './popups.js';
import * as ui from './ui.js';

// The MapLibre worker is shipped next to app.js (dist/maplibre-gl-worker.mjs), not inlined.
setWorkerUrl(new URL(`./maplibre-gl-worker.mjs?v=${getVersion()}`, import.meta.url).href);

const LAYERS_KEY = 'hexcover.layers';

function loadLayerVisibility() {
  const vis = Object.fromEntries(LAYER_GROUPS.map((g) => [g.key, true]));
  try {
    const saved = JSON.parse(localStorage.getItem(LAYERS_KEY) || '{}');
    for (const k of Object.keys(vis)) if (typeof saved[k] === 'boolean') vis[k] = saved[k];
  } catch {
    // ignore bad or blocked storage
  }
  return vis;
}

function saveLayerVisibility(vis) {
  try {
    localStorage.setItem(LAYERS_KEY, JSON.stringify(vis));
  } catch {
    // ignore
  }
}

function applyGroupVisibility(map, key, visible) {
  const g = LAYER_GROUPS.find((x) => x.key === key);
  for (const id of g.layers) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
}

const SOURCE_NAMES = Object.fromEntries(Object.values(SOURCES).map((s) => [s.id, s.layer]));

async function start() {
  initLang();
  ui.refreshTexts();
  ui.initHeader();
  ui.initErrors();
  ui.setLoading(true);

  let meta = null;
  try {
    meta = await fetchMeta();
  } catch (err) {
    console.warn('hexcover: /api/meta failed, using the fallback view:', err.message);
    ui.showError('meta', 'error.meta');
  }
  ui.setMeta(meta);

  const visible = loadLayerVisibility();
  const style = buildStyle(getLang());
  for (const g of LAYER_GROUPS) {
    for (const layer of style.layers) if (g.layers.includes(layer.id) && !visible[g.key]) (layer.layout ||= {}).visibility = 'none';
  }

  const view = meta ? { center: meta.center, zoom: meta.zoom ?? FALLBACK_VIEW.zoom } : FALLBACK_VIEW;
  let map;
  try {
    map = new MapLibreMap({
      container: 'map',
      style,
      center: view.center,
      zoom: view.zoom,
      ...(meta && meta.zoom === null && meta.bounds ? { bounds: meta.bounds, fitBoundsOptions: { padding: 24 } } : {}),
      hash: true, // #z/lat/lng, keeps ?lang= intact
      minZoom: 3,
      maxZoom: 19,
      localIdeographFontFamily: LOCAL_FONT_FAMILY,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
    });
  } catch (err) {
    ui.setLoading(false);
    ui.showError('webgl', 'error.webgl');
    throw err;
  }
  map.touchZoomRotate.disableRotation();

  const ready = new Promise((resolve) => map.once('idle', () => resolve(map)));
  window.hexcover = { map, ready, meta, version: getVersion() };

  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ maxWidth: 120, unit: 'metric' }), 'bottom-left');

  // Loading indicator: on while any source is loading, off when the map settles.
  map.on('dataloading', () => ui.setLoading(true));
  map.on('idle', () => ui.setLoading(false));

  // Errors: tile failures are grouped per source; anything else is shown once.
  map.on('error', (e) => {
    const err = e.error || {};
    if (e.sourceId && SOURCE_NAMES[e.sourceId]) {
      ui.showError(`tiles:${e.sourceId}`, 'error.tiles', { source: SOURCE_NAMES[e.sourceId] });
      console.warn('hexcover: tile error', e.sourceId, err.status || '', err.message || err);
    } else {
      ui.showError(`map:${err.message}`, 'error.map', { message: err.message || String(err) });
      console.warn('hexcover: map error', err);
    }
  });

  ui.initPanel({
    visible,
    onToggle(key, on) {
      visible[key] = on;
      saveLayerVisibility(visible);
      applyGroupVisibility(map, key, on);
    },
  });

  const refreshPopup = initInteraction(map);

  onLangChange((lang) => {
    ui.refreshTexts();
    for (const id of LABEL_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', labelField(lang));
    refreshPopup();
  });

  return ready;
}

start().catch((err) => {
  console.warn('hexcover: start failed', err);
});
