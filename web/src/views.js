// The three views of the side bar: heatmap (district leaders), gaps and siting (planners),
// grids (grid managers). Each renders from its own state and re-renders on a language change.

import { Marker } from 'maplibre-gl';
import { getJSON, postJSON } from './api.js';
import { ALL_VIEWS, HOUR_PRESETS, METRIC_KEYS, ROLE_VIEWS, SITE_KINDS, SITING_ROLES } from './config.js';
import { formatNumber, getLang, t, tValue } from './i18n.js';
import { PICKS_SOURCE } from './mapstyle.js';
import { esc, row, table } from './popups.js';
import { apiFilters, hoursParam, setState, state } from './state.js';

const $ = (sel) => document.querySelector(sel);
const fmt1 = (n) => formatNumber(n, { maximumFractionDigits: 1 });
const pct = (n) => (Number.isFinite(Number(n)) && n !== null ? `${formatNumber(n, { maximumFractionDigits: 1 })}%` : t('popup.unknown'));
const areaName = (a) => (a ? (getLang() === 'en' ? a.name_en || a.name : a.name || a.name_en) || a.code || '' : '');

/** Message for a failed call: 403 → a clear "not allowed", otherwise the server's message. */
function errText(err) {
  if (err && err.status === 403) return t('error.forbidden');
  if (err && err.status === 401) return t('auth.expired');
  return t('error.api', { message: err && err.message ? err.message : String(err) });
}
const errBox = (err) => `<p class="msg msg-error" role="alert">${esc(errText(err))}</p>`;

function download(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 0);
}

function csvCell(v) {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Circle polygon (64 vertices) of radius m metres around [lng, lat]. */
function circle([lng, lat], m) {
  const ring = [];
  const dLat = m / 111320;
  const dLng = m / (111320 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lng + dLng * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

export function createViews({ map, me, popups, applyFilters, setGroupVisible, isGroupVisible }) {
  const role = me.role;
  const views = ROLE_VIEWS[role] || ['heatmap'];
  const canSite = SITING_ROLES.includes(role);
  let current = views.includes(state.view) ? state.view : views[0];

  // ---------- tabs ----------
  function renderTabs() {
    $('#view-tabs').innerHTML = views
      .map(
        (v) =>
          `<button type="button" role="tab" class="tab${v === current ? ' active' : ''}" data-view-tab="${v}" aria-selected="${v === current}">${esc(t(`view.${v}${v === 'siting' && !canSite ? '.readonly' : ''}`))}</button>`,
      )
      .join('');
  }
  $('#view-tabs').addEventListener('click', (e) => {
    const b = e.target.closest('[data-view-tab]');
    if (b) show(b.dataset.viewTab);
  });

  function show(v) {
    if (!views.includes(v)) v = views[0];
    current = v;
    setState({ view: v });
    for (const name of ALL_VIEWS) $(`#view-${name}`).hidden = name !== v;
    document.body.dataset.view = v;
    renderTabs();
    if (v === 'heatmap') heat.open();
    if (v === 'siting') siting.open();
    if (v === 'grids') grids.open();
    if (v !== 'siting') siting.setEditing(false);
  }

  // ---------- focus outline (selected gap zone or grid) ----------
  const picksData = { focus: null, radius: [] };
  function pushPicks() {
    const features = [];
    if (picksData.focus) features.push({ type: 'Feature', geometry: picksData.focus, properties: { role: 'focus' } });
    for (const g of picksData.radius) features.push({ type: 'Feature', geometry: g, properties: { role: 'radius' } });
    const src = map.getSource(PICKS_SOURCE);
    if (src) src.setData({ type: 'FeatureCollection', features });
  }
  function fitBbox(b, maxZoom = 16) {
    if (Array.isArray(b) && b.length === 4) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom, duration: 600 });
  }

  // =====================================================================
  // Heatmap: metric, time of day, coverage overlay, summary per street / community.
  // =====================================================================
  const heat = (() => {
    let summary = null;
    let error = null;
    let loadedFor = null;
    const root = $('#view-heatmap');

    function render() {
      const metricOpts = METRIC_KEYS.map((m) => `<option value="${m}"${m === state.metric ? ' selected' : ''}>${esc(t(`metric.${m}`))}</option>`).join('');
      const tods = HOUR_PRESETS.map(
        (h) => `<button type="button" class="seg${h === state.tod ? ' active' : ''}" data-tod="${h}" aria-pressed="${h === state.tod}">${esc(t(`tod.${h || 'all'}`))}</button>`,
      ).join('');
      const days = ['', 'weekday', 'weekend'].map((d) => `<option value="${d}"${d === state.days ? ' selected' : ''}>${esc(t(`days.${d || 'all'}`))}</option>`).join('');
      const levels = ['street', 'community'].map((l) => `<option value="${l}"${l === state.level ? ' selected' : ''}>${esc(t(`level.${l}`))}</option>`).join('');
      let body;
      if (error) body = errBox(error);
      else if (!summary) body = `<p class="muted">${esc(t('status.loading'))}</p>`;
      else {
        const rows = (summary.rows || [])
          .map(
            (r) =>
              `<tr data-code="${esc(r.code)}" tabindex="0"><td>${esc(areaName(r))}</td><td class="num">${fmt1(r.demand)}</td><td class="num">${pct(r.coverage_pct)}</td><td class="num">${formatNumber(r.gap_zones)}</td></tr>`,
          )
          .join('');
        body = `<p class="kpi"><span>${esc(t('heat.coverage'))}</span> <b id="coverage-total">${pct(summary.coverage_pct)}</b>
          <span class="muted">${esc(t('heat.demand', { demand: fmt1(summary.total_demand), covered: fmt1(summary.covered_demand), unit: t(summary.metric === 'riders' ? 'unit.riders' : 'unit.rider_hours') }))}</span></p>
          <table class="data" id="summary-table"><thead><tr><th>${esc(t(`level.${state.level}`))}</th><th class="num">${esc(t('heat.col.demand'))}</th><th class="num">${esc(t('heat.col.coverage'))}</th><th class="num">${esc(t('heat.col.gaps'))}</th></tr></thead><tbody>${rows}</tbody></table>
          <p class="muted small">${esc(t('heat.rowhint'))}</p>`;
      }
      root.innerHTML = `<h2>${esc(t('view.heatmap'))}</h2>
        <label class="field"><span>${esc(t('heat.metric'))}</span><select id="metric">${metricOpts}</select></label>
        <div class="field"><span>${esc(t('heat.hours'))}</span><div id="tod" class="segmented" role="group">${tods}</div></div>
        <label class="field"><span>${esc(t('heat.days'))}</span><select id="days">${days}</select></label>
        <label class="check"><input type="checkbox" id="coverage-overlay"${isGroupVisible('gaps') ? ' checked' : ''}/> <span>${esc(t('heat.overlay'))}</span></label>
        <div class="row-between"><h3>${esc(t('heat.summary'))}</h3><select id="level" aria-label="${esc(t('heat.level'))}">${levels}</select></div>
        ${body}`;
    }

    root.addEventListener('change', (e) => {
      if (e.target.id === 'metric') {
        setState({ metric: e.target.value });
        filtersChanged();
      } else if (e.target.id === 'days') {
        setState({ days: e.target.value });
        filtersChanged();
      } else if (e.target.id === 'level') {
        setState({ level: e.target.value });
        load(true);
      } else if (e.target.id === 'coverage-overlay') {
        setGroupVisible('gaps', e.target.checked);
      }
    });
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-tod]');
      if (b) {
        setState({ tod: b.dataset.tod });
        filtersChanged();
        return;
      }
      const tr = e.target.closest('tr[data-code]');
      if (tr && summary) {
        const r = summary.rows.find((x) => x.code === tr.dataset.code);
        if (r) {
          for (const x of root.querySelectorAll('tr.selected')) x.classList.remove('selected');
          tr.classList.add('selected');
          fitBbox(r.bbox);
        }
      }
    });
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target.matches('tr[data-code]')) e.target.click();
    });

    async function load(force) {
      const q = new URLSearchParams({ level: state.level, ...apiFilters() }).toString();
      if (!force && loadedFor === q) return;
      loadedFor = q;
      summary = null;
      error = null;
      render();
      try {
        const s = await getJSON(`/api/summary?${q}`);
        if (loadedFor !== q) return;
        summary = s;
      } catch (err) {
        if (loadedFor !== q) return;
        error = err;
      }
      render();
    }

    return {
      open() {
        render();
        load(false);
      },
      render,
      reload: () => (current === 'heatmap' ? load(false) : (loadedFor = null)),
    };
  })();

  function filtersChanged() {
    applyFilters();
    heat.render();
    heat.reload();
    siting.filtersChanged();
  }

  // =====================================================================
  // Gaps and siting: ranked gap zones; k, candidate kinds, run; hand-added / removed sites;
  // numbered markers; scenarios; CSV / GeoJSON export.
  // =====================================================================
  const siting = (() => {
    const root = $('#view-siting');
    let gaps = null;
    let gapsError = null;
    let gapsFor = null;
    let selectedGap = null;
    let k = 3;
    let kinds = new Set(['fuel_station', 'candidate']);
    const added = []; // {lng, lat, kind, name}
    const removed = new Map(); // ext id -> name
    let editing = false;
    let result = null;
    let resultError = null;
    let running = false;
    let scenarios = null;
    let scenarioMsg = null;
    let markers = [];

    function gapRows() {
      if (gapsError) return errBox(gapsError);
      if (!gaps) return `<p class="muted">${esc(t('status.loading'))}</p>`;
      if (!gaps.features.length) return `<p class="muted">${esc(t('gaps.none'))}</p>`;
      return `<ol class="list" id="gap-list">${gaps.features
        .map((f, i) => {
          const p = f.properties;
          return `<li><button type="button" class="list-item${selectedGap === i ? ' selected' : ''}" data-gap="${i}">
            <span class="rank">${p.rank ?? i + 1}</span>
            <span class="grow"><b>${esc(areaName(p.street))}</b> · ${esc(areaName(p.community))}<br/>
            <span class="muted small">${esc(t('gaps.line', { demand: fmt1(p.demand), riders: formatNumber(p.riders), area: fmt1(p.area_km2), dist: p.nearest_site ? formatNumber(p.nearest_site.distance_m) : '—' }))}</span></span></button></li>`;
        })
        .join('')}</ol>`;
    }

    function gapFigures(p) {
      return table(`${t('gaps.zone')} #${p.rank ?? ''}`, [
        row('popup.street', areaName(p.street)),
        row('popup.community', areaName(p.community)),
        row('popup.demand', fmt1(p.demand)),
        row('popup.riders', formatNumber(p.riders)),
        row('popup.dwell', fmt1(p.dwell_hours)),
        row('popup.area_km2', fmt1(p.area_km2)),
        row('popup.cells', formatNumber(p.cells)),
        row('popup.nearest', p.nearest_site ? `${p.nearest_site.name} (${formatNumber(p.nearest_site.distance_m)} m)` : t('popup.unknown')),
        row('popup.candidates_in', formatNumber((p.candidates || []).length)),
      ]);
    }

    function resultHtml() {
      if (resultError) return errBox(resultError);
      if (running && !result) return `<p class="muted">${esc(t('status.loading'))}</p>`;
      if (!result) return '';
      const picks = (result.picks || [])
        .map(
          (p) =>
            `<li><button type="button" class="list-item" data-pick="${p.rank}"><span class="rank pick">${p.rank}</span><span class="grow"><b>${esc(p.name || p.id)}</b> · ${esc(tValue('kind', p.kind))}<br/><span class="muted small">${esc(t('siting.gain', { gain: fmt1(p.gain), pct: pct(p.gain_pct), cum: pct(p.cumulative_pct) }))}</span></span></button></li>`,
        )
        .join('');
      return `<div id="siting-result" class="result">
        <p class="kpi"><span>${esc(t('siting.before'))}</span> <b id="coverage-before">${pct(result.before_pct)}</b> → <span>${esc(t('siting.after'))}</span> <b id="coverage-after">${pct(result.after_pct)}</b></p>
        <p class="muted small">${esc(t('siting.bound', { gain: fmt1(result.gain), bound: pct(result.upper_bound_pct) }))}</p>
        <ol class="list" id="pick-list">${picks}</ol>
        <div class="row">
          <button type="button" class="btn" id="export-csv">${esc(t('siting.csv'))}</button>
          <button type="button" class="btn" id="export-geojson">${esc(t('siting.geojson'))}</button>
        </div>
        ${canSaveScenarios() ? `<div class="row"><input id="scenario-name" type="text" placeholder="${esc(t('scenario.name'))}" aria-label="${esc(t('scenario.name'))}"/><button type="button" class="btn" id="save-scenario">${esc(t('scenario.save'))}</button></div>` : ''}
      </div>`;
    }

    const canSaveScenarios = () => role === 'admin' || role === 'planner';

    function render() {
      let controls = '';
      if (canSite) {
        const kindBoxes = SITE_KINDS.map(
          (s) => `<label class="check"><input type="checkbox" data-kind="${s.kind}"${kinds.has(s.kind) ? ' checked' : ''}/> <span>${esc(tValue('kind', s.kind))}</span></label>`,
        ).join('');
        const edits = [
          ...added.map((a, i) => `<li>＋ ${esc(a.name)} <button type="button" class="btn-x" data-unadd="${i}" aria-label="${esc(t('siting.undo'))}">×</button></li>`),
          ...[...removed].map(([id, name]) => `<li>－ ${esc(name || id)} <button type="button" class="btn-x" data-unremove="${esc(id)}" aria-label="${esc(t('siting.undo'))}">×</button></li>`),
        ].join('');
        const scen = scenarios && scenarios.length
          ? `<div class="row"><select id="scenario-list" aria-label="${esc(t('scenario.list'))}">${scenarios.map((s) => `<option value="${s.id}">${esc(s.name)} (#${s.id})</option>`).join('')}</select><button type="button" class="btn" id="open-scenario">${esc(t('scenario.open'))}</button></div>`
          : `<p class="muted small">${esc(t('scenario.none'))}</p>`;
        controls = `<h3>${esc(t('siting.title'))}</h3>
          <label class="field inline"><span>${esc(t('siting.k'))}</span><input id="siting-k" type="number" min="1" max="50" value="${k}"/></label>
          <div class="field"><span>${esc(t('siting.kinds'))}</span><div class="checks">${kindBoxes}</div></div>
          <label class="check"><input type="checkbox" id="edit-mode"${editing ? ' checked' : ''}/> <span>${esc(t('siting.edit'))}</span></label>
          ${editing ? `<p class="muted small">${esc(t('siting.edit.hint'))}</p>` : ''}
          ${edits ? `<ul class="edits" id="siting-edits">${edits}</ul>` : ''}
          <button type="button" class="btn btn-primary" id="run-siting"${running ? ' disabled' : ''}>${esc(t('siting.run'))}</button>
          ${resultHtml()}
          ${scenarioMsg ? `<p class="msg">${esc(scenarioMsg)}</p>` : ''}
          <h3>${esc(t('scenario.title'))}</h3>${scen}`;
      }
      root.innerHTML = `<h2>${esc(t(canSite ? 'view.siting' : 'view.siting.readonly'))}</h2>
        ${canSite ? '' : `<p class="muted small">${esc(t('gaps.readonly'))}</p>`}
        <h3>${esc(t('gaps.title'))}${gaps ? ` <span class="muted small">${esc(t('gaps.total', { zones: formatNumber(gaps.gap_zones ?? gaps.features.length), pct: pct(gaps.coverage_pct) }))}</span>` : ''}</h3>
        ${gapRows()}
        ${controls}`;
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

    function clearMarkers() {
      for (const m of markers) m.remove();
      markers = [];
      picksData.radius = [];
    }

    function drawResult() {
      clearMarkers();
      if (!result) return pushPicks();
      for (const p of result.picks || []) {
        const el = document.createElement('button');
        el.type = 'button';
        el.className = 'pick-marker';
        el.textContent = String(p.rank);
        el.dataset.rank = p.rank;
        el.title = p.name || p.id;
        el.addEventListener('click', (e) => {
          e.stopPropagation();
          showPick(p);
        });
        markers.push(new Marker({ element: el }).setLngLat([p.lng, p.lat]).addTo(map));
        if (p.radius_m) picksData.radius.push(circle([p.lng, p.lat], p.radius_m));
      }
      for (const a of added) {
        if ((result.picks || []).some((p) => Math.abs(p.lng - a.lng) < 1e-7 && Math.abs(p.lat - a.lat) < 1e-7)) continue;
        const el = document.createElement('div');
        el.className = 'pick-marker added';
        el.textContent = '+';
        markers.push(new Marker({ element: el }).setLngLat([a.lng, a.lat]).addTo(map));
      }
      pushPicks();
    }

    function drawPending() {
      // Show hand-added sites as "+" markers (with the numbered picks of the last run).
      if (result) return drawResult();
      clearMarkers();
      for (const a of added) {
        const el = document.createElement('div');
        el.className = 'pick-marker added';
        el.textContent = '+';
        markers.push(new Marker({ element: el }).setLngLat([a.lng, a.lat]).addTo(map));
      }
      pushPicks();
    }

    function showPick(p) {
      popups.show(
        [p.lng, p.lat],
        table(`${p.rank}. ${p.name || p.id}`, [
          row('popup.kind', tValue('kind', p.kind)),
          row('popup.street', areaName(p.street)),
          row('siting.col.gain', fmt1(p.gain)),
          row('siting.col.gainpct', pct(p.gain_pct)),
          row('siting.col.cum', pct(p.cumulative_pct)),
          row('popup.radius', `${formatNumber(p.radius_m)} m`),
        ]),
      );
    }

    async function run() {
      running = true;
      resultError = null;
      scenarioMsg = null;
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

    function exportCSV() {
      const head = ['rank', 'id', 'name', 'kind', 'status', 'lng', 'lat', 'radius_m', 'gain', 'gain_pct', 'cumulative_pct', 'street_code', 'street_name'];
      const lines = [head.join(',')];
      for (const p of result.picks || []) {
        lines.push([p.rank, p.id, p.name, p.kind, p.status, p.lng, p.lat, p.radius_m, p.gain, p.gain_pct, p.cumulative_pct, p.street?.code, p.street?.name].map(csvCell).join(','));
      }
      lines.push(`# coverage before ${result.before_pct}% after ${result.after_pct}% (k=${result.k}, metric=${result.metric})`);
      download('hexcover-siting.csv', '\ufeff' + lines.join('\n') + '\n', 'text/csv;charset=utf-8');
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
        scenarioMsg = t('scenario.saved', { name: s.name, id: s.id });
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
        for (const id2 of r.remove || []) removed.set(String(id2), String(id2));
        result = s.result || null;
        scenarioMsg = t('scenario.opened', { name: s.name });
        drawResult();
        try {
          const c = await getJSON(`/api/scenarios/${encodeURIComponent(id)}/compare`);
          scenarioMsg += ' ' + t('scenario.compare', { base: pct(c.baseline?.coverage_pct), now: pct(c.scenario?.coverage_pct), stale: c.stale ? t('scenario.stale') : '' });
        } catch {
          // the comparison is optional
        }
      } catch (err) {
        scenarioMsg = errText(err);
      }
      render();
    }

    root.addEventListener('click', (e) => {
      const g = e.target.closest('[data-gap]');
      if (g && gaps) {
        selectedGap = Number(g.dataset.gap);
        const f = gaps.features[selectedGap];
        picksData.focus = f.geometry;
        pushPicks();
        const c = f.properties.centroid;
        const coords = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates.flat(1);
        const xs = coords.map((p) => p[0]);
        const ys = coords.map((p) => p[1]);
        fitBbox([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], 15);
        if (c) popups.show(c, gapFigures(f.properties));
        render();
        return;
      }
      const pk = e.target.closest('[data-pick]');
      if (pk && result) {
        const p = result.picks.find((x) => String(x.rank) === pk.dataset.pick);
        if (p) {
          map.flyTo({ center: [p.lng, p.lat], zoom: Math.max(map.getZoom(), 14) });
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
        drawPending();
        render();
      } else if (e.target.dataset.unremove !== undefined) {
        removed.delete(e.target.dataset.unremove);
        render();
      }
    });
    root.addEventListener('change', (e) => {
      if (e.target.id === 'siting-k') k = Math.max(1, Math.min(50, Number(e.target.value) || 1));
      else if (e.target.dataset.kind) {
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
      },
      filtersChanged() {
        if (current === 'siting') loadGaps(false);
        else gapsFor = null;
      },
      render,
      setEditing(on) {
        if (editing === on) return;
        editing = on;
        map.getCanvas().style.cursor = '';
      },
      /** Map click while editing: remove an existing site, or add a new one at the point. */
      click(e, hit) {
        if (current !== 'siting' || !editing || !canSite) return false;
        const s = hit.site;
        if (s && s.properties.status === 'existing') {
          const id = String(s.properties.id);
          if (removed.has(id)) removed.delete(id);
          else removed.set(id, s.properties.name || id);
        } else {
          const n = added.length + 1;
          added.push({ lng: +e.lngLat.lng.toFixed(6), lat: +e.lngLat.lat.toFixed(6), kind: 'rest_station', name: `${t('siting.newsite')} ${n}` });
          drawPending();
        }
        render();
        return true;
      },
    };
  })();

  // =====================================================================
  // Grids: search or click a grid; candidates; propose; accept / decline; roster.
  // =====================================================================
  const grids = (() => {
    const root = $('#view-grids');
    let query = '';
    let results = null;
    let searchError = null;
    let detail = null; // {grid, members, proposals}
    let detailError = null;
    let candidates = null;
    let candError = null;
    let msg = null;
    let searchTimer = null;

    function render() {
      const list = searchError
        ? errBox(searchError)
        : results
          ? results.length
            ? `<ul class="list" id="grid-results">${results
                .map((g) => `<li><button type="button" class="list-item${detail && detail.grid.code === g.code ? ' selected' : ''}" data-grid="${esc(g.code)}"><span class="grow"><b>${esc(g.name)}</b><br/><span class="muted small">${esc(g.code)} · ${esc(t('popup.manager'))} ${esc(g.manager || '—')}</span></span></button></li>`)
                .join('')}</ul>`
            : `<p class="muted">${esc(t('grids.nomatch'))}</p>`
          : '';
      let body = `<p class="muted small">${esc(t('grids.hint'))}</p>`;
      if (detailError) body = errBox(detailError);
      else if (detail) {
        const g = detail.grid;
        const rosterBase = `/api/grids/${encodeURIComponent(g.code)}/roster`;
        const members = detail.members.length
          ? `<ul class="list" id="member-list">${detail.members.map((m) => `<li class="list-row"><span class="grow"><code>${esc(m.rider)}</code> · ${esc(t('grids.score'))} ${fmt1(m.score)}</span><span class="badge ok">${esc(t('assign.accepted'))}</span></li>`).join('')}</ul>`
          : `<p class="muted">${esc(t('grids.nomembers'))}</p>`;
        const props = detail.proposals.length
          ? `<ul class="list" id="proposal-list">${detail.proposals
              .map(
                (p) =>
                  `<li class="list-row" data-assignment="${p.id}"><span class="grow"><code>${esc(p.rider)}</code> · ${esc(t('grids.score'))} ${fmt1(p.score)}</span>
                  <button type="button" class="btn btn-small btn-primary" data-accept="${p.id}">${esc(t('assign.accept'))}</button>
                  <button type="button" class="btn btn-small" data-decline="${p.id}">${esc(t('assign.decline'))}</button></li>`,
              )
              .join('')}</ul>`
          : `<p class="muted">${esc(t('grids.noproposals'))}</p>`;
        let cands;
        if (candError) cands = errBox(candError);
        else if (!candidates) cands = `<p class="muted">${esc(t('status.loading'))}</p>`;
        else if (!candidates.candidates || !candidates.candidates.length) cands = `<p class="muted">${esc(t('grids.nocandidates'))}</p>`;
        else
          cands = `<ol class="list" id="candidate-list">${candidates.candidates
            .map(
              (c) => `<li class="cand"><div class="row-between"><span><span class="rank">${c.rank}</span> <code>${esc(c.rider)}</code></span><b>${fmt1(c.score)}</b></div>
              <div class="muted small">${esc(t('grids.figures', { time: pct(c.time_share * 100), hours: fmt1(c.in_grid_hours), days: formatNumber(c.days_active), total: formatNumber(c.days_total), dwell: pct(c.dwell_share * 100), stab: fmt1(c.stability) }))}</div>
              <div class="small explain">${esc((c.explanation && (c.explanation[getLang()] || c.explanation.zh)) || '')}</div></li>`,
            )
            .join('')}</ol>`;
        body = `<div class="grid-card" id="grid-detail" data-code="${esc(g.code)}">
          <h3>${esc(g.name)}</h3>
          <p class="muted small">${esc(g.code)} · ${esc(t('popup.manager'))} ${esc(g.manager || '—')} · ${esc(t('popup.target'))} ${formatNumber(g.target)}</p>
          <div class="row"><a class="btn btn-small" id="roster-csv" href="${rosterBase}.csv" download>${esc(t('grids.roster.csv'))}</a><a class="btn btn-small" id="roster-geojson" href="${rosterBase}.geojson" download>${esc(t('grids.roster.geojson'))}</a></div>
          ${msg ? `<p class="msg">${esc(msg)}</p>` : ''}
          <h4>${esc(t('grids.members'))}</h4>${members}
          <h4>${esc(t('grids.proposals'))}</h4>${props}
          <div class="row-between"><h4>${esc(t('grids.candidates'))}</h4><button type="button" class="btn btn-small btn-primary" id="propose">${esc(t('assign.propose'))}</button></div>
          ${cands}</div>`;
      }
      root.innerHTML = `<h2>${esc(t('view.grids'))}</h2>
        <label class="field"><span>${esc(t('grids.search'))}</span><input id="grid-search" type="search" value="${esc(query)}" placeholder="${esc(t('grids.search.ph'))}" autocomplete="off"/></label>
        ${list}${body}`;
    }

    async function search(q) {
      query = q;
      try {
        const r = await getJSON(`/api/grids?${new URLSearchParams({ q, limit: '12' })}`);
        if (query !== q) return;
        results = r.grids || [];
        searchError = null;
      } catch (err) {
        searchError = err;
      }
      const focus = document.activeElement && document.activeElement.id === 'grid-search';
      render();
      if (focus) {
        const i = $('#grid-search');
        i.focus();
        i.setSelectionRange(i.value.length, i.value.length);
      }
    }

    async function select(code, { fly = true } = {}) {
      setState({ grid: code });
      detailError = null;
      candError = null;
      candidates = null;
      msg = null;
      try {
        detail = await getJSON(`/api/grids/${encodeURIComponent(code)}`);
      } catch (err) {
        detail = null;
        detailError = err;
        render();
        return;
      }
      if (fly && detail.grid.bounds) fitBbox(detail.grid.bounds, 16);
      const b = detail.grid.bounds;
      picksData.focus = b ? { type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] } : null;
      pushPicks();
      render();
      loadCandidates(code);
    }

    async function loadCandidates(code) {
      try {
        const c = await getJSON(`/api/grids/${encodeURIComponent(code)}/candidates?limit=10`);
        if (detail && detail.grid.code === code) candidates = c;
      } catch (err) {
        candError = err;
      }
      render();
    }

    async function refreshDetail() {
      const code = detail.grid.code;
      try {
        const d = await getJSON(`/api/grids/${encodeURIComponent(code)}`);
        if (detail && detail.grid.code === code) detail = d;
      } catch (err) {
        msg = errText(err);
      }
      render();
    }

    root.addEventListener('input', (e) => {
      if (e.target.id !== 'grid-search') return;
      clearTimeout(searchTimer);
      const q = e.target.value.trim();
      searchTimer = setTimeout(() => search(q), 250);
    });
    root.addEventListener('click', async (e) => {
      const g = e.target.closest('[data-grid]');
      if (g) return select(g.dataset.grid);
      const acc = e.target.closest('[data-accept],[data-decline]');
      if (acc) {
        const ok = acc.dataset.accept !== undefined;
        const id = ok ? acc.dataset.accept : acc.dataset.decline;
        try {
          await postJSON(`/api/assignments/${encodeURIComponent(id)}/${ok ? 'accept' : 'decline'}`, {});
          msg = t(ok ? 'assign.accepted.msg' : 'assign.declined.msg');
        } catch (err) {
          msg = errText(err);
        }
        return refreshDetail();
      }
      if (e.target.id === 'propose' && detail) {
        try {
          const p = await postJSON('/api/assignments', { grids: [detail.grid.code] });
          msg = t('assign.proposed', { n: formatNumber(p.proposed ?? 0), id: p.proposal_id });
        } catch (err) {
          msg = errText(err);
        }
        return refreshDetail();
      }
    });

    return {
      open() {
        render();
        if (results === null) search(query);
        if (state.grid && (!detail || detail.grid.code !== state.grid)) select(state.grid, { fly: false });
      },
      render,
      click(e, hit) {
        if (current !== 'grids' || !hit.grid || hit.site) return false;
        select(String(hit.grid.properties.code), { fly: false });
        return false; // still show the grid popup
      },
    };
  })();

  return {
    start: () => {
      $('#sidebar').hidden = false;
      show(current);
    },
    onMapClick(e, hit) {
      return siting.click(e, hit) || grids.click(e, hit);
    },
    refreshTexts() {
      renderTabs();
      heat.render();
      siting.render();
      grids.render();
    },
    hoursParam,
  };
}
