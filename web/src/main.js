// hexcover web map: entry point.
// Loads /api/meta for the initial view, builds the style from our own vector tiles, and wires
// the header, layer panel, legend, popups, loading indicator and error banner.
// Tests use window.hexcover = { map, ready, meta } (ready resolves on the map's first 'idle').

import { Map as MapLibreMap, NavigationControl, ScaleControl, addProtocol, getVersion, setWorkerUrl } from 'maplibre-gl';
import { fetchDemoLogins, fetchMe, fetchMeta, getJSON, login, logout, onBusy, onUnauthorized } from './api.js';
import { API, COLORS, FALLBACK_VIEW, LAYER_GROUPS, LOCAL_FONT_FAMILY, SOURCES } from './config.js';
import { getLang, initLang, onLangChange, t, toggleLang } from './i18n.js';
import { GAP_HATCH, LABEL_LAYERS, activityColor, buildStyle, gapHatch, labelField } from './mapstyle.js';
import { initAreaLabels } from './labels.js';
import { applyEnums } from './enums.js';
import { readState, state, tileQuery } from './state.js';
import { createViews } from './views.js';
import { initInteraction } from './popups.js';
import { scopeNames } from './scope.js';
import { bboxToMap, setDatum, shifted, syncHash, toMap } from './datum.js';
import * as ui from './ui.js';

// The MapLibre worker is shipped next to app.js (dist/maplibre-gl-worker.mjs), not inlined.
setWorkerUrl(new URL(`./maplibre-gl-worker.mjs?v=${getVersion()}`, import.meta.url).href);

const LAYERS_KEY = 'hexcover.layers';

// Tiles: same-origin fetch with the session cookie; a 503 (server busy, load shedding) is retried
// a few times with back-off before it counts as an error; 204 is an empty tile.
addProtocol('hexcover', async (params, abortController) => {
  const url = `${location.origin}/${params.url.slice('hexcover://'.length)}`;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { credentials: 'same-origin', signal: abortController.signal });
    if (res.status === 503 && attempt < 4) {
      await new Promise((r) => setTimeout(r, 150 * (attempt + 1) + Math.random() * 100));
      continue;
    }
    if (res.status === 204) return { data: new ArrayBuffer(0) };
    if (!res.ok) throw Object.assign(new Error(`${res.status} ${res.statusText}: ${url}`), { status: res.status });
    return { data: await res.arrayBuffer() };
  }
});

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

function visibleFromUrl(vis) {
  const l = new URLSearchParams(location.search).get('layers');
  if (l === null) return vis;
  const on = new Set(l.split(',').filter(Boolean));
  for (const k of Object.keys(vis)) vis[k] = on.has(k);
  return vis;
}

// ---------- login ----------

const $ = (sel) => document.querySelector(sel);

/** Shows the login dialog; resolves after a successful login (the session cookie is set). */
function askLogin({ expired = false } = {}) {
  return new Promise((resolve) => {
    const box = $('#login');
    const form = $('#login-form');
    const errEl = $('#login-error');
    box.hidden = false;
    errEl.hidden = !expired;
    if (expired) errEl.textContent = t('auth.expired');
    ui.refreshTexts();
    const done = async (token) => {
      errEl.hidden = true;
      try {
        await login(token);
        box.hidden = true;
        form.onsubmit = null;
        resolve();
      } catch (err) {
        errEl.textContent = err.status === 401 || err.status === 403 ? t('auth.bad') : t('error.api', { message: err.message });
        errEl.hidden = false;
      }
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      done($('#login-token').value.trim());
    };
    $('#login-lang').onclick = () => toggleLang();
    fetchDemoLogins().then((list) => {
      const wrap = $('#demo-login-buttons');
      wrap.replaceChildren();
      for (const d of list) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn';
        b.dataset.demoRole = d.role;
        b.dataset.i18n = `auth.demo.${d.role}`;
        b.textContent = t(`auth.demo.${d.role}`);
        b.onclick = () => done(d.token);
        wrap.append(b);
      }
      $('#demo-logins').hidden = list.length === 0;
    });
    setTimeout(() => $('#login-token').focus(), 0);
  });
}

/** The external basemap's style JSON; null (our own basemap, with an error shown) when it cannot be read. */
async function fetchExternalStyle(url) {
  try {
    const res = await fetch(url, { credentials: 'omit' });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    const s = await res.json();
    if (!s || s.version !== 8 || typeof s.sources !== 'object' || !Array.isArray(s.layers)) throw new Error('not a MapLibre style (version 8)');
    return s;
  } catch (err) {
    console.warn('hexcover: external basemap style', url, 'failed:', err.message);
    ui.showError('basemap', 'error.basemap', { message: err.message });
    return null;
  }
}

async function start() {
  initLang();
  readState();
  ui.refreshTexts();
  ui.initHeader();
  ui.initErrors();
  onBusy((b) => ui.setLoading(b));
  onLangChange(() => ui.refreshTexts());

  // Who is this? Ask for a login until /api/me answers.
  let me = await fetchMe().catch(() => null);
  while (!me) {
    await askLogin();
    me = await fetchMe().catch(() => null);
  }
  ui.setUser(me);
  const scopeNamesP = scopeNames(me).then((names) => {
    ui.setScopeNames(names);
    return names;
  });
  $('#logout').onclick = async () => {
    await logout().catch(() => {});
    location.reload();
  };
  // A 401 later on (expired or revoked session): log in again, then reload the page (the URL keeps the view).
  let relogging = false;
  onUnauthorized(() => {
    if (relogging) return;
    relogging = true;
    askLogin({ expired: true }).then(() => location.reload());
  });

  ui.setLoading(true);
  let meta = null;
  try {
    meta = await fetchMeta();
  } catch (err) {
    console.warn('hexcover: /api/meta failed, using the fallback view:', err.message);
    ui.showError('meta', err.status === 403 ? 'error.forbidden' : 'error.meta');
  }
  applyEnums(meta && meta.enums); // the server's kinds, ranges and names, before style and views
  ui.setMeta(meta);
  // An external basemap (HEXCOVER_BASEMAP_STYLE) and its datum: under gcj02 the map draws in GCJ-02.
  const basemap = (meta && meta.basemap) || {};
  setDatum(basemap.datum);
  let external = basemap.style ? await fetchExternalStyle(basemap.style) : null;
  // Our own basemap is WGS-84: over shifted overlays it would be off by ~500 m, so a shifted map
  // whose basemap failed shows a plain background instead.
  if (!external && shifted()) external = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }] };

  const visible = visibleFromUrl(loadLayerVisibility());
  const style = buildStyle(getLang(), { query: tileQuery(), metric: state.metric, external });
  for (const g of LAYER_GROUPS) {
    for (const layer of style.layers) if (g.layers.includes(layer.id) && !visible[g.key]) (layer.layout ||= {}).visibility = 'none';
  }
  const view = meta ? { center: meta.center, zoom: meta.zoom ?? FALLBACK_VIEW.zoom } : FALLBACK_VIEW;
  const bounds = meta && meta.zoom === null && meta.bounds ? bboxToMap(meta.bounds) : null;
  let map;
  try {
    map = new MapLibreMap({
      container: 'map',
      style,
      center: toMap(view.center),
      zoom: view.zoom,
      ...(bounds ? { bounds, fitBoundsOptions: { padding: 24 } } : {}),
      hash: !shifted(), // #z/lat/lng, keeps ?lang= intact; in WGS-84 by datum.js's syncHash when shifted
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
  syncHash(map);
  // The gap layer's hatching is drawn in code (no sprite is fetched).
  map.setMissingStyleImageResolver((id) => {
    if (id === GAP_HATCH && !map.hasImage(GAP_HATCH)) map.addImage(GAP_HATCH, gapHatch());
  });

  const ready = new Promise((resolve) => map.once('idle', () => resolve(map)));
  window.hexcover = { map, ready, meta, me, version: getVersion(), state };

  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ maxWidth: 120, unit: 'metric' }), 'bottom-left');

  // Loading indicator: on while any source is loading, off when the map settles.
  let tilesTimer = null;
  map.on('dataloading', () => {
    if (!tilesTimer) tilesTimer = setTimeout(() => ui.setTilesLoading(true), 300);
  });
  map.on('idle', () => {
    clearTimeout(tilesTimer);
    tilesTimer = null;
    ui.setTilesLoading(false);
  });
  ui.setLoading(false);

  // Errors: tile failures are grouped per source; anything else is shown once.
  map.on('error', (e) => {
    const err = e.error || {};
    if (e.sourceId && SOURCE_NAMES[e.sourceId]) {
      if (err.status === 401) return unauthorized();
      ui.showError(`tiles:${e.sourceId}`, err.status === 403 ? 'error.forbidden' : 'error.tiles', { source: SOURCE_NAMES[e.sourceId] });
      console.warn('hexcover: tile error', e.sourceId, err.status || '', err.message || err);
    } else {
      ui.showError(`map:${err.message}`, 'error.map', { message: err.message || String(err) });
      console.warn('hexcover: map error', err);
    }
  });

  function unauthorized() {
    getJSON('/api/me').catch(() => {}); // a 401 here opens the login again (onUnauthorized)
  }

  function syncLayersUrl() {
    const on = LAYER_GROUPS.filter((g) => visible[g.key]).map((g) => g.key);
    const url = new URL(location.href);
    if (on.length === LAYER_GROUPS.length) url.searchParams.delete('layers');
    else url.searchParams.set('layers', on.join(','));
    history.replaceState(history.state, '', url.href);
  }
  function setGroupVisible(key, on) {
    visible[key] = on;
    saveLayerVisibility(visible);
    applyGroupVisibility(map, key, on);
    const box = document.querySelector(`#toggle-${key}`);
    if (box && box.checked !== on) {
      box.checked = on;
      box.closest('.layer-item')?.classList.toggle('off', !on);
    }
    const ov = document.querySelector('#coverage-overlay');
    if (key === 'gaps' && ov) ov.checked = on;
    syncLayersUrl();
  }

  ui.initPanel({ visible, onToggle: setGroupVisible });
  initAreaLabels(map);

  ui.setLegendMetric(state.metric);

  /** hours= / metric= changed: new tile URLs for the filtered layers, new colours and legend. */
  function applyFilters() {
    const q = tileQuery();
    for (const src of Object.values(SOURCES)) {
      if (!src.filtered) continue;
      const s = map.getSource(src.id);
      if (s && s.setTiles) s.setTiles([API.tiles(src.layer, q)]);
    }
    map.setPaintProperty('activity-fill', 'fill-color', activityColor(state.metric));
    ui.setLegendMetric(state.metric);
  }

  let views;
  const popups = initInteraction(map, {
    kinds: () => views && views.clickKinds(),
    onClick: (e, hit, kind, feature) => views && views.onMapClick(e, hit, kind, feature),
    describeZone: (zone, props) => views && views.describeZone(zone, props),
  });
  views = createViews({ map, me, popups, applyFilters, setGroupVisible, isGroupVisible: (k) => visible[k], scopeNames: scopeNamesP });
  window.hexcover.views = views;
  views.start();

  onLangChange((lang) => {
    for (const id of LABEL_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', labelField(lang));
    ui.setLegendMetric(state.metric);
    popups.refresh();
    views.refreshTexts();
  });

  return ready;
}

start().catch((err) => {
  console.warn('hexcover: start failed', err);
});
