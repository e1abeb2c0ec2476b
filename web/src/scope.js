// A user's scope (/api/me scope: "street:310107001", "community:…", "grid:…", "district:…"):
// its names for people, and whether a grid lies inside it.

import { getJSON } from './api.js';
import { getLang } from './i18n.js';

/** [{ level, code }] of me.scope; [] when the user sees everything. */
export function parseScope(me) {
  return ((me && me.scope) || [])
    .map((s) => String(s).split(':'))
    .filter((p) => p.length === 2)
    .map(([level, code]) => ({ level, code }));
}

/** True when the grid ({code, street_code, community_code, district_code}) lies in the scope. */
export function inScope(scope, g) {
  if (!scope.length) return true;
  const field = { street: 'street_code', community: 'community_code', district: 'district_code', grid: 'code' };
  // A grid without the field (tiles carry no district code) is left to the server to decide.
  return scope.some(({ level, code }) => field[level] && (g[field[level]] === undefined || g[field[level]] === code));
}

/**
 * Names of the scope's areas, code → { name, name_en }. Uses /api/me's scope_names when the server
 * sends them, else the area names of /api/summary for the scope's levels (street, community).
 */
export async function scopeNames(me) {
  const out = new Map();
  const given = me && (me.scope_names || me.scope_labels);
  if (given && typeof given === 'object') {
    for (const [k, v] of Object.entries(given)) out.set(k.includes(':') ? k.split(':')[1] : k, typeof v === 'string' ? { name: v } : v);
    return out;
  }
  const levels = new Set(parseScope(me).map((s) => s.level).filter((l) => l === 'street' || l === 'community' || l === 'district'));
  for (const level of levels) {
    try {
      const s = await getJSON(`/api/summary?level=${level}`);
      for (const r of s.rows || []) out.set(r.code, { name: r.name, name_en: r.name_en });
    } catch {
      // names are a courtesy: the codes still show
    }
  }
  return out;
}

/** "长征镇" for street:310107001 (the code when no name is known). */
export function scopeLabel(me, names) {
  return parseScope(me)
    .map(({ code }) => {
      const n = names && names.get(code);
      return (n && (getLang() === 'en' ? n.name_en || n.name : n.name || n.name_en)) || code;
    })
    .join(getLang() === 'en' ? ', ' : '、');
}
