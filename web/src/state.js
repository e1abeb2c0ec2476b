// View state kept in the URL (?view=&hours=&metric=&grid=&gap=&run=&from=&to=&layers=&lang= plus MapLibre's
// #z/lat/lng), so a link can be shared and reload restores it. Keys with default values are left
// out. Steps a person takes (another view, a grid, a gap zone, a siting run) are history entries,
// so the browser's back button steps back through them (main.js restores the state on popstate).

import { METRIC_KEYS } from './config.js';

const DEFAULTS = { view: '', tod: '', days: '', metric: 'rider_hours', grid: '', gap: '', level: 'street', run: '', from: '', to: '' };

/** Clock hours of each named range (fallback; /api/meta enums.hour_ranges replace it: setHourRanges). */
let NAMED = { breakfast: [7, 8, 9], lunch: [11, 12, 13], dinner: [17, 18, 19], night: [21, 22, 23, 0], peak: [11, 12, 13, 17, 18, 19] };

/** Sets the named hour ranges from the server: { id: [clock hours] }. */
export function setHourRanges(r) {
  NAMED = r;
}

/**
 * The hours= parameter for the time-of-day preset (tod) and days ('' all, weekday, weekend):
 * '' (all week), a named range, or explicit hour-of-week ranges (0 = Monday 00:00).
 */
export function hoursParam() {
  const { tod, days } = state;
  if (!days) return tod;
  const dayList = days === 'weekday' ? [0, 1, 2, 3, 4] : [5, 6];
  const clock = tod && NAMED[tod] ? NAMED[tod] : Array.from({ length: 24 }, (_, h) => h);
  const hours = [];
  for (const d of dayList) for (const h of clock) hours.push(d * 24 + h);
  hours.sort((a, b) => a - b);
  // Consecutive hours as a-b ranges.
  const parts = [];
  for (let i = 0; i < hours.length; ) {
    let j = i;
    while (j + 1 < hours.length && hours[j + 1] === hours[j] + 1) j++;
    parts.push(i === j ? `${hours[i]}` : `${hours[i]}-${hours[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export const state = { ...DEFAULTS };

export function readState() {
  const q = new URLSearchParams(location.search);
  for (const k of Object.keys(DEFAULTS)) state[k] = q.get(k) ?? DEFAULTS[k];
  keepOfferedMetric();
  return state;
}

/**
 * Falls back to the default metric when the state's is not on offer: /api/meta lists only the metrics
 * the published release carries outside the admin role (no pings or dwell), and a shared link may ask
 * for one of those.
 */
export function keepOfferedMetric() {
  if (!METRIC_KEYS.includes(state.metric)) state.metric = DEFAULTS.metric;
}

/**
 * Updates the state and the URL, keeping the map hash and ?lang=. With { push: true } the change
 * is a new history entry (back returns to the state before it); otherwise the entry is replaced.
 */
export function setState(patch, { push = false } = {}) {
  Object.assign(state, patch);
  const url = new URL(location.href);
  for (const [k, d] of Object.entries(DEFAULTS)) {
    if (state[k] === undefined || state[k] === null || state[k] === d) url.searchParams.delete(k);
    else url.searchParams.set(k, state[k]);
  }
  if (url.href === location.href) return;
  if (push) history.pushState({ hexcover: true }, '', url.href);
  else history.replaceState(history.state, '', url.href);
}

/** Tile query string for the filtered layers (activity, gaps). */
export function tileQuery() {
  const q = new URLSearchParams();
  const h = hoursParam();
  if (h) q.set('hours', h);
  if (state.metric && state.metric !== 'rider_hours') q.set('metric', state.metric);
  return q.toString();
}

/** The same filters for /api/gaps, /api/summary and /api/siting. */
export function apiFilters() {
  const f = {};
  const h = hoursParam();
  if (h) f.hours = h;
  if (state.metric === 'riders') f.metric = 'riders'; // the analyses know rider_hours and riders
  return f;
}
