// One label per area: the area tiles cut a street or community into one piece per tile, and a
// symbol layer on the tiles would label every piece (桃浦镇 four times at district zoom). Instead,
// the pieces loaded so far are put together per area code and one label point per area is placed
// in a GeoJSON source (mapstyle.js LABELS_SOURCE) that the label layers draw.

import { SOURCES } from './config.js';
import { LABELS_SOURCE } from './mapstyle.js';

/** Outer rings of a Polygon / MultiPolygon. */
const outerRings = (g) => (g.type === 'Polygon' ? [g.coordinates[0]] : g.type === 'MultiPolygon' ? g.coordinates.map((p) => p[0]) : []);

/** Signed area (planar, degrees²) and centroid of a ring. */
function ringStats(ring) {
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f;
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
  }
  a /= 2;
  return a === 0 ? { area: 0, c: ring[0] } : { area: Math.abs(a), c: [cx / (6 * a), cy / (6 * a)] };
}

function inside([x, y], ring) {
  let hit = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** A point inside the ring near its centre: the centroid, else the middle of the widest horizontal chord. */
function pointIn(ring, c) {
  if (inside(c, ring)) return c;
  const y = c[1];
  const xs = [];
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
  }
  xs.sort((a, b) => a - b);
  let best = null;
  for (let i = 0; i + 1 < xs.length; i += 2) if (!best || xs[i + 1] - xs[i] > best[1] - best[0]) best = [xs[i], xs[i + 1]];
  return best ? [(best[0] + best[1]) / 2, y] : c;
}

/** Keeps the label source up to date as area tiles load. */
export function initAreaLabels(map) {
  const src = SOURCES.areas;
  const best = new Map(); // code -> { total, point, props }: the estimate made from the most area seen
  let dirty = true;

  function update() {
    dirty = false;
    if (!map.getSource(src.id) || !map.getSource(LABELS_SOURCE)) return;
    const acc = new Map();
    for (const f of map.querySourceFeatures(src.id, { sourceLayer: src.sourceLayer })) {
      const p = f.properties;
      if (!p || (p.level !== 'street' && p.level !== 'community') || !p.code) continue;
      let a = acc.get(p.code);
      if (!a) acc.set(p.code, (a = { props: { code: p.code, name: p.name, name_en: p.name_en, level: p.level }, total: 0, sx: 0, sy: 0, largest: null, seen: new Set() }));
      for (const ring of outerRings(f.geometry)) {
        const key = `${ring.length}:${ring[0]}`; // the same piece can come from several tiles' buffers
        if (a.seen.has(key)) continue;
        a.seen.add(key);
        const s = ringStats(ring);
        a.total += s.area;
        a.sx += s.c[0] * s.area;
        a.sy += s.c[1] * s.area;
        if (!a.largest || s.area > a.largest.area) a.largest = { area: s.area, ring, c: s.c };
      }
    }
    let changed = false;
    for (const [code, a] of acc) {
      if (!a.total || !a.largest) continue;
      const prev = best.get(code);
      if (prev && prev.total >= a.total * 0.999) continue;
      const c = [a.sx / a.total, a.sy / a.total];
      // The centre of all pieces, if it falls inside one of them; else a point inside the largest piece.
      const point = inside(c, a.largest.ring) ? c : pointIn(a.largest.ring, a.largest.c);
      best.set(code, { total: a.total, point, props: a.props });
      changed = true;
    }
    if (!changed) return;
    map.getSource(LABELS_SOURCE).setData({
      type: 'FeatureCollection',
      features: [...best.values()].map((b) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: b.point }, properties: b.props })),
    });
  }

  map.on('sourcedata', (e) => {
    if (e.sourceId === src.id && e.isSourceLoaded) dirty = true;
  });
  map.on('idle', () => dirty && update());
  return { update };
}
