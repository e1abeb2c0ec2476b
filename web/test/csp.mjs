// The Content-Security-Policy the map is written for, and which test/smoke.mjs checks it against
// (the server sends it on the map page; a configured external basemap style adds its origins to
// connect-src and img-src). No inline script, MapLibre's worker from our own origin.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');
