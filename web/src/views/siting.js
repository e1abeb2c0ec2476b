// Gaps and siting view (planners; read-only ranked gap zones for leaders): k, candidate kinds,
// run; hand-added / removed sites; numbered markers; scenarios side by side; CSV / GeoJSON export.
// The selected zone (gap=rank) and the last run (run=request) live in the URL: reload restores
// them and the back button steps back through them.

import { Marker } from 'maplibre-gl';
import { getJSON, postJSON } from '../api.js';
import { fromMap, toMap } from '../datum.js';
import { SITE_KINDS } from '../config.js';
import { html } from '../html.js';
import { MEASURE_UNITS, formatNumber, measureLabel, t, tValue } from '../i18n.js';
import { row, table } from '../popups.js';
import { apiFilters, setState, state } from '../state.js';
import { $, areaName, listSep, circle, csvText, download, errBox, errText, fmt1, geometryBbox, loading, pct, round } from './common.js';

/** Limits of the siting request, the server's (POST /api/siting answers 400 outside them; max_k in its result).
 * The page states them and refuses to run outside them; it never changes k behind the user's back. */
export const K_MIN = 1;
export const K_MAX = 200;
const DEFAULT_KINDS = ['fuel_station', 'candidate'];

/** Tile zone value (the zone's lowest cell as a number) of an /api/gaps zone id (hex). */
function zoneNumber(id) {
  try {
    return Number(BigInt(`0x${id}`));
  } catch {
    return NaN;
  }
}

/** Names of the streets / communities a zone touches (all of them when the server lists them). */
const zoneNames = (p, many, one) => (Array.isArray(p[many]) && p[many].length ? p[many] : p[one] ? [p[one]] : []).map(areaName).filter(Boolean);

/** ctx: { map, canSite, canSaveScenarios, popups, isCurrent, fitBbox, setFocus, setRadius } (see views.js). */
export function createSiting(ctx) {
  const { map, canSite, popups } = ctx;
  const root = $('#view-siting');
  let gaps = null;
  let gapsError = null;
  let gapsFor = null;
  let selectedGap = null;
  let k = 3;
  let kMsg = null;
  let kinds = new Set(DEFAULT_KINDS);
  const added = []; // {lng, lat, kind, name}
  const removed = new Map(); // ext id -> {name, lng, lat}
  let editing = false;
  let result = null;
  let resultError = null;
  let runMsg = null;
  let running = false;
  let scenarios = null;
  let scenarioMsg = null;
  let compare = null; // {name, baseline, scenario, stale}
  let markers = [];

  const canSaveScenarios = () => ctx.canSaveScenarios;
  const unitOf = (metric) => t(MEASURE_UNITS[metric === 'riders' ? 'riders' : 'rider_hours']);

  function gapRows() {
    if (gapsError) return errBox(gapsError);
    if (!gaps) return loading();
    if (!(gaps.total_demand > 0)) return html`<p class="muted" id="gaps-nodata"><b class="nodata">${t('status.nodata')}</b> ${t('nodata.hint')}</p>`;
    if (!gaps.features.length) return html`<p class="muted">${t('gaps.none')}</p>`;
    const unit = unitOf(gaps.metric);
    const items = gaps.features.map((f, i) => {
      const p = f.properties;
      const streets = zoneNames(p, 'streets', 'street');
      const communities = zoneNames(p, 'communities', 'community');
      return html`<li><button type="button" class="list-item${selectedGap === i && ' selected'}" data-gap="${i}">
          <span class="rank">${p.rank ?? i + 1}</span>
          <span class="grow"><b>${streets.join(listSep())}</b> · ${communities.join(listSep())}<br/>
          <span class="muted small">${t(gaps.metric === 'riders' ? 'gaps.line.riders' : 'gaps.line', { measure: t('metric.rider_hours'), demand: fmt1(p.demand), unit, riders: formatNumber(p.riders), area: fmt1(p.area_km2), dist: p.nearest_site ? formatNumber(p.nearest_site.distance_m) : '—' })}${gaps.metric !== 'riders' && gaps.days > 0 && Number.isFinite(p.demand_per_day) ? ` · ${t('siting.perday', { value: fmt1(p.demand_per_day), unit })}` : ''}</span></span></button></li>`;
    });
    return html`<ol class="list" id="gap-list">${items}</ol>`;
  }

  function gapFigures(p) {
    const metric = p.metric || (gaps && gaps.metric);
    return table(t('gaps.zone.title', { rank: p.rank ?? '' }), [
      row('popup.street', zoneNames(p, 'streets', 'street').join(listSep()) || t('popup.unknown')),
      row('popup.community', zoneNames(p, 'communities', 'community').join(listSep()) || t('popup.unknown')),
      ...(metric === 'riders' ? [] : [row('measure.rider_hours', fmt1(p.demand))]),
      row('measure.riders', formatNumber(p.riders)),
      row('measure.dwell', fmt1(p.dwell_hours)),
      row('popup.area_km2', fmt1(p.area_km2)),
      row('popup.cells', formatNumber(p.cells)),
      ...(p.radius_m ? [row('gaps.zone.station', t('gaps.zone.station.value', { span: formatNumber(p.span_m), radius: formatNumber(p.radius_m) }))] : []),
      row('popup.nearest', p.nearest_site ? `${p.nearest_site.name} (${formatNumber(p.nearest_site.distance_m)} m)` : t('popup.unknown')),
      row('popup.candidates_in', formatNumber((p.candidates || []).length)),
    ]);
  }

  /** The pick's gain with its unit, the gap zones it covers (closed ones marked) and the riders or rider-hours it reaches. */
  function pickLine(p, unit, metric) {
    let line = t('siting.gain', { gain: fmt1(p.gain), unit, pct: pct(p.gain_pct), cum: pct(p.cumulative_pct) });
    if (Number.isFinite(p.gain_per_day)) line += ` · ${t('siting.perday', { value: fmt1(p.gain_per_day), unit })}`;
    const zones = Array.isArray(p.zones)
      ? p.zones
          .filter((z) => z && z.rank !== undefined && z.rank !== null)
          .map((z) => (z.closed ? t('siting.zone.closed', { rank: z.rank }) : t('siting.zone.part', { rank: z.rank, pct: pct(z.covered_pct) })))
      : [];
    if (zones.length) line += ` · ${t('siting.closes', { zones: zones.join(listSep()) })}`;
    if (Number.isFinite(p.riders)) line += ` · ${t('siting.reaches', { riders: formatNumber(p.riders) })}`;
    else if (metric === 'riders' && Number.isFinite(p.rider_hours)) line += ` · ${t('siting.reaches.rh', { rh: fmt1(p.rider_hours), unit: t(MEASURE_UNITS.rider_hours) })}`;
    return p.gain > 0 ? line : `${line} — ${t('siting.zerogain')}`;
  }

  function resultHtml() {
    if (resultError) return errBox(resultError);
    if (running && !result) return loading();
    if (!result) return '';
    if (result.total_demand === 0) return html`<p class="msg" id="siting-result"><b class="nodata">${t('status.nodata')}</b> ${t('nodata.hint')}</p>`;
    const unit = unitOf(result.metric);
    const picks = (result.picks || []).map(
      (p) =>
        html`<li><button type="button" class="list-item${!(p.gain > 0) && ' zero'}" data-pick="${p.rank}"><span class="rank pick">${p.rank}</span><span class="grow"><b>${p.name || tValue('kind', p.kind)}</b> · ${tValue('kind', p.kind)}<br/><span class="muted small">${pickLine(p, unit, result.metric)}</span></span></button></li>`,
    );
    const removedSites = result.removed_sites || [];
    const removedLine =
      result.removed && result.removed.length
        ? html`<div class="msg" id="removed-loss"><p>${t('siting.removed', {
            n: formatNumber(result.removed.length),
            base: pct(result.base_pct ?? (gaps && gaps.coverage_pct)),
            before: pct(result.before_pct),
            loss: fmt1(result.loss_pct ?? Math.max(0, (gaps ? gaps.coverage_pct : result.before_pct) - result.before_pct)),
          })}</p>${
            removedSites.length > 0 &&
            html`<ul class="edits">${removedSites.map(
              (r) => html`<li class="removed" data-removed-site="${r.id}">－ <s>${r.name || r.id}</s> ${t('siting.removed.loss', { loss: fmt1(r.loss), unit, pct: pct(r.loss_pct) })}</li>`,
            )}</ul>`
          }</div>`
        : '';
    // Kinds asked for that offer no candidate: the reason they add nothing.
    const noneKinds = (result.candidate_kinds || []).filter((c) => c.candidates === 0).map((c) => tValue('kind', c.kind));
    const kindsLine = noneKinds.length > 0 && html`<p class="msg" id="kinds-none">${t('siting.kind.none', { kinds: noneKinds.join(listSep()) })}</p>`;
    const fewLine = (result.picks || []).length > 0 && result.picks.length < result.k && html`<p class="msg" id="few-picks">${t('siting.few', { n: formatNumber(result.picks.length), k: formatNumber(result.k) })}</p>`;
    const save = canSaveScenarios()
      ? html`<div class="row"><input id="scenario-name" type="text" placeholder="${t('scenario.name')}" aria-label="${t('scenario.name')}"/><button type="button" class="btn" id="save-scenario">${t('scenario.save')}</button></div>`
      : '';
    return html`<div id="siting-result" class="result">
      <p class="kpi"><span title="${t('def.coverage')}">${t('siting.before')}</span> <b id="coverage-before">${pct(result.before_pct)}</b> → <span>${t('siting.after')}</span> <b id="coverage-after">${pct(result.after_pct)}</b></p>
      ${removedLine}${kindsLine}${fewLine}
      <p class="muted small" title="${t('def.bound')}">${t('siting.bound', { gain: fmt1(result.gain), unit, bound: pct(result.upper_bound_pct) })}${Number.isFinite(result.gain_per_day) ? ` · ${t('siting.perday', { value: fmt1(result.gain_per_day), unit })}` : ''}</p>
      ${(result.picks || []).length === 0 && html`<p class="msg" id="no-picks">${t('siting.nopicks')}</p>`}
      <ol class="list" id="pick-list">${picks}</ol>
      <div class="row">
        <button type="button" class="btn" id="export-csv">${t('siting.csv')}</button>
        <button type="button" class="btn" id="export-geojson">${t('siting.geojson')}</button>
      </div>
      ${save}
    </div>`;
  }

  /** Baseline of a saved scenario and the same request on today's data, side by side. */
  function compareHtml() {
    if (!compare) return '';
    const b = compare.baseline || {};
    const s = compare.scenario || {};
    const r = (label, x, y) => html`<tr><th scope="row">${label}</th><td class="num">${x}</td><td class="num">${y}</td></tr>`;
    return html`<table class="data compare" id="scenario-compare"><thead><tr><th>${compare.name}</th><th class="num">${t('scenario.col.saved')}</th><th class="num">${t('scenario.col.now')}</th></tr></thead><tbody>
      ${r(t('heat.coverage'), pct(b.coverage_pct), pct(s.coverage_pct))}
      ${r(measureLabel(compare.metric === 'riders' ? 'riders' : 'rider_hours'), fmt1(b.covered_demand), fmt1(s.covered_demand))}
      ${r(t('scenario.row.total'), fmt1(b.total_demand), fmt1(s.total_demand))}
      </tbody></table>${compare.stale && html`<p class="muted small">${t('scenario.stale')}</p>`}`;
  }

  function controlsHtml() {
    if (!canSite) return '';
    const kindBoxes = SITE_KINDS.map(
      (s) => html`<label class="check"><input type="checkbox" data-kind="${s.kind}" ${kinds.has(s.kind) && 'checked'}/> <span>${tValue('kind', s.kind)}</span></label>`,
    );
    const edits = [
      ...added.map((a, i) => html`<li>＋ ${a.name} <button type="button" class="btn-x" data-unadd="${i}" aria-label="${t('siting.undo')}">×</button></li>`),
      ...[...removed].map(([id, r]) => html`<li class="removed">－ <s>${r.name || id}</s> <button type="button" class="btn-x" data-unremove="${id}" aria-label="${t('siting.undo')}">×</button></li>`),
    ];
    const scen =
      scenarios && scenarios.length
        ? html`<div class="row"><select id="scenario-list" aria-label="${t('scenario.list')}">${scenarios.map((s) => html`<option value="${s.id}">${s.name}</option>`)}</select><button type="button" class="btn" id="open-scenario">${t('scenario.open')}</button></div>`
        : html`<p class="muted small">${t('scenario.none')}</p>`;
    return html`<h3>${t('siting.title')}</h3>
      <label class="field inline"><span>${t('siting.k', { min: K_MIN, max: K_MAX })}</span><input id="siting-k" type="number" min="${K_MIN}" max="${K_MAX}" step="1" value="${Number.isFinite(k) ? k : ''}"/></label>
      ${kMsg && html`<p class="msg" id="k-limit" role="status">${kMsg}</p>`}
      <div class="field"><span>${t('siting.kinds')}</span><div class="checks">${kindBoxes}</div></div>
      <label class="check"><input type="checkbox" id="edit-mode" ${editing && 'checked'}/> <span>${t('siting.edit')}</span></label>
      ${editing && html`<p class="muted small">${t('siting.edit.hint')}</p>`}
      ${edits.length > 0 && html`<ul class="edits" id="siting-edits">${edits}</ul>`}
      <button type="button" class="btn btn-primary" id="run-siting" ${running && 'disabled'}>${t('siting.run')}</button>
      ${runMsg && html`<p class="msg msg-error" id="run-msg" role="alert">${runMsg}</p>`}
      ${resultHtml()}
      ${scenarioMsg && html`<p class="msg">${scenarioMsg}</p>`}
      <h3>${t('scenario.title')}</h3>${scen}${compareHtml()}`;
  }

  function render() {
    const total = gaps && gaps.total_demand > 0 && html` <span class="muted small">${t('gaps.total', { zones: formatNumber(gaps.gap_zones ?? gaps.features.length), pct: pct(gaps.coverage_pct) })}</span>`;
    root.innerHTML = html`<h2>${t(canSite ? 'view.siting' : 'view.siting.readonly')}</h2>
      ${!canSite && html`<p class="muted small">${t('gaps.readonly')}</p>`}
      <h3>${t('gaps.title')}${total}</h3>
      ${gapRows()}
      ${controlsHtml()}`;
  }

  async function loadGaps(force) {
    const q = new URLSearchParams({ limit: '20', ...apiFilters() }).toString();
    if (!force && gapsFor === q) return;
    gapsFor = q;
    gaps = null;
    gapsError = null;
    selectedGap = null;
    render();
    try {
      const g = await getJSON(`/api/gaps?${q}`);
      if (gapsFor === q) gaps = g;
    } catch (err) {
      if (gapsFor === q) gapsError = err;
    }
    render();
    if (gaps && state.gap) selectGap(gaps.features.findIndex((f) => String(f.properties.rank) === state.gap), { fly: true, push: false });
  }

  async function loadScenarios() {
    if (!canSite) return;
    try {
      scenarios = await getJSON('/api/scenarios');
    } catch (err) {
      scenarios = [];
      scenarioMsg = errText(err);
    }
    render();
  }

  function request() {
    const body = { k, candidates: [...kinds], ...apiFilters() };
    if (added.length) body.add = added.map((a) => ({ ...a }));
    if (removed.size) body.remove = [...removed.keys()];
    return body;
  }

  // ---------- the run in the URL: run={k, c: kinds, a: [[lng, lat, name, kind]], r: [[id, name, lng, lat]]} ----------
  function encodeRun() {
    const r = { k, c: [...kinds] };
    if (added.length) r.a = added.map((a) => [a.lng, a.lat, a.name, a.kind]);
    if (removed.size) r.r = [...removed].map(([id, x]) => [id, x.name, x.lng, x.lat]);
    return JSON.stringify(r);
  }
  function decodeRun(s) {
    let r;
    try {
      r = JSON.parse(s);
    } catch {
      return false;
    }
    if (!r || typeof r !== 'object') return false;
    k = Number.isInteger(Number(r.k)) ? Number(r.k) : k;
    kMsg = k >= K_MIN && k <= K_MAX ? null : t('siting.k.limit', { value: r.k, min: K_MIN, max: K_MAX });
    kinds = new Set(Array.isArray(r.c) ? r.c.map(String) : DEFAULT_KINDS);
    added.length = 0;
    for (const a of Array.isArray(r.a) ? r.a : []) {
      if (Array.isArray(a) && Number.isFinite(a[0]) && Number.isFinite(a[1])) added.push({ lng: a[0], lat: a[1], name: String(a[2] ?? ''), kind: String(a[3] || 'rest_station') });
    }
    removed.clear();
    for (const x of Array.isArray(r.r) ? r.r : []) if (Array.isArray(x)) removed.set(String(x[0]), { name: String(x[1] ?? x[0]), lng: x[2], lat: x[3] });
    return true;
  }

  function clearMarkers() {
    for (const m of markers) m.remove();
    markers = [];
  }

  function addedMarker(a) {
    const el = document.createElement('div');
    el.className = 'pick-marker added';
    el.textContent = '+';
    markers.push(new Marker({ element: el }).setLngLat(toMap([a.lng, a.lat])).addTo(map));
  }

  /** Removed sites: a grey, struck-through marker where each was. */
  function removedMarker(id, r) {
    if (!Number.isFinite(r.lng) || !Number.isFinite(r.lat)) return;
    const el = document.createElement('div');
    el.className = 'pick-marker removed';
    el.textContent = '×';
    el.dataset.removed = id;
    el.title = t('siting.removed.marker', { name: r.name || id }) + (Number.isFinite(r.loss) ? ` ${t('siting.removed.loss', { loss: fmt1(r.loss), unit: unitOf(result && result.metric), pct: pct(r.loss_pct) })}` : '');
    markers.push(new Marker({ element: el }).setLngLat(toMap([r.lng, r.lat])).addTo(map));
  }

  function drawResult() {
    clearMarkers();
    const radius = [];
    for (const p of (result && result.picks) || []) {
      const el = document.createElement('button');
      el.type = 'button';
      el.className = `pick-marker${p.gain > 0 ? '' : ' zero'}`;
      el.textContent = String(p.rank);
      el.dataset.rank = p.rank;
      el.title = p.name || tValue('kind', p.kind);
      el.addEventListener('click', (e) => {
        e.stopPropagation();
        showPick(p);
      });
      markers.push(new Marker({ element: el }).setLngLat(toMap([p.lng, p.lat])).addTo(map));
      if (p.radius_m) radius.push(circle([p.lng, p.lat], p.radius_m));
    }
    for (const a of added) {
      if (result && (result.picks || []).some((p) => Math.abs(p.lng - a.lng) < 1e-7 && Math.abs(p.lat - a.lat) < 1e-7)) continue;
      addedMarker(a);
    }
    const fromResult = new Map(((result && result.removed_sites) || []).map((r) => [r.id, r]));
    for (const [id, r] of fromResult) removedMarker(id, r);
    for (const [id, r] of removed) if (!fromResult.has(id)) removedMarker(id, r);
    ctx.setRadius(radius);
  }

  function showPick(p) {
    const unit = unitOf(result && result.metric);
    popups.show(
      [p.lng, p.lat],
      table(`${p.rank}. ${p.name || tValue('kind', p.kind)}`, [
        row('popup.kind', tValue('kind', p.kind)),
        row('popup.street', areaName(p.street)),
        row('siting.col.gain', `${fmt1(p.gain)} ${unit}`),
        row('siting.col.gainpct', pct(p.gain_pct)),
        row('siting.col.cum', pct(p.cumulative_pct)),
        row('popup.radius', `${formatNumber(p.radius_m)} m`),
        ...((p.zones || []).length ? [row('siting.col.zones', p.zones.map((z) => (z.closed ? t('siting.zone.closed', { rank: z.rank }) : t('siting.zone.part', { rank: z.rank, pct: pct(z.covered_pct) }))).join(listSep()))] : []),
        ...(Number.isFinite(p.riders) ? [row('siting.col.riders', formatNumber(p.riders))] : []),
        ...(p.gain > 0 ? [] : [row('siting.col.why', t('siting.zerogain'))]),
      ]),
    );
  }

  async function run({ push = true } = {}) {
    runMsg = null;
    if (!(k >= K_MIN && k <= K_MAX)) {
      runMsg = t('siting.k.limit', { value: k, min: K_MIN, max: K_MAX });
      render();
      return;
    }
    if (kinds.size === 0 && added.length === 0) {
      // The server would fall back to its default kinds: say so instead of running something else.
      runMsg = t('siting.nokinds');
      result = null;
      drawResult();
      render();
      return;
    }
    running = true;
    resultError = null;
    scenarioMsg = null;
    compare = null;
    setState({ run: encodeRun() }, { push });
    render();
    try {
      result = await postJSON('/api/siting', request());
    } catch (err) {
      result = null;
      resultError = err;
    }
    running = false;
    drawResult();
    render();
  }

  /** Picks as CSV: one header row with units in the names, rounded figures, no comment rows. */
  function exportCSV() {
    const unit = result.metric === 'riders' ? 'riders' : 'rider_hours';
    const rows = [['rank', 'id', 'name', 'kind', 'status', 'lng', 'lat', 'radius_m', `gain_${unit}`, 'gain_pct', 'cumulative_pct', `gain_${unit}_per_day`, 'rider_hours_reached', 'riders_reached', 'gap_zones', 'gap_zones_closed', 'street_code', 'street_name']];
    for (const p of result.picks || []) {
      const zones = p.zones || [];
      rows.push([
        p.rank, p.id, p.name, p.kind, p.status, round(p.lng, 6), round(p.lat, 6), round(p.radius_m), round(p.gain, 1), round(p.gain_pct, 1), round(p.cumulative_pct, 1),
        Number.isFinite(p.gain_per_day) ? round(p.gain_per_day, 1) : '', round(p.rider_hours, 1), Number.isFinite(p.riders) ? p.riders : '',
        zones.map((z) => z.rank).join(' '), zones.filter((z) => z.closed).map((z) => z.rank).join(' '), p.street?.code, p.street?.name,
      ]);
    }
    download('hexcover-siting.csv', csvText(rows), 'text/csv;charset=utf-8');
  }

  function exportGeoJSON() {
    const fc = {
      type: 'FeatureCollection',
      properties: { k: result.k, metric: result.metric, before_pct: result.before_pct, after_pct: result.after_pct, request: request() },
      features: (result.picks || []).map((p) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [p.lng, p.lat] },
        properties: { ...p, street: p.street?.code },
      })),
    };
    download('hexcover-siting.geojson', JSON.stringify(fc, null, 1), 'application/geo+json');
  }

  async function saveScenario() {
    const name = ($('#scenario-name').value || '').trim() || `${t('scenario.default')} ${new Date().toLocaleString()}`;
    try {
      const s = await postJSON('/api/scenarios', { name, request: request() });
      scenarioMsg = t('scenario.saved', { name: s.name });
      await loadScenarios();
    } catch (err) {
      scenarioMsg = errText(err);
      render();
    }
  }

  async function openScenario(id) {
    try {
      const s = await getJSON(`/api/scenarios/${encodeURIComponent(id)}`);
      const r = s.request || {};
      k = r.k || k;
      kinds = new Set(r.candidates || []);
      added.length = 0;
      for (const a of r.add || []) if (a && typeof a === 'object') added.push(a);
      removed.clear();
      for (const id2 of r.remove || []) removed.set(String(id2), { name: String(id2) });
      result = s.result || null;
      scenarioMsg = t('scenario.opened', { name: s.name });
      compare = null;
      drawResult();
      setState({ run: encodeRun() }, { push: true });
      try {
        const c = await getJSON(`/api/scenarios/${encodeURIComponent(id)}/compare`);
        compare = { name: s.name, metric: r.metric, baseline: c.baseline, scenario: c.scenario, stale: c.stale };
      } catch {
        // the comparison is optional
      }
    } catch (err) {
      scenarioMsg = errText(err);
    }
    render();
  }

  /** Selects the i-th listed zone: list, outline, popup; fly: fit the map to it. */
  function selectGap(i, { fly = true, push = true, lngLat = null } = {}) {
    if (!gaps || i < 0 || i >= gaps.features.length) return false;
    selectedGap = i;
    const f = gaps.features[i];
    ctx.setFocus(f.geometry);
    if (fly) ctx.fitBbox(geometryBbox(f.geometry), 15);
    const c = lngLat || f.properties.centroid;
    if (c) popups.show(c, gapFigures(f.properties));
    setState({ gap: String(f.properties.rank ?? i + 1) }, { push });
    render();
    return true;
  }

  /** The listed zone a gap tile cell belongs to (tiles carry zone = the zone's lowest cell, or zone_rank). */
  function zoneIndex(zone, props) {
    if (!gaps) return -1;
    if (props && props.zone_rank !== undefined) return gaps.features.findIndex((f) => Number(f.properties.rank) === Number(props.zone_rank));
    if (zone === undefined || zone === null) return -1;
    return gaps.features.findIndex((f) => zoneNumber(f.properties.id || f.id) === Number(zone) || String(f.properties.id || f.id) === String(zone));
  }

  root.addEventListener('click', (e) => {
    const g = e.target.closest('[data-gap]');
    if (g && gaps) {
      selectGap(Number(g.dataset.gap));
      return;
    }
    const pk = e.target.closest('[data-pick]');
    if (pk && result) {
      const p = result.picks.find((x) => String(x.rank) === pk.dataset.pick);
      if (p) {
        map.flyTo({ center: toMap([p.lng, p.lat]), zoom: Math.max(map.getZoom(), 14) });
        showPick(p);
      }
      return;
    }
    if (e.target.id === 'run-siting') run();
    else if (e.target.id === 'export-csv') exportCSV();
    else if (e.target.id === 'export-geojson') exportGeoJSON();
    else if (e.target.id === 'save-scenario') saveScenario();
    else if (e.target.id === 'open-scenario') openScenario($('#scenario-list').value);
    else if (e.target.dataset.unadd !== undefined) {
      added.splice(Number(e.target.dataset.unadd), 1);
      drawResult();
      render();
    } else if (e.target.dataset.unremove !== undefined) {
      removed.delete(e.target.dataset.unremove);
      drawResult();
      render();
    }
  });
  root.addEventListener('change', (e) => {
    if (e.target.id === 'siting-k') {
      const v = Number(e.target.value);
      k = Number.isInteger(v) ? v : NaN;
      kMsg = k >= K_MIN && k <= K_MAX ? null : t('siting.k.limit', { value: e.target.value, min: K_MIN, max: K_MAX });
      render();
    } else if (e.target.dataset.kind) {
      if (e.target.checked) kinds.add(e.target.dataset.kind);
      else kinds.delete(e.target.dataset.kind);
    } else if (e.target.id === 'edit-mode') {
      editing = e.target.checked;
      map.getCanvas().style.cursor = editing ? 'crosshair' : '';
      render();
    }
  });

  return {
    open() {
      render();
      loadGaps(false);
      if (canSite && scenarios === null) loadScenarios();
      if (canSite && state.run && !result && !running && decodeRun(state.run)) run({ push: false });
    },
    filtersChanged() {
      if (ctx.isCurrent('siting')) loadGaps(false);
      else gapsFor = null;
    },
    render,
    /** Back / forward: follow gap= and run= of the restored URL. */
    restore() {
      if (!ctx.isCurrent('siting')) return;
      const i = gaps && state.gap ? gaps.features.findIndex((f) => String(f.properties.rank) === state.gap) : -1;
      if (i >= 0) selectGap(i, { push: false });
      else if (selectedGap !== null) {
        selectedGap = null;
        ctx.setFocus(null);
        render();
      }
      if (canSite && state.run && state.run !== encodeRun() && decodeRun(state.run)) run({ push: false });
      else if (canSite && !state.run && result) {
        result = null;
        drawResult();
        render();
      }
    },
    setEditing(on) {
      if (editing === on) return;
      editing = on;
      map.getCanvas().style.cursor = '';
    },
    /** A gap cell clicked in this view selects its zone (rank and names), when it is listed. */
    clickZone(e, feature) {
      const i = zoneIndex(feature.properties.zone, feature.properties);
      if (i < 0) return false; // the cell's own popup says the zone is not among the listed ones
      return selectGap(i, { fly: false, lngLat: e.lngLat });
    },
    describeZone(zone, props) {
      const i = zoneIndex(zone, props);
      if (i < 0) return null;
      const p = gaps.features[i].properties;
      return { rank: p.rank ?? i + 1, street: zoneNames(p, 'streets', 'street').join(listSep()), community: zoneNames(p, 'communities', 'community').join(listSep()) };
    },
    /** Map click while editing: remove an existing site, or add a new one at the point. */
    click(e, hit) {
      if (!ctx.isCurrent('siting') || !editing || !canSite) return false;
      const s = hit.site;
      if (s && s.properties.status === 'existing') {
        const id = String(s.properties.id);
        if (removed.has(id)) removed.delete(id);
        else {
          const [lng, lat] = s.geometry.type === 'Point' ? fromMap(s.geometry.coordinates) : [e.lngLat.lng, e.lngLat.lat]; // tiles draw in the basemap's datum
          removed.set(id, { name: s.properties.name || id, lng, lat });
        }
      } else {
        const n = added.length + 1;
        added.push({ lng: +e.lngLat.lng.toFixed(6), lat: +e.lngLat.lat.toFixed(6), kind: 'rest_station', name: `${t('siting.newsite')} ${n}` });
      }
      drawResult();
      render();
      return true;
    },
  };
}
