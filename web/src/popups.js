// Hover and click interaction: grid hover highlight, popups for grids and sites.

import { Popup } from 'maplibre-gl';
import { INTERACTIVE, SOURCES } from './config.js';
import { formatNumber, t, tValue } from './i18n.js';

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function row(labelKey, value) {
  return `<tr><th scope="row">${esc(t(labelKey))}</th><td>${esc(value)}</td></tr>`;
}

function table(title, rows) {
  return `<div class="popup"><div class="popup-title">${esc(title)}</div><table>${rows.join('')}</table></div>`;
}

/**
 * MVT cannot hold arrays, so amenities may arrive as a JSON array string ('["water","toilet"]'),
 * a comma/semicolon/pipe separated string, or (from GeoJSON) an array.
 */
export function parseAmenities(v) {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v.map(String);
  const s = String(v).trim();
  if (s.startsWith('[')) {
    try {
      const a = JSON.parse(s);
      if (Array.isArray(a)) return a.map(String);
    } catch {
      // fall through
    }
  }
  return s
    .split(/[,;|，、]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function gridHtml(p) {
  return table(`${t('popup.grid')} ${p.name ?? ''}`.trim(), [
    row('popup.code', p.code ?? t('popup.unknown')),
    row('popup.name', p.name ?? t('popup.unknown')),
    row('popup.manager', p.manager || t('popup.unknown')),
    row('popup.target', formatNumber(p.target)),
  ]);
}

function siteHtml(p) {
  const amenities = parseAmenities(p.amenities).map((a) => tValue('amenity', a));
  return table(p.name || t('popup.site'), [
    row('popup.kind', tValue('kind', p.kind)),
    row('popup.status', tValue('status', p.status)),
    row('popup.capacity', formatNumber(p.capacity)),
    row('popup.amenities', amenities.length ? amenities.join(getSep()) : t('popup.none')),
  ]);
}

function getSep() {
  return document.documentElement.lang.startsWith('zh') ? '、' : ', ';
}

/** Wires hover and click handlers; returns a function that re-renders an open popup (language change). */
export function initInteraction(map) {
  const popup = new Popup({ closeButton: true, closeOnClick: true, maxWidth: '320px' });
  let open = null; // { kind, props }
  let hoverId = null;
  const gridSrc = SOURCES.grids;

  function setHover(id) {
    if (hoverId === id) return;
    if (hoverId !== null) map.setFeatureState({ source: gridSrc.id, sourceLayer: gridSrc.sourceLayer, id: hoverId }, { hover: false });
    hoverId = id;
    if (id !== null) map.setFeatureState({ source: gridSrc.id, sourceLayer: gridSrc.sourceLayer, id }, { hover: true });
  }

  map.on('mousemove', INTERACTIVE.grids, (e) => {
    const f = e.features && e.features[0];
    setHover(f && f.id !== undefined ? f.id : null);
  });
  map.on('mouseleave', INTERACTIVE.grids, () => setHover(null));

  for (const layer of [INTERACTIVE.sites, INTERACTIVE.grids]) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
  }

  map.on('click', (e) => {
    // Sites sit on top of grids: prefer a site under the pointer.
    const layers = [INTERACTIVE.sites, INTERACTIVE.grids].filter((l) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    if (!layers.length) return;
    const feats = map.queryRenderedFeatures(e.point, { layers });
    const site = feats.find((f) => f.layer.id === INTERACTIVE.sites);
    const grid = feats.find((f) => f.layer.id === INTERACTIVE.grids);
    if (site) {
      open = { kind: 'site', props: site.properties };
      popup.setLngLat(site.geometry.type === 'Point' ? site.geometry.coordinates : e.lngLat);
    } else if (grid) {
      open = { kind: 'grid', props: grid.properties };
      popup.setLngLat(e.lngLat);
    } else {
      return;
    }
    popup.setHTML(render()).addTo(map);
  });
  popup.on('close', () => (open = null));

  function render() {
    return open.kind === 'site' ? siteHtml(open.props) : gridHtml(open.props);
  }

  return function refresh() {
    if (open && popup.isOpen()) popup.setHTML(render());
  };
}
