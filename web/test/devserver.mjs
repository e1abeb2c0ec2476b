// Throwaway dev server for working on the map before/without `hexcover serve`.
// Serves web/dist, answers GET /api/meta with a fixed Shanghai district and tiles with 204.
//
//   node test/devserver.mjs                       # http://127.0.0.1:8090, empty (204) tiles
//   DEV_FAKE_TILES=1 node test/devserver.mjs      # synthetic areas/grids/sites/activity tiles
//   DEV_META=fail node test/devserver.mjs         # /api/meta answers 500 (error banner check)
//   DEV_PROXY=http://127.0.0.1:8080 node test/devserver.mjs
//                                                 # /api, /tiles, /healthz, /readyz go to a running
//                                                 # `hexcover serve`; the map comes from web/dist, so a
//                                                 # rebuilt bundle needs no Go rebuild
//   DEV_CSP=1 ...                                 # send the map's Content-Security-Policy (test/csp.mjs)
//   PORT=8091 HOST=127.0.0.1 ...
//
// The fake tiles use @maplibre/geojson-vt and @maplibre/vt-pbf, which come with maplibre-gl.
import { createServer, request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP } from './csp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const PORT = Number(process.env.PORT || 8090);
const HOST = process.env.HOST || '127.0.0.1';
const FAKE = process.env.DEV_FAKE_TILES === '1';
const META_FAIL = process.env.DEV_META === 'fail';
const PROXY = process.env.DEV_PROXY ? new URL(process.env.DEV_PROXY) : null;
const CSP_ON = process.env.DEV_CSP === '1';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const CENTER = [121.41, 31.25];
const BOUNDS = [121.35, 31.2, 121.47, 31.3];

const meta = {
  bounds: BOUNDS,
  center: CENTER,
  zoom: 12,
  district: { code: '310107', name: '普陀区', name_en: 'Putuo District' },
  counts: { riders: 12480, sites: 0, grids: 0, pings: 3456789 },
  version: 'dev',
};

// ---------- synthetic city (only with DEV_FAKE_TILES=1) ----------

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function rect(x0, y0, x1, y1) {
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}

function syntheticCity() {
  const r = rng(42);
  const [W, S, E, N] = BOUNDS;
  const areas = [], grids = [], sites = [], activity = [];
  areas.push({ type: 'Feature', properties: { code: meta.district.code, name: meta.district.name, name_en: meta.district.name_en, level: 'district' }, geometry: rect(W, S, E, N) });
  const streetNames = [['长寿路街道', 'Changshou Road'], ['曹杨新村街道', 'Caoyang Xincun'], ['长风新村街道', 'Changfeng Xincun'], ['宜川路街道', 'Yichuan Road'], ['甘泉路街道', 'Ganquan Road'], ['石泉路街道', 'Shiquan Road']];
  const sx = 3, sy = 2, dx = (E - W) / sx, dy = (N - S) / sy;
  let si = 0;
  for (let i = 0; i < sx; i++) {
    for (let j = 0; j < sy; j++, si++) {
      const x0 = W + i * dx, y0 = S + j * dy;
      const [zh, en] = streetNames[si];
      const scode = `${meta.district.code}${String(si + 1).padStart(3, '0')}`;
      areas.push({ type: 'Feature', properties: { code: scode, name: zh, name_en: en, level: 'street' }, geometry: rect(x0, y0, x0 + dx, y0 + dy) });
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) {
          const cx0 = x0 + (a * dx) / 2, cy0 = y0 + (b * dy) / 2;
          const ccode = `${scode}${a * 2 + b + 1}`;
          areas.push({ type: 'Feature', properties: { code: ccode, name: `${zh.replace('街道', '')}第${a * 2 + b + 1}社区`, name_en: `${en} Community ${a * 2 + b + 1}`, level: 'community' }, geometry: rect(cx0, cy0, cx0 + dx / 2, cy0 + dy / 2) });
          for (let g = 0; g < 4; g++) {
            const gx0 = cx0 + ((g % 2) * dx) / 4, gy0 = cy0 + (Math.floor(g / 2) * dy) / 4;
            grids.push({ type: 'Feature', properties: { code: `${ccode}G${g + 1}`, name: `${zh.replace('街道', '')}${a * 2 + b + 1}-${g + 1}网格`, community_code: ccode, street_code: scode, manager: ['王芳', '李强', '张伟', '刘洋'][g], target: 2 + Math.floor(r() * 4) }, geometry: rect(gx0, gy0, gx0 + dx / 4, gy0 + dy / 4) });
          }
        }
      }
    }
  }
  const kinds = ['service_center', 'rest_station', 'fuel_station', 'branch', 'candidate'];
  const amen = ['charging', 'water', 'toilet', 'microwave', 'wifi', 'rest', 'first_aid'];
  for (let k = 0; k < 30; k++) {
    const kind = kinds[k % kinds.length];
    const status = kind === 'candidate' ? 'candidate' : k % 7 === 0 ? 'planned' : 'existing';
    const am = amen.filter(() => r() < 0.45);
    sites.push({ type: 'Feature', properties: { id: `S${k + 1}`, kind, status, name: `站点${k + 1}`, capacity: 5 + Math.floor(r() * 30), amenities: am.join(',') }, geometry: { type: 'Point', coordinates: [W + r() * (E - W), S + r() * (N - S)] } });
  }
  // Hexagon-ish cells (pointy-top, ~350 m) with rider-hours peaking at a few hotspots.
  const hot = [[121.38, 31.23], [121.43, 31.27], [121.45, 31.215]];
  const size = 0.0035;
  const w = Math.sqrt(3) * size, h = 1.5 * size;
  for (let row = 0; S + row * h < N; row++) {
    for (let col = 0; W + col * w < E; col++) {
      const x = W + col * w + (row % 2 ? w / 2 : 0), y = S + row * h;
      let v = 0;
      for (const [hx, hy] of hot) v += 120 * Math.exp(-(((x - hx) / 0.015) ** 2 + ((y - hy) / 0.012) ** 2));
      v *= 0.6 + 0.8 * r();
      if (v < 0.5) continue;
      const ring = [];
      for (let q = 0; q <= 6; q++) {
        const ang = (Math.PI / 180) * (60 * (q % 6) - 30);
        ring.push([x + size * Math.cos(ang), y + size * Math.sin(ang) * 0.86]);
      }
      activity.push({ type: 'Feature', properties: { cell: `8a${row}x${col}`, riders: Math.round(v / 3) + 5, pings: Math.round(v * 40), rider_hours: Math.round(v * 10) / 10, dwell_s: Math.round(v * 200), demand: Math.round(v * 10) / 10 }, geometry: { type: 'Polygon', coordinates: [ring] } });
    }
  }
  meta.counts.sites = sites.length;
  meta.counts.grids = grids.length;
  return { areas, grids, sites, activity };
}

let tileIndexes = null;
let fromGeojsonVt = null;
if (FAKE) {
  const { GeoJSONVT } = await import('@maplibre/geojson-vt');
  ({ fromGeojsonVt } = await import('@maplibre/vt-pbf'));
  const city = syntheticCity();
  tileIndexes = {};
  for (const [layer, features] of Object.entries(city)) {
    tileIndexes[layer] = new GeoJSONVT({ type: 'FeatureCollection', features }, { maxZoom: 16, indexMaxZoom: 5, tolerance: 3, extent: 4096, buffer: 64 });
  }
}

function send(res, status, body, type) {
  const h = { 'Content-Type': type || 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };
  if (CSP_ON && /^text\/html/.test(h['Content-Type'])) h['Content-Security-Policy'] = CSP;
  res.writeHead(status, h);
  res.end(body);
}

/** Forwards the request to DEV_PROXY unchanged (method, headers, body) and streams the answer back. */
function proxy(req, res) {
  const up = httpRequest(
    { host: PROXY.hostname, port: PROXY.port, path: req.url, method: req.method, headers: { ...req.headers, host: PROXY.host } },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', (err) => send(res, 502, String(err)));
  req.pipe(up);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const p = url.pathname;
  if (PROXY && /^\/(api|tiles)\/|^\/(healthz|readyz)$/.test(p)) return proxy(req, res);
  try {
    if (p === '/api/meta') {
      if (META_FAIL) return send(res, 500, JSON.stringify({ error: 'dev: meta disabled' }), 'application/json');
      return send(res, 200, JSON.stringify(meta), 'application/json');
    }
    const m = p.match(/^\/tiles\/(\w+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/);
    if (m) {
      const [, layer, z, x, y] = m;
      if (!['activity', 'gaps', 'grids', 'sites', 'areas'].includes(layer)) return send(res, 400, JSON.stringify({ error: 'unknown layer' }), 'application/json');
      const idx = tileIndexes && tileIndexes[layer];
      const tile = idx && idx.getTile(+z, +x, +y);
      if (!tile || !tile.features.length) {
        res.writeHead(204, { 'Cache-Control': 'no-store' });
        return res.end();
      }
      const buf = fromGeojsonVt({ [layer]: tile }, { version: 2, extent: 4096 });
      return send(res, 200, Buffer.from(buf), 'application/vnd.mapbox-vector-tile');
    }
    const rel = normalize(decodeURIComponent(p === '/' ? '/index.html' : p)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, rel);
    if (!file.startsWith(root)) return send(res, 403, 'forbidden');
    const data = await readFile(file);
    return send(res, 200, data, TYPES[extname(file)] || 'application/octet-stream');
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'EISDIR') return send(res, 404, 'not found');
    console.error(err);
    return send(res, 500, String(err));
  }
});

server.listen(PORT, HOST, () => {
  console.log(`devserver: http://${HOST}:${PORT}/ (dist=${root}, fake tiles: ${FAKE ? 'on' : 'off'}${META_FAIL ? ', meta fails' : ''}${PROXY ? `, API from ${PROXY.origin}` : ''}${CSP_ON ? ', CSP on' : ''})`);
});
