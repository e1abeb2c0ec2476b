// JSON API client. All paths are relative to the page's origin; the session cookie
// (hexcover_token, HttpOnly) set by POST /api/login is sent automatically.
// 401 from any call → onUnauthorized() (the page shows the login dialog again).
// Anything slower than ~300 ms turns the loading indicator on.

/** Error carrying the HTTP status and the server's `{ "error": "..." }` message, if any. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorizedHandler = () => {};
let busyHandler = () => {};
let pending = 0;

/** Registers what to do when the server answers 401 (session missing or expired). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** Registers fn(busy) called when API calls have been running for over 300 ms / all finished. */
export function onBusy(fn) {
  busyHandler = fn;
}

async function request(path, { method = 'GET', body, timeoutMs = 20000, quiet401 = false, raw = false } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  pending++;
  const slow = setTimeout(() => busyHandler(true), 300);
  try {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        credentials: 'same-origin',
        signal: ctrl.signal,
      });
    } catch (err) {
      throw new ApiError(`${path}: ${err.name === 'AbortError' ? 'timeout' : err.message}`, 0);
    }
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const b = await res.json();
        if (b && b.error) msg = b.error;
      } catch {
        // not JSON
      }
      if (res.status === 401 && !quiet401) unauthorizedHandler();
      throw new ApiError(msg, res.status);
    }
    if (res.status === 204) return null;
    return raw ? await res.text() : await res.json();
  } finally {
    clearTimeout(timer);
    clearTimeout(slow);
    if (--pending === 0) busyHandler(false);
  }
}

export const getJSON = (path, opts) => request(path, opts);
export const postJSON = (path, body, opts) => request(path, { ...opts, method: 'POST', body: body ?? {} });
export const getText = (path, opts) => request(path, { ...opts, raw: true });

function isLngLat(a) {
  return Array.isArray(a) && a.length === 2 && a.every(Number.isFinite) && Math.abs(a[0]) <= 180 && Math.abs(a[1]) <= 90;
}

/** GET /api/me → {name, role, scope}, or null when not logged in (401). */
export async function fetchMe() {
  try {
    return await request('/api/me', { quiet401: true });
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

/** GET /api/demo-logins → [{role, token, scope}] or [] (404 when demo logins are off). */
export async function fetchDemoLogins() {
  try {
    const v = await request('/api/demo-logins', { quiet401: true });
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export const login = (token) => request('/api/login', { method: 'POST', body: { token }, quiet401: true });
export const logout = () => request('/api/logout', { method: 'POST', body: {}, quiet401: true });

/**
 * GET /api/meta: { bounds, center, zoom, district, counts, version, period, enums, basemap }.
 * Throws ApiError on HTTP errors and on a body without a usable center or bounds.
 */
export async function fetchMeta() {
  const m = await request('/api/meta');
  if (!m || typeof m !== 'object') throw new ApiError('/api/meta: not an object', 0);
  const bounds = Array.isArray(m.bounds) && m.bounds.length === 4 && m.bounds.every(Number.isFinite) ? m.bounds : null;
  let center = isLngLat(m.center) ? m.center : null;
  if (!center && bounds) center = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2];
  if (!center) throw new ApiError('/api/meta: no center or bounds', 0);
  return {
    bounds,
    center,
    zoom: Number.isFinite(m.zoom) ? m.zoom : null,
    district: m.district || null,
    counts: m.counts || null,
    version: m.version ?? null,
    // Added by newer servers; the page works without them.
    period: m.period && typeof m.period === 'object' ? m.period : null,
    enums: m.enums && typeof m.enums === 'object' ? m.enums : null,
    // The external basemap (HEXCOVER_BASEMAP_STYLE) and its datum (HEXCOVER_BASEMAP_DATUM).
    basemap: {
      style: m.basemap && typeof m.basemap.style === 'string' ? m.basemap.style : '',
      datum: m.basemap && m.basemap.datum === 'gcj02' ? 'gcj02' : 'wgs84',
    },
  };
}
