// Hover and click interaction: grid hover highlight, popups for grids and sites.

import { Popup } from 'maplibre-gl';
import { INTERACTIVE, SOURCES } from './config.js';
import { formatNumber, t, tValue } from './i18n.js';

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function row(labelKey, value) {
  return `<tr><th scope="row">${esc(t(labelKey))}</th><td>${esc(value)}</td></tr>`;
}

export function table(title, rows) {
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

function activityHtml(p) {
  return table(t('popup.activity'), [
    row('popup.riders', formatNumber(p.riders)),
    row('popup.rider_hours', formatNumber(p.rider_hours, { maximumFractionDigits: 1 })),
    row('popup.pings', formatNumber(p.pings)),
    row('popup.dwell', formatNumber(Number(p.dwell_s) / 3600, { maximumFractionDigits: 1 })),
    row('popup.cell', p.cell ?? t('popup.unknown')),
  ]);
}

function gapHtml(p) {
  return table(t('popup.gap'), [
    row('popup.demand', formatNumber(p.demand, { maximumFractionDigits: 1 })),
    row('popup.riders', formatNumber(p.riders)),
    row('popup.nearest', p.nearest_site_m === undefined ? t('popup.unknown') : `${formatNumber(p.nearest_site_m)} m`),
    row('popup.zone', p.zone ? `#${p.zone}` : t('popup.unknown')),
  ]);
}

function areaHtml(p) {
  const name = document.documentElement.lang === 'en' ? p.name_en || p.name : p.name || p.name_en;
  return table(name || t('popup.area'), [row('popup.code', p.code ?? t('popup.unknown')), row('popup.level', tValue('level', p.level))]);
}

const RENDER = { site: siteHtml, grid: gridHtml, activity: activityHtml, gap: gapHtml, area: areaHtml };

function getSep() {
  return document.documentElement.lang.startsWith('zh') ? '、' : ', ';
}

/** Wires hover and click handlers; returns a function that re-renders an open popup (language change). */
export function initInteraction(map, { onClick } = {}) {
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

  for (const layer of [INTERACTIVE.sites, INTERACTIVE.grids, INTERACTIVE.gaps, INTERACTIVE.activity]) {
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
  }

  map.on('click', (e) => {
    // Top-most first: sites, grids, gap cells, activity hexagons, then the district.
    const order = [
      ['site', INTERACTIVE.sites],
      ['grid', INTERACTIVE.grids],
      ['gap', INTERACTIVE.gaps],
      ['activity', INTERACTIVE.activity],
      ['area', INTERACTIVE.areas],
    ].filter(([, l]) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    if (!order.length) return;
    const feats = map.queryRenderedFeatures(e.point, { layers: order.map(([, l]) => l) });
    const byKind = Object.fromEntries(order.map(([k, l]) => [k, feats.find((f) => f.layer.id === l)]));
    if (onClick && onClick(e, byKind)) return; // a view took the click (add a site, pick a grid)
    const hit = order.find(([k]) => byKind[k]);
    if (!hit) return;
    const f = byKind[hit[0]];
    open = { kind: hit[0], props: f.properties };
    popup.setLngLat(hit[0] === 'site' && f.geometry.type === 'Point' ? f.geometry.coordinates : e.lngLat);
    popup.setHTML(render()).addTo(map);
  });
  popup.on('close', () => (open = null));

  function render() {
    return RENDER[open.kind](open.props);
  }

  return {
    refresh() {
      if (open && popup.isOpen()) popup.setHTML(render());
    },
    /** Opens a popup with given HTML (the views use it for gap zones and picks). */
    show(lngLat, html) {
      open = null;
      popup.setLngLat(lngLat).setHTML(html).addTo(map);
    },
  };
}
