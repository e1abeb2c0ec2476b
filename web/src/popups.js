// Hover and click interaction: grid hover highlight, popups for grids and sites.

import { eventFromMap, featuresToMap, toMap } from './datum.js';
import { getJSON } from './api.js';
import { CATCHMENT_SOURCE } from './mapstyle.js';
import { Popup } from 'maplibre-gl';
import { INTERACTIVE, SOURCES } from './config.js';
import { html } from './html.js';
import { state } from './state.js';
import { formatNumber, measureDef, measureLabel, t, tValue } from './i18n.js';

/**
 * One popup row: translated label, escaped value. A label 'measure.X' (X a measure: rider_hours,
 * riders, pings, dwell) shows the measure's name with its unit and its definition on hover.
 */
export function row(labelKey, value) {
  if (labelKey.startsWith('measure.') && labelKey !== 'measure.demand') {
    const m = labelKey.slice('measure.'.length);
    return html`<tr><th scope="row" title="${measureDef(m)}">${measureLabel(m)}</th><td>${value}</td></tr>`;
  }
  const title = labelKey === 'measure.demand' ? t('def.demand') : null;
  return html`<tr><th scope="row" title="${title}">${t(labelKey)}</th><td>${value}</td></tr>`;
}

/** Popup body: a title and rows (from row()). */
export function table(title, rows) {
  return html`<div class="popup"><div class="popup-title">${title}</div><table>${rows}</table></div>`;
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
  const c = catchmentShown && catchmentShown.id === String(p.id) ? catchmentShown : null;
  return html`${table(p.name || t('popup.site'), [
    row('popup.kind', tValue('kind', p.kind)),
    row('popup.status', tValue('status', p.status)),
    row('popup.capacity', formatNumber(p.capacity)),
    row('popup.amenities', amenities.length ? amenities.join(getSep()) : t('popup.none')),
    row('popup.hours', p.opening_hours || t('popup.hours.always')),
  ])}${
    c
      ? html`<p class="popup-note" id="catchment-note">${t('popup.catchment.shown', { cells: formatNumber(c.cells), mode: t(`popup.catchment.${c.mode === 'network' ? 'network' : 'radius'}`) })}</p>`
      : html`<button type="button" class="btn" data-catchment="${p.id}">${t('popup.catchment')}</button>`
  }`;
}

/** The catchment drawn on the map: { id (the site's ext_id), cells, mode }, or null. */
let catchmentShown = null;

function activityHtml(p) {
  // Pings and dwell are not in the published release: outside the admin role the tiles do not carry them,
  // and the popup leaves their rows out rather than reading 未知.
  return table(t('popup.activity'), [
    row('measure.riders', formatNumber(p.riders)),
    row('measure.rider_hours', formatNumber(p.rider_hours, { maximumFractionDigits: 1 })),
    ...(p.pings === undefined ? [] : [row('measure.pings', formatNumber(p.pings))]),
    ...(p.dwell_s === undefined ? [] : [row('measure.dwell', formatNumber(Number(p.dwell_s) / 3600, { maximumFractionDigits: 1 }))]),
  ]);
}

/** Gap cell: figures of the cell and, when the zone is among the ranked ones, its rank and names. */
function gapHtml(p, zone) {
  // The cell's demand is the chosen measure (rider time unless riders are chosen).
  const m = state.metric === 'riders' ? 'riders' : 'rider_hours';
  const rows = [
    ...(m === 'riders' ? [] : [row(`measure.${m}`, formatNumber(p.demand, { maximumFractionDigits: 1 }))]),
    row('measure.riders', formatNumber(p.riders)),
    row('popup.nearest', p.nearest_site_m === undefined ? t('popup.unknown') : `${formatNumber(p.nearest_site_m)} m`),
  ];
  if (zone) {
    rows.push(row('popup.zone', t('gaps.rank', { rank: zone.rank })));
    if (zone.street) rows.push(row('popup.street', zone.street));
    if (zone.community) rows.push(row('popup.community', zone.community));
  } else if (p.zone_rank > 0) rows.push(row('popup.zone', t('gaps.rank', { rank: p.zone_rank }))); // ranked by the same rule, beyond the listed ones
  else rows.push(row('popup.zone', t('gaps.unranked')));
  return table(t('popup.gap'), rows);
}

function areaHtml(p) {
  const name = document.documentElement.lang === 'en' ? p.name_en || p.name : p.name || p.name_en;
  return table(name || t('popup.area'), [row('popup.level', tValue('level', p.level))]);
}

const RENDER = { site: siteHtml, grid: gridHtml, activity: activityHtml, area: areaHtml };

function getSep() {
  return document.documentElement.lang.startsWith('zh') ? '、' : ', ';
}

/** Style layer each clickable kind is drawn by. */
const LAYER_OF = { site: INTERACTIVE.sites, grid: INTERACTIVE.grids, gap: INTERACTIVE.gaps, activity: INTERACTIVE.activity, area: INTERACTIVE.areas };
const DEFAULT_KINDS = ['site', 'grid', 'gap', 'activity', 'area'];

/**
 * Wires hover and click handlers.
 *   kinds(): the kinds a click may select, in priority order (the current view decides: hexagons in
 *            the heatmap, zones in siting, grids in the grid view);
 *   onClick(e, byKind, kind, feature): the view's part; true = it handled the click (and any popup);
 *   describeZone(zoneValue): { rank, street, community } of a gap cell's zone, or null.
 * Returns { refresh, show, close }.
 */
export function initInteraction(map, { onClick, kinds, describeZone } = {}) {
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
    const order = ((kinds && kinds()) || DEFAULT_KINDS)
      .map((k) => [k, LAYER_OF[k]])
      .filter(([, l]) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    const feats = order.length ? map.queryRenderedFeatures(e.point, { layers: order.map(([, l]) => l) }) : [];
    const byKind = Object.fromEntries(order.map(([k, l]) => [k, feats.find((f) => f.layer.id === l)]));
    const hit = order.find(([k]) => byKind[k]);
    const kind = hit ? hit[0] : null;
    // The views get the click in WGS-84 (datum.js), as the server and the URL want it.
    if (onClick && onClick(eventFromMap(e), byKind, kind, kind && byKind[kind])) return; // the view took the click
    if (!kind) return;
    const f = byKind[kind];
    open = { kind, props: f.properties };
    popup.setLngLat(kind === 'site' && f.geometry.type === 'Point' ? f.geometry.coordinates : e.lngLat);
    popup.setHTML(String(render())).addTo(map);
  });
  popup.on('close', () => (open = null));

  // "Show catchment" in a site's popup: the site's catchment (GET /api/sites/{ext_id}/catchment?by=ext_id,
  // WGS-84) drawn shifted onto the basemap; it stays until another site's replaces it.
  document.addEventListener('click', async (e) => {
    const b = e.target.closest && e.target.closest('[data-catchment]');
    if (!b) return;
    b.disabled = true;
    try {
      const f = await getJSON(`/api/sites/${encodeURIComponent(b.dataset.catchment)}/catchment?by=ext_id`);
      map.getSource(CATCHMENT_SOURCE)?.setData(featuresToMap({ type: 'FeatureCollection', features: [f] }));
      catchmentShown = { id: b.dataset.catchment, cells: f.properties?.cells ?? 0, mode: f.properties?.mode };
      if (open && popup.isOpen()) popup.setHTML(String(render()));
    } catch (err) {
      b.disabled = false;
      console.warn('hexcover: catchment', err.message);
    }
  });

  function render() {
    if (open.kind === 'gap') return gapHtml(open.props, describeZone ? describeZone(open.props.zone, open.props) : null);
    return RENDER[open.kind](open.props);
  }

  return {
    refresh() {
      if (open && popup.isOpen()) popup.setHTML(String(render()));
    },
    /** Opens a popup with given HTML at a WGS-84 position (the views use it for gap zones and picks). */
    show(lngLat, body) {
      open = null;
      popup.setLngLat(toMap(lngLat)).setHTML(String(body)).addTo(map);
    },
    close() {
      popup.remove();
    },
  };
}
