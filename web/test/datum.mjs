// Browser test of the basemap datum (HEXCOVER_BASEMAP_DATUM=gcj02) against a running server whose
// HEXCOVER_BASEMAP_STYLE is a local GCJ-02 fixture. Driven by TestBasemapDatumBrowser
// (cmd/hexcover/datum_test.go), which starts both; run alone:
//
//   go test -count=1 -run '^TestBasemapDatumBrowser$' ./cmd/hexcover
//
// Env: BASE_URL (hexcover serve, HEXCOVER_DEMO_LOGIN=on), FIXTURE_URL (the fixture: style, raster
// tiles, and geo's own conversions /wgs2gcj, /gcj2wgs and /cell, so the checks do not trust
// web/src/datum.js), SITE ({"ID","Lng","Lat"}: an existing demo site, WGS-84), CHROMIUM, SCREENSHOT_DIR.
//
// Checks: the external style is drawn instead of our basemap; a site and a hexagon are drawn at their
// GCJ-02 positions, not their WGS-84 ones; the URL hash is WGS-84 both ways; a siting point added by a
// click is sent as WGS-84 within 0.5 m; the picks' markers and radii are drawn shifted. No network:
// every request goes to the two local servers. The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const FIXTURE_URL = (process.env.FIXTURE_URL || '').replace(/\/+$/, '');
const SITE = JSON.parse(process.env.SITE || 'null');
const SHOT_DIR = resolve(process.env.SCREENSHOT_DIR || 'test/out');
const ALLOWED = [new URL(BASE_URL).origin, FIXTURE_URL && new URL(FIXTURE_URL).origin];

let passed = 0;
let failed = 0;
const log = (...a) => console.log(...a);

/** Rejects after ms: no step may hang the test. */
function within(ms, p, what) {
  let timer;
  return Promise.race([p, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function test(name, fn) {
  const t0 = Date.now();
  try {
    await within(90000, fn(), name);
    passed++;
    log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    log(`FAIL ${name}: ${err && err.message ? err.message : err}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Great-circle distance in metres between [lng, lat] points. */
function metres(a, b) {
  const r = Math.PI / 180;
  const dLat = (b[1] - a[1]) * r;
  const dLng = (b[0] - a[0]) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

async function fixture(path) {
  const res = await fetch(FIXTURE_URL + path);
  if (!res.ok) throw new Error(`fixture ${path}: ${res.status}`);
  return res.json();
}
const wgs2gcj = (p) => fixture(`/wgs2gcj?lng=${p[0]}&lat=${p[1]}`);
const gcj2wgs = (p) => fixture(`/gcj2wgs?lng=${p[0]}&lat=${p[1]}`);

/** Moves the map and waits until it is idle (all tiles drawn). */
function jumpAndIdle(page, center, zoom) {
  return page.evaluate(
    ([c, z]) =>
      new Promise((res) => {
        const m = window.hexcover.map;
        m.jumpTo({ center: c, zoom: z });
        // A jump to where the map already is renders nothing: no idle event follows.
        if (m.loaded() && !m.isMoving()) m.triggerRepaint();
        m.once('idle', () => res());
      }),
    [center, zoom],
  );
}

/** Ids (property `prop`) of the features of layer rendered within 4 px of the map position p. */
function renderedAt(page, layer, p, prop) {
  return page.evaluate(
    ([layer, p, prop]) => {
      const m = window.hexcover.map;
      const px = m.project(p);
      return m.queryRenderedFeatures([[px.x - 4, px.y - 4], [px.x + 4, px.y + 4]], { layers: [layer] }).map((f) => String(f.properties[prop]));
    },
    [layer, p, prop],
  );
}

async function main() {
  assert(FIXTURE_URL && SITE, 'FIXTURE_URL and SITE are required');
  mkdirSync(SHOT_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 20000,
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/status of 401/.test(m.text()) && /\/api\/me$/.test(m.location()?.url || '')) return; // before login
    problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^https?:$/.test(u.protocol) && !ALLOWED.includes(u.origin)) problems.push(`request outside the fixture: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  const site = [SITE.Lng, SITE.Lat];
  const siteGcj = await wgs2gcj(site);
  log(`site ${SITE.ID}: WGS-84 ${site}, GCJ-02 ${siteGcj} (${metres(site, siteGcj).toFixed(0)} m apart)`);

  await test('log in; the external GCJ-02 style is drawn instead of our basemap', async () => {
    await page.goto(`${BASE_URL}/?view=siting`, { waitUntil: 'domcontentloaded', timeout: 15000 });
    const btn = page.locator('#demo-login-buttons [data-demo-role="admin"]');
    await btn.waitFor({ state: 'visible', timeout: 45000 });
    await btn.click();
    await page.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 60000 });
    await page.evaluate(() => window.hexcover.ready);
    const s = await page.evaluate(() => ({
      datum: window.hexcover.meta?.basemap?.datum,
      sources: Object.keys(window.hexcover.map.getStyle().sources),
      layers: window.hexcover.map.getStyle().layers.map((l) => l.id),
    }));
    assert(s.datum === 'gcj02', `meta.basemap.datum = ${s.datum}`);
    assert(s.sources.includes('ext-gcj') && s.layers[0] === 'ext-bg' && s.layers.includes('ext-gcj'), `external style missing: ${s.layers.slice(0, 5)}`);
    assert(!s.layers.some((l) => l.startsWith('basemap-')) && !s.sources.includes('hexcover-basemap'), 'our own basemap is still drawn');
  });

  await test('a site is drawn at its GCJ-02 position, not its WGS-84 one', async () => {
    await jumpAndIdle(page, siteGcj, 16);
    const at = await renderedAt(page, 'sites-circle', siteGcj, 'id');
    assert(at.includes(SITE.ID), `no site ${SITE.ID} at its GCJ-02 position (found ${at})`);
    const wrong = await renderedAt(page, 'sites-circle', site, 'id');
    assert(!wrong.includes(SITE.ID), `site ${SITE.ID} also drawn at its WGS-84 position`);
    await page.screenshot({ path: join(SHOT_DIR, 'datum-gcj02.png') });
  });

  await test('the URL hash holds the WGS-84 centre (within 0.5 m)', async () => {
    await page.waitForFunction(() => /^#16\//.test(location.hash), null, { timeout: 5000 });
    const [, lat, lng] = (await page.evaluate(() => location.hash.slice(1))).split('/').map(Number);
    const d = metres([lng, lat], site);
    assert(d < 0.5, `hash ${lat},${lng} is ${d.toFixed(2)} m from the site's WGS-84 position`);
  });

  await test('a hexagon is drawn at its GCJ-02 position', async () => {
    let checked = 0;
    for (const zoom of [15, 14, 13]) {
      await jumpAndIdle(page, siteGcj, zoom);
      const cells = await page.evaluate(() => [...new Set(window.hexcover.map.queryRenderedFeatures({ layers: ['activity-fill'] }).map((f) => f.properties.cell))].slice(0, 5));
      for (const cell of cells) {
        const c = await fixture(`/cell?id=${cell}`);
        const inView = await page.evaluate((p) => window.hexcover.map.getBounds().contains(p), c.gcj);
        if (!inView) continue;
        const at = await renderedAt(page, 'activity-fill', c.gcj, 'cell');
        assert(at.includes(cell), `hexagon ${cell} not at its GCJ-02 centre (found ${at})`);
        const wrong = await renderedAt(page, 'activity-fill', c.wgs, 'cell');
        assert(!wrong.includes(cell), `hexagon ${cell} drawn at its WGS-84 centre`);
        checked++;
      }
      if (checked) break;
    }
    assert(checked > 0, 'no activity hexagon in view to check');
  });

  await test("a site's catchment (asked from its popup) is drawn shifted onto the basemap", async () => {
    await jumpAndIdle(page, siteGcj, 15);
    const box = await page.locator('#map').boundingBox();
    const px = await page.evaluate((p) => window.hexcover.map.project(p), siteGcj);
    await page.mouse.click(box.x + px.x, box.y + px.y);
    const btn = page.locator(`[data-catchment="${SITE.ID}"]`);
    await btn.waitFor({ timeout: 5000 });
    const respP = page.waitForResponse((r) => r.url().includes('/catchment?by=ext_id'));
    await btn.click();
    const resp = await respP;
    assert(resp.ok(), `catchment: HTTP ${resp.status()}`);
    const f = await resp.json();
    await page.locator('#catchment-note').waitFor({ timeout: 5000 });
    const first = (g) => (typeof g[0] === 'number' ? g : first(g[0]));
    const want = await wgs2gcj(first(f.geometry.coordinates));
    const drawn = await page.evaluate(async () => {
      const d = await window.hexcover.map.getSource('hexcover-catchment').getData();
      const first = (g) => (typeof g[0] === 'number' ? g : first(g[0]));
      return first(d.features[0].geometry.coordinates);
    });
    const d = metres(drawn, want);
    assert(d < 0.01, `catchment vertex drawn at ${drawn}, ${d.toFixed(3)} m from its GCJ-02 position ${want}`);
    await page.evaluate(() => new Promise((r) => (window.hexcover.map.loaded() ? r() : window.hexcover.map.once('idle', r))));
    const layer = f.geometry.type === 'Polygon' ? 'catchment-fill' : 'catchment-line';
    const n = await page.evaluate((l) => window.hexcover.map.queryRenderedFeatures({ layers: [l] }).length, layer);
    assert(n > 0, `no ${layer} rendered`);
    await page.screenshot({ path: join(SHOT_DIR, 'datum-catchment.png') });
  });

  await test('a reloaded WGS-84 hash centres the map on the GCJ-02 position', async () => {
    await page.goto(`${BASE_URL}/?view=siting#16/${SITE.Lat}/${SITE.Lng}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 60000 });
    await page.evaluate(() => window.hexcover.ready);
    const c = await page.evaluate(() => window.hexcover.map.getCenter().toArray());
    const d = metres(c, siteGcj);
    assert(d < 0.5, `centre ${c} is ${d.toFixed(2)} m from the site's GCJ-02 position`);
  });

  await test('a siting point added by a click and a site removed by a click are sent in WGS-84; picks are drawn shifted', async () => {
    await jumpAndIdle(page, siteGcj, 16);
    await page.check('#edit-mode');
    const box = await page.locator('#map').boundingBox();
    const click = { x: Math.round(box.width * 0.3), y: Math.round(box.height * 0.55) };
    const onMap = await page.evaluate((p) => window.hexcover.map.unproject([p.x, p.y]).toArray(), click);
    await page.mouse.click(box.x + click.x, box.y + click.y);
    await page.locator('#siting-edits li').first().waitFor({ timeout: 5000 });
    // The existing site, clicked where the GCJ-02 basemap draws it: removed, kept with its WGS-84 position.
    const sitePx = await page.evaluate((p) => window.hexcover.map.project(p), siteGcj);
    await page.mouse.click(box.x + sitePx.x, box.y + sitePx.y);
    await page.locator('#siting-edits li').nth(1).waitFor({ timeout: 5000 });
    const respP = page.waitForResponse((r) => r.url().endsWith('/api/siting'));
    await page.click('#run-siting');
    const resp = await respP;
    const req = JSON.parse(resp.request().postData());
    assert(req.add && req.add.length === 1, `request ${JSON.stringify(req)}`);
    const want = await gcj2wgs(onMap);
    const sent = [req.add[0].lng, req.add[0].lat];
    const d = metres(sent, want);
    assert(d < 0.5, `sent ${sent}, ${d.toFixed(2)} m from the WGS-84 of the clicked point ${want}`);
    assert(metres(sent, onMap) > 100, `sent ${sent} is the unshifted map position ${onMap}`);
    assert(Array.isArray(req.remove) && req.remove.map(String).includes(SITE.ID), `request removes ${JSON.stringify(req.remove)}, want ${SITE.ID}`);
    const run = JSON.parse(new URL(page.url()).searchParams.get('run') || '{}');
    const rem = (run.r || []).find((x) => String(x[0]) === SITE.ID);
    assert(rem, `run= in the URL lacks the removed site: ${JSON.stringify(run)}`);
    const dr = metres([rem[2], rem[3]], site);
    assert(dr < 0.5, `the removed site is kept at ${rem[2]},${rem[3]}, ${dr.toFixed(2)} m from its WGS-84 position`);
    // The picks: each marker sits at its pick's GCJ-02 position, and so does its radius.
    const body = await resp.json();
    await page.locator('.pick-marker[data-rank]').first().waitFor({ timeout: 10000 });
    await page.evaluate(() => new Promise((r) => (window.hexcover.map.loaded() ? r() : window.hexcover.map.once('idle', r))));
    let checked = 0;
    for (const p of (body.picks || []).slice(0, 3)) {
      const g = await wgs2gcj([p.lng, p.lat]);
      const pos = await page.evaluate(
        ([g, rank]) => {
          const m = window.hexcover.map;
          const el = document.querySelector(`.pick-marker[data-rank="${rank}"]`);
          const r = el.getBoundingClientRect();
          const c = m.getCanvas().getBoundingClientRect();
          const want = m.project(g);
          return { dx: r.left + r.width / 2 - c.left - want.x, dy: r.top + r.height / 2 - c.top - want.y, inView: m.getBounds().contains(g) };
        },
        [g, p.rank],
      );
      assert(Math.hypot(pos.dx, pos.dy) < 3, `pick ${p.rank}: marker ${pos.dx.toFixed(1)},${pos.dy.toFixed(1)} px off its GCJ-02 position`);
      if (pos.inView && p.radius_m) {
        const r = await page.evaluate((g) => {
          const m = window.hexcover.map;
          return m.queryRenderedFeatures(m.project(g), { layers: ['picks-radius'] }).length;
        }, g);
        assert(r > 0, `pick ${p.rank}: no radius drawn around its GCJ-02 position`);
      }
      checked++;
    }
    assert(checked > 0, `no picks in ${JSON.stringify(body).slice(0, 200)}`);
  });

  await test('no errors and no request outside the two local servers', async () => {
    assert(problems.length === 0, problems.slice(0, 5).join('\n'));
  });

  await browser.close();
  log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

setTimeout(() => {
  log('FAIL the datum test did not finish within 6 minutes');
  process.exit(1);
}, 360000).unref();

main().catch((err) => {
  log(`FAIL ${err.stack || err}`);
  log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
