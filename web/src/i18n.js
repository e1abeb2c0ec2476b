// i18n: every string the page shows comes from the per-language dictionaries in i18n/
// (zh.js is the primary language, en.js the second one). Add a key to BOTH files;
// test/smoke.mjs checks that the key sets match.

import en from './i18n/en.js';
import zh from './i18n/zh.js';

export const LANGS = ['zh', 'en'];
export const DEFAULT_LANG = 'zh';
const STORAGE_KEY = 'hexcover.lang';

export const messages = { zh, en };

let current = DEFAULT_LANG;
const listeners = new Set();

function normalize(lang) {
  if (!lang) return null;
  const l = String(lang).toLowerCase();
  if (l.startsWith('zh')) return 'zh';
  if (l.startsWith('en')) return 'en';
  return null;
}

/** Picks the starting language: ?lang= in the URL, then localStorage, then Chinese. */
export function initLang() {
  const fromUrl = normalize(new URLSearchParams(location.search).get('lang'));
  let stored = null;
  try {
    stored = normalize(localStorage.getItem(STORAGE_KEY));
  } catch {
    // storage can be blocked (private mode); the URL still carries the choice
  }
  current = fromUrl || stored || DEFAULT_LANG;
  persist();
  return current;
}

export function getLang() {
  return current;
}

/** Switches the language, remembers it (localStorage + ?lang=) and notifies listeners. */
export function setLang(lang) {
  const l = normalize(lang);
  if (!l || l === current) return;
  current = l;
  persist();
  for (const fn of listeners) fn(current);
}

export function toggleLang() {
  setLang(current === 'zh' ? 'en' : 'zh');
}

/** Calls fn(lang) after every language change; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function persist() {
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // ignore
  }
  // Keep ?lang= in the URL; keep the #z/lat/lng hash MapLibre maintains.
  const url = new URL(location.href);
  if (url.searchParams.get('lang') !== current) {
    url.searchParams.set('lang', current);
    history.replaceState(history.state, '', url.href);
  }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/** Translates key, filling {name} placeholders from params. Unknown keys show as the key. */
export function t(key, params) {
  const dict = messages[current] || messages[DEFAULT_LANG];
  let s = dict[key] ?? messages[DEFAULT_LANG][key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (params[name] ?? m).toString());
  }
  return s;
}

/** Translates a value from a known set (kind, status, amenity), falling back to the raw value. */
export function tValue(prefix, value) {
  if (value === undefined || value === null || value === '') return t('popup.unknown');
  const key = `${prefix}.${value}`;
  const dict = messages[current] || messages[DEFAULT_LANG];
  return key in dict ? dict[key] : String(value);
}

/** Formats a number for the current language. */
export function formatNumber(n, opts) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return t('popup.unknown');
  return new Intl.NumberFormat(current === 'zh' ? 'zh-CN' : 'en-US', opts).format(Number(n));
}

/**
 * Fills every element under root that has data-i18n (text), data-i18n-title (title attribute)
 * or data-i18n-aria (aria-label) with its translation.
 */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  document.title = t('app.title');
}

/** Unit key of each measure: one name (metric.X), one unit and one definition (def.X) everywhere. */
export const MEASURE_UNITS = { rider_hours: 'unit.rider_hours', riders: 'unit.riders', pings: 'unit.pings', dwell: 'unit.dwell_hours' };

/** "骑手时长（骑手·小时）" / "Rider time (rider-hours)": the measure's name with its unit. */
export function measureLabel(m) {
  const name = t(`metric.${m}`);
  const unit = MEASURE_UNITS[m] ? t(MEASURE_UNITS[m]) : '';
  if (!unit) return name;
  return current === 'en' ? `${name} (${unit})` : `${name}（${unit}）`;
}

/** One-line definition of a measure (shown on hover, title attribute). */
export const measureDef = (m) => t(`def.${m}`);
