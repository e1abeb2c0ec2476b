// JSON API client. All paths are relative to the page's origin.

import { API } from './config.js';

/** Error carrying the HTTP status and the server's `{ "error": "..." }` message, if any. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function getJSON(path, { timeoutMs = 8000 } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, signal: ctrl.signal });
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const body = await res.json();
        if (body && body.error) msg = body.error;
      } catch {
        // not JSON
      }
      throw new ApiError(`${path}: ${msg}`, res.status);
    }
    return await res.json();
  } finally {
    clearTimeout(timer);
  }
}

function isLngLat(a) {
  return Array.isArray(a) && a.length === 2 && a.every(Number.isFinite) && Math.abs(a[0]) <= 180 && Math.abs(a[1]) <= 90;
}

/**
 * GET /api/meta: { bounds: [minLng, minLat, maxLng, maxLat], center: [lng, lat], zoom,
 *   district: { code, name, name_en }, counts: { riders, sites, grids, pings }, version }.
 * Throws ApiError on HTTP errors and on a body without a usable center or bounds.
 */
export async function fetchMeta() {
  const m = await getJSON(API.meta);
  if (!m || typeof m !== 'object') throw new ApiError(`${API.meta}: not an object`, 0);
  const bounds = Array.isArray(m.bounds) && m.bounds.length === 4 && m.bounds.every(Number.isFinite) ? m.bounds : null;
  let center = isLngLat(m.center) ? m.center : null;
  if (!center && bounds) center = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2];
  if (!center) throw new ApiError(`${API.meta}: no center or bounds`, 0);
  return {
    bounds,
    center,
    zoom: Number.isFinite(m.zoom) ? m.zoom : null,
    district: m.district || null,
    counts: m.counts || null,
    version: m.version ?? null,
  };
}
