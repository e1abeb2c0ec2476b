// Pieces shared by the side-bar views: formatting, error messages, downloads, CSV, geometry.

import { html } from '../html.js';
import { formatNumber, getLang, t } from '../i18n.js';

export const $ = (sel) => document.querySelector(sel);
export const fmt1 = (n) => formatNumber(n, { maximumFractionDigits: 1 });
/** A percentage with one decimal, always (58.0%, so lists line up and match exports). */
export const pct = (n) => (Number.isFinite(Number(n)) && n !== null ? `${formatNumber(n, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%` : t('popup.unknown'));
/** Separator of a list of names in running text. */
export const listSep = () => (getLang() === 'en' ? ', ' : '、');
export const areaName = (a) => (a ? (getLang() === 'en' ? a.name_en || a.name : a.name || a.name_en) || a.code || '' : '');

/** Message for a failed call: 403 → a clear "not allowed", otherwise the server's message. */
export function errText(err) {
  if (err && err.status === 403) return t('error.forbidden');
  if (err && err.status === 401) return t('auth.expired');
  return t('error.api', { message: err && err.message ? err.message : String(err) });
}
export const errBox = (err) => html`<p class="msg msg-error" role="alert">${errText(err)}</p>`;
export const loading = () => html`<p class="muted">${t('status.loading')}</p>`;

/** Saves text as a file through a temporary link. */
export function download(name, text, type) {
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

/** n rounded to d decimals (a number, for exports: what a person reads, not 17 digits). */
export function round(n, d = 0) {
  if (n === undefined || n === null || n === '' || !Number.isFinite(Number(n))) return null;
  const f = 10 ** d;
  return Math.round(Number(n) * f) / f;
}

/**
 * One CSV cell. Numbers stay numbers; a text cell that a spreadsheet would run as a formula
 * (starting with = + - @ tab or CR) gets a leading single quote, the way OWASP recommends;
 * cells with quotes, commas or line breaks are quoted.
 */
export function csvCell(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  // The same rule as the server's internal/csvsafe: numbers written as text (-12.5) stay numbers.
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV file (UTF-8 with BOM so spreadsheets read Chinese; CRLF lines) from rows of cells. */
export function csvText(rows) {
  return '\ufeff' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Circle polygon (64 vertices) of radius m metres around [lng, lat]. */
export function circle([lng, lat], m) {
  const ring = [];
  const dLat = m / 111320;
  const dLng = m / (111320 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lng + dLng * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/** [west, south, east, north] of a GeoJSON geometry (any type), or null. */
export function geometryBbox(g) {
  if (!g) return null;
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else for (const x of c) walk(x);
  };
  if (g.type === 'GeometryCollection') for (const x of g.geometries) walk(x.coordinates);
  else walk(g.coordinates);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
