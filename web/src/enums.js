// Enumerations from GET /api/meta `enums` (internal/model is their one definition): roles, site
// kinds and statuses, area levels, metrics and named hour ranges. The lists in config.js and the
// names in i18n/ are only the fallback for the login page and for servers without `enums`; what
// stays local is presentation (colours, ramps, the measures' wording and definitions).

import { HOUR_PRESETS, METRICS, METRIC_KEYS, OTHER_KIND_COLOR, SITE_KINDS } from './config.js';
import { messages } from './i18n.js';
import { keepOfferedMetric, setHourRanges } from './state.js';

/** Puts the server's zh/en names of a list under prefix.id in the dictionaries. */
function names(prefix, list) {
  for (const x of Array.isArray(list) ? list : []) {
    if (!x || !x.id) continue;
    if (x.zh) messages.zh[`${prefix}.${x.id}`] = x.zh;
    if (x.en) messages.en[`${prefix}.${x.id}`] = x.en;
  }
}

/** Applies /api/meta enums (before the style and the views are built). */
export function applyEnums(e) {
  if (!e || typeof e !== 'object') return;
  names('role', e.roles);
  names('kind', e.site_kinds);
  names('status', e.site_statuses);
  names('level', e.area_levels);
  names('tod', e.hour_ranges);
  if (Array.isArray(e.site_kinds) && e.site_kinds.length) {
    const color = Object.fromEntries(SITE_KINDS.map((k) => [k.kind, k.color]));
    const kinds = e.site_kinds.filter((k) => k && k.id).map((k) => ({ kind: k.id, color: color[k.id] || OTHER_KIND_COLOR, presence: k.presence, radius_m: k.radius_m }));
    SITE_KINDS.splice(0, SITE_KINDS.length, ...kinds);
  }
  // Metrics the server knows and the map has a colour ramp for. Their names stay the dictionary's:
  // the server's name of rider_hours is its unit (骑手·小时), which made the legend read 骑手·小时（骑手·小时）.
  if (Array.isArray(e.metrics)) {
    const ids = e.metrics.map((m) => m && m.id).filter((id) => METRICS[id]);
    if (ids.length) METRIC_KEYS.splice(0, METRIC_KEYS.length, ...ids);
    keepOfferedMetric();
  }
  if (Array.isArray(e.hour_ranges) && e.hour_ranges.length) {
    const ranges = e.hour_ranges.filter((r) => r && r.id && Array.isArray(r.hours));
    HOUR_PRESETS.splice(0, HOUR_PRESETS.length, '', ...ranges.map((r) => r.id));
    setHourRanges(Object.fromEntries(ranges.map((r) => [r.id, r.hours])));
  }
}
