// Heatmap view (district leaders): metric, time of day, days, coverage overlay and the
// summary per street / community.

import { getJSON } from '../api.js';
import { HOUR_PRESETS, METRIC_KEYS } from '../config.js';
import { html } from '../html.js';
import { MEASURE_UNITS, formatNumber, measureDef, measureLabel, t } from '../i18n.js';
import { apiFilters, setState, state } from '../state.js';
import { $, areaName, errBox, fmt1, loading, pct } from './common.js';

/** ctx: { isCurrent, isGroupVisible, setGroupVisible, filtersChanged, fitBbox } (see views.js). */
export function createHeatmap(ctx) {
  let summary = null;
  let error = null;
  let loadedFor = null;
  let district = null; // the district row of /api/summary?level=district (distinct riders)
  const root = $('#view-heatmap');

  /** True when the filter selects nothing the data holds (e.g. weekends in a Monday–Tuesday load). */
  const noData = () => summary && (summary.days === 0 || !(summary.total_demand > 0));

  function body() {
    if (error) return errBox(error);
    if (!summary) return loading();
    if (noData()) {
      return html`<p class="kpi"><span title="${t('def.coverage')}">${t('heat.coverage')}</span> <b id="coverage-total" class="nodata">${t('status.nodata')}</b></p>
        <p class="muted small" id="nodata-hint">${t('nodata.hint')}</p>`;
    }
    // With the riders measure, areas show distinct riders (never a sum over hexagons).
    const m = summary.metric === 'riders' ? 'riders' : 'rider_hours';
    const value = (r) => (m === 'riders' ? formatNumber(r.riders) : fmt1(r.demand));
    // A suppressed area (fewer than k riders) carries no figures: its row says so, and what it adds up
    // to is in the Others row (summary.other), so that the rows and it add up to the total.
    const rows = (summary.rows || []).map((r) =>
      r.suppressed
        ? html`<tr data-code="${r.code}" class="suppressed" tabindex="0"><td>${areaName(r)}</td><td class="num muted" colspan="3" title="${t('def.suppressed')}">${t('heat.suppressed')}</td></tr>`
        : html`<tr data-code="${r.code}" tabindex="0"><td>${areaName(r)}</td><td class="num">${value(r)}</td><td class="num">${r.demand > 0 ? pct(r.coverage_pct) : t('status.nodata')}</td><td class="num">${formatNumber(r.gap_zones)}</td></tr>`,
    );
    // Distinct riders do not add up, so the Others row shows them as a dash; its demand (rider-hours or
    // the riders of its cells), coverage and gap zones (those held mostly by no shown area) do.
    const o = summary.other;
    const other = o
      ? html`<tfoot><tr id="summary-other"><td title="${t('def.other')}">${t('heat.other')}</td><td class="num">${m === 'riders' ? '—' : fmt1(o.demand)}</td><td class="num">${o.demand > 0 ? pct((100 * o.covered_demand) / o.demand) : '—'}</td><td class="num">${Number.isFinite(o.gap_zones) ? formatNumber(o.gap_zones) : '—'}</td></tr></tfoot>`
      : '';
    const unit = t(MEASURE_UNITS[m]);
    const riders = distinctRiders();
    const headline =
      m === 'riders'
        ? html`<span class="muted" id="headline" title="${measureDef('riders')}">${riders === null ? '' : t('heat.riders', { riders: formatNumber(riders) })}</span>`
        : html`<span class="muted" id="headline" title="${measureDef(m)}">${t('heat.demand', { measure: t(`metric.${m}`), demand: fmt1(summary.total_demand), covered: fmt1(summary.covered_demand), unit })}</span>${perDay()}`;
    return html`<p class="kpi"><span title="${t('def.coverage')}">${t('heat.coverage')}</span> <b id="coverage-total">${pct(summary.coverage_pct)}</b> ${headline}</p>
      <table class="data" id="summary-table"><thead><tr><th>${t(`level.${state.level}`)}</th><th class="num" title="${measureDef(m)}">${measureLabel(m)}</th><th class="num" title="${t('def.coverage')}">${t('heat.col.coverage')}</th><th class="num" title="${t('def.gapzones')}">${t('heat.col.gaps')}</th></tr></thead><tbody>${rows}</tbody>${other}</table>
      <p class="muted small">${t('heat.rowhint')}</p>`;
  }

  /** Rider-hours per average day of the view (its own name and unit), when the server gives them. */
  function perDay() {
    if (!(summary.days > 0) || !Number.isFinite(summary.rider_hours_per_day)) return '';
    return html` <span class="muted small" id="per-day" title="${t('def.perday')}">${t('heat.perday', { value: fmt1(summary.rider_hours_per_day), days: formatNumber(summary.days) })}</span>`;
  }

  /** Distinct riders in the whole view: the API's own count (summary.riders, or the district row). */
  function distinctRiders() {
    if (Number.isFinite(summary.riders)) return summary.riders;
    if (district && Number.isFinite(district.riders)) return district.riders;
    return null;
  }

  /** The summary's date range (from/to, both or neither), within the data period; the map shows every date. */
  function rangeControl() {
    const p = (window.hexcover && window.hexcover.meta && window.hexcover.meta.period) || null;
    const lim = p ? html` min="${p.from}" max="${p.to}"` : '';
    return html`<div class="field" id="date-range"><span title="${t('def.range')}">${t('heat.range')}</span>
      <span class="row"><input type="date" id="range-from" value="${state.from}"${lim} aria-label="${t('heat.range.from')}"/> – <input type="date" id="range-to" value="${state.to}"${lim} aria-label="${t('heat.range.to')}"/>${(state.from || state.to) && html` <button type="button" class="btn" id="range-clear">${t('heat.range.clear')}</button>`}</span>
      ${state.from && state.to && html`<span class="muted small" id="range-note">${t('heat.range.note')}</span>`}</div>`;
  }

  function render() {
    const metricOpts = METRIC_KEYS.map((m) => html`<option value="${m}" title="${measureDef(m)}" ${m === state.metric && 'selected'}>${t(`metric.${m}`)}</option>`);
    const tods = HOUR_PRESETS.map(
      (h) => html`<button type="button" class="seg${h === state.tod && ' active'}" data-tod="${h}" aria-pressed="${String(h === state.tod)}">${t(`tod.${h || 'all'}`)}</button>`,
    );
    const days = ['', 'weekday', 'weekend'].map((d) => html`<option value="${d}" ${d === state.days && 'selected'}>${t(`days.${d || 'all'}`)}</option>`);
    const levels = ['street', 'community'].map((l) => html`<option value="${l}" ${l === state.level && 'selected'}>${t(`level.${l}`)}</option>`);
    root.innerHTML = html`<h2>${t('view.heatmap')}</h2>
      <label class="field"><span>${t('heat.metric')}</span><select id="metric">${metricOpts}</select></label>
      <div class="field"><span>${t('heat.hours')}</span><div id="tod" class="segmented" role="group">${tods}</div></div>
      <label class="field"><span>${t('heat.days')}</span><select id="days">${days}</select></label>
      ${rangeControl()}
      <label class="check"><input type="checkbox" id="coverage-overlay" ${ctx.isGroupVisible('gaps') && 'checked'}/> <span>${t('heat.overlay')}</span></label>
      <div class="row-between"><h3>${t('heat.summary')}</h3><select id="level" aria-label="${t('heat.level')}">${levels}</select></div>
      ${body()}`;
  }

  root.addEventListener('change', (e) => {
    if (e.target.id === 'metric') {
      setState({ metric: e.target.value });
      ctx.filtersChanged();
    } else if (e.target.id === 'days') {
      setState({ days: e.target.value });
      ctx.filtersChanged();
    } else if (e.target.id === 'level') {
      setState({ level: e.target.value });
      load(true);
    } else if (e.target.id === 'range-from' || e.target.id === 'range-to') {
      const from = $('#range-from').value;
      const to = $('#range-to').value;
      // Both or neither: a half-filled range waits for its other end.
      if ((from && to) || (!from && !to)) {
        setState({ from: from && to && from > to ? to : from, to: from && to && from > to ? from : to }, { push: true });
        load(true);
      }
    } else if (e.target.id === 'coverage-overlay') {
      ctx.setGroupVisible('gaps', e.target.checked);
    }
  });
  root.addEventListener('click', (e) => {
    const b = e.target.closest('[data-tod]');
    if (b) {
      setState({ tod: b.dataset.tod });
      ctx.filtersChanged();
      return;
    }
    if (e.target.id === 'range-clear') {
      setState({ from: '', to: '' }, { push: true });
      load(true);
      return;
    }
    const tr = e.target.closest('tr[data-code]');
    if (tr && summary) {
      const r = summary.rows.find((x) => x.code === tr.dataset.code);
      if (r) {
        for (const x of root.querySelectorAll('tr.selected')) x.classList.remove('selected');
        tr.classList.add('selected');
        ctx.fitBbox(r.bbox);
      }
    }
  });
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.matches('tr[data-code]')) e.target.click();
  });

  async function load(force) {
    const range = state.from && state.to ? { from: state.from, to: state.to } : {};
    const q = new URLSearchParams({ level: state.level, ...apiFilters(), ...range }).toString();
    if (!force && loadedFor === q) return;
    loadedFor = q;
    summary = null;
    error = null;
    district = null;
    render();
    try {
      const s = await getJSON(`/api/summary?${q}`);
      if (loadedFor !== q) return;
      summary = s;
      // Older servers give distinct riders per area only: take the district's from its own row.
      if (s.metric === 'riders' && !Number.isFinite(s.riders)) {
        const d = await getJSON(`/api/summary?${new URLSearchParams({ ...apiFilters(), level: 'district' })}`).catch(() => null);
        if (loadedFor !== q) return;
        district = d && d.rows && d.rows[0];
      }
    } catch (err) {
      if (loadedFor !== q) return;
      error = err;
    }
    render();
    ctx.onData && ctx.onData(summary);
  }

  return {
    open() {
      render();
      load(false);
    },
    render,
    reload: () => (ctx.isCurrent('heatmap') ? load(false) : (loadedFor = null)),
  };
}
