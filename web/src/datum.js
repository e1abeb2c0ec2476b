// The basemap's datum (HEXCOVER_BASEMAP_DATUM, told by /api/meta as basemap.datum).
//
// Over a GCJ-02 basemap (Amap/Gaode, Tencent) every street is drawn 300–700 m from its WGS-84 position.
// hexcover's data stays WGS-84: the tile server already shifts its vector tiles, and this module shifts
// what the map draws from the page (GeoJSON overlays, markers, popups, the initial view, fitted bounds)
// into the basemap's datum (toMap), and everything the map reports (a click, its centre for the URL
// hash) back to WGS-84 (fromMap) with the iterative inverse, accurate to about a millimetre.
// Under wgs84 (the default) every function returns its input unchanged.
//
// The formulas are geo/crs.go's (WGS84ToGCJ02, GCJ02ToWGS84); web/test/datum.mjs checks them against
// the Go implementation through a real map.

const KRASOVSKY_A = 6378245.0;
const KRASOVSKY_EE = 0.00669342162296594323;
const INVERSE_TOL = 1e-9; // degrees, about 0.1 mm
const INVERSE_STEPS = 10;

let datum = 'wgs84';

/** Sets the basemap's datum: 'gcj02' shifts, anything else is WGS-84. */
export function setDatum(d) {
  datum = d === 'gcj02' ? 'gcj02' : 'wgs84';
}

/** The basemap's datum: 'wgs84' or 'gcj02'. */
export function getDatum() {
  return datum;
}

/** Whether the map draws in another datum than the data (GCJ-02). */
export function shifted() {
  return datum === 'gcj02';
}

function outOfChina(lng, lat) {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLng(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** The GCJ-02 offset [dlng, dlat] in degrees at a WGS-84 point. */
function delta(lng, lat) {
  const x = lng - 105.0;
  const y = lat - 35.0;
  let dlat = transformLat(x, y);
  let dlng = transformLng(x, y);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - KRASOVSKY_EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  dlng = (dlng * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [dlng, dlat];
}

/** WGS-84 → GCJ-02 ([lng, lat]); points outside China are unchanged. */
export function wgs84ToGcj02(lng, lat) {
  if (outOfChina(lng, lat)) return [lng, lat];
  const [dlng, dlat] = delta(lng, lat);
  return [lng + dlng, lat + dlat];
}

/** GCJ-02 → WGS-84 ([lng, lat]) by fixed-point iteration until the forward transform is within 1e-9°. */
export function gcj02ToWgs84(lng, lat) {
  if (outOfChina(lng, lat)) return [lng, lat];
  let [dlng, dlat] = delta(lng, lat);
  let wlng = lng - dlng;
  let wlat = lat - dlat;
  for (let i = 0; i < INVERSE_STEPS; i++) {
    [dlng, dlat] = delta(wlng, wlat);
    const elng = wlng + dlng - lng;
    const elat = wlat + dlat - lat;
    if (Math.abs(elng) < INVERSE_TOL && Math.abs(elat) < INVERSE_TOL) break;
    wlng -= elng;
    wlat -= elat;
  }
  return [wlng, wlat];
}

/** Applies f to a [lng, lat] array or a {lng, lat} object, keeping the shape (an object becomes a plain {lng, lat}). */
function convert(p, f) {
  if (Array.isArray(p)) {
    const [lng, lat] = f(p[0], p[1]);
    return p.length > 2 ? [lng, lat, ...p.slice(2)] : [lng, lat];
  }
  if (p && Number.isFinite(p.lng) && Number.isFinite(p.lat)) {
    const [lng, lat] = f(p.lng, p.lat);
    return { lng, lat };
  }
  return p;
}

/** A WGS-84 position ([lng, lat] or {lng, lat}) where the basemap draws it. */
export function toMap(p) {
  return shifted() ? convert(p, wgs84ToGcj02) : p;
}

/** A position on the map (a click, the centre) in WGS-84. */
export function fromMap(p) {
  return shifted() ? convert(p, gcj02ToWgs84) : p;
}

function mapCoords(c, f) {
  return typeof c[0] === 'number' ? f(c) : c.map((x) => mapCoords(x, f));
}

/** A GeoJSON geometry (WGS-84) with every vertex shifted onto the basemap; a new object. */
export function geometryToMap(g) {
  if (!shifted() || !g) return g;
  if (g.type === 'GeometryCollection') return { ...g, geometries: g.geometries.map(geometryToMap) };
  return { ...g, coordinates: mapCoords(g.coordinates, toMap) };
}

/** A GeoJSON FeatureCollection (WGS-84) shifted onto the basemap. */
export function featuresToMap(fc) {
  if (!shifted() || !fc) return fc;
  return { ...fc, features: fc.features.map((f) => ({ ...f, geometry: geometryToMap(f.geometry) })) };
}

/** A [w, s, e, n] bounding box (WGS-84) as the bounding box of its shifted corners. */
export function bboxToMap(b) {
  if (!shifted()) return b;
  const c = [toMap([b[0], b[1]]), toMap([b[2], b[1]]), toMap([b[2], b[3]]), toMap([b[0], b[3]])];
  return [Math.min(...c.map((p) => p[0])), Math.min(...c.map((p) => p[1])), Math.max(...c.map((p) => p[0])), Math.max(...c.map((p) => p[1]))];
}

/**
 * A map event (click) whose lngLat is WGS-84; point, features and methods stay the original's.
 * The views get these, so what they send to the server or keep in the URL is WGS-84.
 */
export function eventFromMap(e) {
  if (!shifted() || !e || !e.lngLat) return e;
  return Object.create(e, { lngLat: { value: fromMap(e.lngLat), enumerable: true } });
}

/** Decimal places of the URL hash: about 0.1 m, finer than the 0.5 m the round trip must keep. */
const HASH_DIGITS = 6;

/**
 * Under a shifted datum, keeps the URL hash (#zoom/lat/lng, as MapLibre's own) in WGS-84: a hash in the
 * URL at start is moved onto the basemap, and every move writes the WGS-84 centre back. Under WGS-84 the
 * map's own `hash: true` does this and this function does nothing. Returns whether it took over.
 */
export function syncHash(map) {
  if (!shifted()) return false;
  const m = /^#([\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(location.hash);
  if (m) {
    const [z, lat, lng] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if ([z, lat, lng].every(Number.isFinite) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) map.jumpTo({ center: toMap([lng, lat]), zoom: z });
  }
  map.on('moveend', () => {
    const c = fromMap(map.getCenter());
    const z = Math.round(map.getZoom() * 100) / 100;
    const url = new URL(location.href);
    url.hash = `${z}/${c.lat.toFixed(HASH_DIGITS)}/${c.lng.toFixed(HASH_DIGITS)}`;
    history.replaceState(history.state, '', url.href);
  });
  return true;
}
