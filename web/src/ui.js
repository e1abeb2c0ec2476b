// Page chrome around the map: header, layer panel with legend, loading indicator, error banner.

import { ACTIVITY_RAMP, COLORS, LAYER_GROUPS, METRICS, SITE_KINDS } from './config.js';
import { scopeLabel } from './scope.js';
import { applyI18n, formatNumber, getLang, measureDef, measureLabel, t, toggleLang } from './i18n.js';

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

// ---------- header ----------

let meta = null;

/** Stores the /api/meta answer (or null) and redraws the header. */
export function setMeta(m) {
  meta = m;
  renderHeader();
}

export function renderHeader() {
  const d = meta && meta.district;
  const name = d ? (getLang() === 'en' ? d.name_en || d.name : d.name || d.name_en) : '';
  $('#district-name').textContent = name || (meta ? t('header.district.unknown') : '');
  const c = meta && meta.counts;
  // Outside the admin role the server gives no exact count of riders or pings (docs/PRIVACY.md).
  const exact = c && Number.isFinite(c.riders) && Number.isFinite(c.pings);
  $('#counts').textContent = c
    ? t(exact ? 'header.counts' : 'header.counts.released', {
        riders: formatNumber(c.riders),
        sites: formatNumber(c.sites),
        grids: formatNumber(c.grids),
        pings: formatNumber(c.pings),
      })
    : '';
  $('#counts').title = meta && meta.version ? t('header.version', { version: meta.version }) : '';
  const p = dataPeriod(meta);
  $('#period').textContent = p ? t('header.period', { from: p.from, to: p.to, days: p.days }) : '';
  $('#period').hidden = !p;
}

/**
 * The dates the data holds, from /api/meta's period ({from, to, days, weekdays: ISO 1–7}), as
 * { from, to, days, weekdays }; null when the server does not say (or holds no activity).
 */
export function dataPeriod(m) {
  const p = m && m.period;
  if (!p) return null;
  const from = p.from || p.start || p.first_date || (Array.isArray(p.dates) && p.dates[0]);
  const to = p.to || p.end || p.last_date || (Array.isArray(p.dates) && p.dates[p.dates.length - 1]) || from;
  if (!from) return null;
  const n = Number.isFinite(p.days) ? p.days : Array.isArray(p.dates) ? p.dates.length : null;
  const weekdays = Array.isArray(p.weekdays) ? p.weekdays : null;
  let days = n !== null ? t('header.period.days', { n }) : '';
  // ISO weekdays (1 = Monday … 7 = Sunday), named when the data misses some.
  if (weekdays && weekdays.length && weekdays.length < 7) days += (days ? ' · ' : '') + weekdays.map((d) => t(`weekday.${(Number(d) + 6) % 7}`)).join(getLang() === 'en' ? ', ' : '、');
  return { from, to, days, weekdays };
}

export function initHeader() {
  $('#lang-switch').addEventListener('click', () => toggleLang());
}

// ---------- layer panel + legend ----------

let legendMetric = 'rider_hours';

function legendActivity() {
  const { colors } = ACTIVITY_RAMP;
  const m = METRICS[legendMetric] || METRICS.rider_hours;
  const stops = m.stops;
  const rows = stops.map((s, i) => {
    const hi = stops[i + 1];
    const range = hi !== undefined ? `${formatNumber(s)}–${formatNumber(hi)}` : `≥ ${formatNumber(s)}`;
    return el('li', {}, [el('span', { class: 'swatch swatch-fill', style: `background:${colors[i]}` }), el('span', { text: range })]);
  });
  return el('div', { class: 'legend', 'data-legend': 'activity' }, [
    el('div', { class: 'legend-title', text: measureLabel(legendMetric), title: measureDef(legendMetric) }),
    el('ul', { class: 'legend-ramp' }, rows),
    el('div', { class: 'legend-note', text: t('legend.activity.note') }),
  ]);
}

/** Redraws the activity legend for a metric (units follow the metric). */
export function setLegendMetric(metric) {
  legendMetric = metric;
  const old = document.querySelector('[data-legend=activity]');
  if (old) old.replaceWith(legendActivity());
}

function legendGaps() {
  return el('div', { class: 'legend', 'data-legend': 'gaps' }, [
    el('ul', {}, [el('li', {}, [el('span', { class: 'swatch swatch-fill swatch-hatch' }), el('span', { 'data-i18n': 'legend.gaps' })])]),
  ]);
}

function legendSites() {
  const rows = SITE_KINDS.map((k) =>
    el('li', {}, [el('span', { class: 'swatch swatch-dot', style: `background:${k.color}` }), el('span', { 'data-i18n': `kind.${k.kind}` })]),
  );
  rows.push(
    el('li', {}, [el('span', { class: 'swatch swatch-dot hollow', style: `border-color:${COLORS.label}` }), el('span', { 'data-i18n': 'legend.sites.hollow' })]),
  );
  return el('div', { class: 'legend', 'data-legend': 'sites' }, [
    el('div', { class: 'legend-title', 'data-i18n': 'legend.sites' }),
    el('ul', {}, rows),
  ]);
}

function legendAreas() {
  return el('div', { class: 'legend', 'data-legend': 'areas' }, [
    el('ul', {}, [
      el('li', {}, [el('span', { class: 'swatch swatch-line', style: `border-top:3px solid ${COLORS.streetLine}` }), el('span', { 'data-i18n': 'legend.areas.street' })]),
      el('li', {}, [el('span', { class: 'swatch swatch-line', style: `border-top:2px dashed ${COLORS.communityLine}` }), el('span', { 'data-i18n': 'legend.areas.community' })]),
    ]),
  ]);
}

function legendGrids() {
  return null;
}

const LEGENDS = { activity: legendActivity, gaps: legendGaps, sites: legendSites, areas: legendAreas, grids: legendGrids };

/**
 * Builds the layer toggles. onToggle(groupKey, visible) is called on change.
 * visible: initial visibility per group key.
 */
export function initPanel({ visible, onToggle }) {
  const list = $('#layer-list');
  list.replaceChildren();
  for (const g of LAYER_GROUPS) {
    const id = `toggle-${g.key}`;
    const input = el('input', { type: 'checkbox', id, checked: visible[g.key] !== false, 'data-layer-group': g.key });
    input.addEventListener('change', () => {
      onToggle(g.key, input.checked);
      item.classList.toggle('off', !input.checked);
    });
    const legend = LEGENDS[g.key] && LEGENDS[g.key]();
    const item = el('li', { class: 'layer-item' }, [
      el('label', { htmlFor: id }, [input, el('span', { 'data-i18n': g.label })]),
      legend,
    ]);
    item.classList.toggle('off', !input.checked);
    list.append(item);
  }

  const panel = $('#panel');
  const btn = $('#panel-toggle');
  // Collapsed by default on narrow screens (phones, portrait tablets keep it open).
  const narrow = window.matchMedia('(max-width: 600px)').matches;
  setPanelOpen(!narrow);
  btn.addEventListener('click', () => setPanelOpen(panel.classList.contains('collapsed')));

  function setPanelOpen(open) {
    panel.classList.toggle('collapsed', !open);
    btn.setAttribute('aria-expanded', String(open));
  }
  applyI18n(panel);
}

// ---------- loading indicator ----------

let apiBusy = false;
let tilesBusy = false;
function renderLoading() {
  $('#loading').hidden = !(apiBusy || tilesBusy);
}
/** API calls running for over 300 ms (api.js onBusy). */
export function setLoading(on) {
  apiBusy = on;
  renderLoading();
}
/** Tiles loading for over 300 ms. */
export function setTilesLoading(on) {
  tilesBusy = on;
  renderLoading();
}

// ---------- who is logged in ----------

let user = null;
let scopeNamesMap = null;
export function setUser(me) {
  user = me;
  renderUser();
}
/** Names of the user's scope areas (scope.js scopeNames), shown instead of codes. */
export function setScopeNames(names) {
  scopeNamesMap = names;
  renderUser();
}
function renderUser() {
  const w = $('#whoami');
  w.hidden = !user;
  $('#logout').hidden = !user;
  if (!user) return;
  const label = scopeLabel(user, scopeNamesMap);
  const scope = label ? ` · ${label}` : '';
  w.textContent = `${t(`role.${user.role}`)}${scope}`;
  w.title = `${user.name || ''}${scope}`;
}

// ---------- error banner ----------

const errors = new Map(); // key -> message key + params

/** Shows (or updates) an error in the banner; key dedupes repeats of the same kind of error. */
export function showError(key, msgKey, params) {
  errors.set(key, { msgKey, params });
  renderErrors();
}

export function clearError(key) {
  errors.delete(key);
  renderErrors();
}

export function renderErrors() {
  const banner = $('#error-banner');
  const list = $('#error-list');
  list.replaceChildren(...[...errors.values()].map((e) => el('li', { text: t(e.msgKey, e.params) })));
  banner.hidden = errors.size === 0;
}

export function initErrors() {
  $('#error-dismiss').addEventListener('click', () => {
    errors.clear();
    renderErrors();
  });
}

/** Re-renders everything that holds translated text. */
export function refreshTexts() {
  applyI18n(document);
  renderHeader();
  renderErrors();
  renderUser();
  setLegendMetric(legendMetric);
}
