// Browser smoke test of the map against a running server (hexcover serve, or test/devserver.mjs).
//
//   BASE_URL=http://127.0.0.1:8080 node test/smoke.mjs        (npm test)
//
// Env:
//   BASE_URL                default http://127.0.0.1:8080
//   CHROMIUM                default /usr/bin/chromium (Debian's; no browser is downloaded)
//   SCREENSHOT_DIR          default web/test/out (map.png, map-en.png, tablet.png)
//   SMOKE_EXPECT_FEATURES   1 (default): tiles must render areas, grids and sites; 0: skip those asserts
//   SMOKE_TIMEOUT_MS        overall limit, default 60000
//
// Fails on console errors, page errors and failed same-origin requests (HTTP >= 400 or network
// failure; 204 tiles are fine). The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messages } from '../src/i18n.js';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const ORIGIN = new URL(BASE_URL).origin;
const EXPECT_FEATURES = process.env.SMOKE_EXPECT_FEATURES !== '0';
const SHOT_DIR = resolve(process.env.SCREENSHOT_DIR || fileURLToPath(new URL('./out/', import.meta.url)));
const TOTAL_MS = Number(process.env.SMOKE_TIMEOUT_MS || 60000);
const READY_MS = 30000;
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
const LAYER = { grids: 'grids-fill', sites: 'sites-circle', district: 'areas-district-fill' };

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
    if (m.type() === 'error') problems.push(`console error: ${m.text()} ${m.location()?.url || ''}`.trim());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (sameOrigin(r.url())) problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText || ''}`);
  });
  page.on('response', (r) => {
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

async function openMap(page, path = '/') {
  const resp = await page.goto(BASE_URL + path, { waitUntil: 'domcontentloaded', timeout: 15000 });
  assert(resp && resp.ok(), `GET ${path}: HTTP ${resp && resp.status()}`);
  await page.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 15000 });
  await page.evaluate(
    (ms) =>
      Promise.race([
        window.hexcover.ready.then(() => true),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`window.hexcover.ready did not resolve within ${ms} ms`)), ms)),
      ]),
    READY_MS,
  );
}

function rendered(page, layer) {
  return page.evaluate((id) => {
    const { map } = window.hexcover;
    if (!map.getLayer(id)) return -1;
    return map.queryRenderedFeatures({ layers: [id] }).length;
  }, layer);
}

const headerText = (page) => page.locator('#header h1').innerText();

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
  });

  const page = context.pages()[0] || (await context.newPage());
  const problems = watch(page);

  await test('i18n: zh and en dictionaries have the same keys', () => {
    const zh = Object.keys(messages.zh).sort();
    const en = Object.keys(messages.en).sort();
    const onlyZh = zh.filter((k) => !(k in messages.en));
    const onlyEn = en.filter((k) => !(k in messages.zh));
    assert(!onlyZh.length && !onlyEn.length, `missing in en: ${onlyZh.join(',') || '-'}; missing in zh: ${onlyEn.join(',') || '-'}`);
  });

  let loaded = false;
  await test('page loads at 1366x768 and the map becomes ready', async () => {
    await openMap(page, '/');
    loaded = true;
    const info = await page.evaluate(() => ({
      canvas: !!document.querySelector('.maplibregl-canvas'),
      hasMeta: !!window.hexcover.meta,
    }));
    assert(info.canvas, 'no map canvas');
    assert(info.hasMeta, '/api/meta was not loaded (window.hexcover.meta is null)');
  });

  await test('header, controls and layer panel are shown in Chinese', async () => {
    assert(loaded, 'page did not load');
    const h = await headerText(page);
    assert(h.includes('骑手服务站覆盖分析'), `header is "${h}", expected the Chinese product name`);
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert(lang === 'zh-CN', `html lang is ${lang}`);
    const n = await page.locator('#layer-list input[type=checkbox]').count();
    assert(n === 4, `expected 4 layer toggles, found ${n}`);
    assert(await page.locator('.maplibregl-ctrl-scale').isVisible(), 'no scale bar');
    assert(await page.locator('.maplibregl-ctrl-zoom-in').isVisible(), 'no navigation control');
    const legend = await page.locator('#panel').innerText();
    assert(legend.includes('骑手·小时'), 'legend has no rider-hours unit');
    assert(await page.locator('#district-name').innerText(), 'no district name in the header');
    assert(!(await page.locator('#error-banner').isVisible()), `error banner shown: ${await page.locator('#error-banner').innerText()}`);
  });

  await test('map view comes from /api/meta and the URL keeps it (#z/lat/lng)', async () => {
    assert(loaded, 'page did not load');
    const v = await page.evaluate(() => {
      const { map, meta } = window.hexcover;
      const c = map.getCenter();
      return { c: [c.lng, c.lat], z: map.getZoom(), meta, hash: location.hash };
    });
    assert(Math.abs(v.c[0] - v.meta.center[0]) < 1e-3 && Math.abs(v.c[1] - v.meta.center[1]) < 1e-3, `center ${v.c} != meta ${v.meta.center}`);
    assert(/^#\d+(\.\d+)?\/-?\d+(\.\d+)?\/-?\d+(\.\d+)?/.test(v.hash), `hash is "${v.hash}"`);
  });

  for (const [what, layer] of Object.entries(LAYER)) {
    await test(`features rendered: ${what} (${layer})`, async () => {
      assert(loaded, 'page did not load');
      const n = await rendered(page, layer);
      assert(n !== -1, `style has no layer ${layer}`);
      assert(n > 0, `queryRenderedFeatures({layers:['${layer}']}) is empty`);
    }, { skip: !EXPECT_FEATURES });
  }

  await test('screenshot map.png', async () => {
    await page.screenshot({ path: join(SHOT_DIR, 'map.png') });
  });

  await test('layer toggle hides and shows a layer group', async () => {
    assert(loaded, 'page did not load');
    const box = page.locator('#toggle-sites');
    await box.uncheck();
    const off = await page.evaluate(() => window.hexcover.map.getLayoutProperty('sites-circle', 'visibility'));
    await box.check();
    const on = await page.evaluate(() => window.hexcover.map.getLayoutProperty('sites-circle', 'visibility'));
    assert(off === 'none' && on === 'visible', `visibility off=${off} on=${on}`);
  });

  await test('language switch changes the header from Chinese to English and is remembered', async () => {
    assert(loaded, 'page did not load');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 5000 });
    const h = await headerText(page);
    assert(/coverage/i.test(h) && !h.includes('骑手'), `header after switch is "${h}"`);
    const st = await page.evaluate(() => ({ url: location.href, stored: localStorage.getItem('hexcover.lang') }));
    assert(new URL(st.url).searchParams.get('lang') === 'en', `URL has no ?lang=en: ${st.url}`);
    assert(/#\d/.test(new URL(st.url).hash), `URL lost the map hash: ${st.url}`);
    assert(st.stored === 'en', `localStorage hexcover.lang = ${st.stored}`);
    const legend = await page.locator('#panel').innerText();
    assert(legend.includes('rider-hours'), 'legend not translated');
    await page.screenshot({ path: join(SHOT_DIR, 'map-en.png') });
    // A fresh visit without ?lang= keeps English (localStorage), then switch back.
    await openMap(page, '/');
    const h2 = await headerText(page);
    assert(/coverage/i.test(h2), `after reload header is "${h2}"`);
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 5000 });
  });

  await test('no console errors, page errors or failed same-origin requests', () => {
    assert(problems.length === 0, `\n  ${problems.join('\n  ')}`);
  });

  await test('tablet (820x1180, touch): header and panel fit', async () => {
    const tab = await context.newPage();
    const tp = watch(tab);
    await tab.setViewportSize({ width: 820, height: 1180 });
    await openMap(tab, '/?lang=zh');
    const fit = await tab.evaluate(() => {
      const r = (s) => document.querySelector(s).getBoundingClientRect();
      const vw = innerWidth;
      return {
        header: document.querySelector('#header').scrollWidth <= vw,
        lang: r('#lang-switch').right <= vw && r('#lang-switch').width > 0,
        panel: r('#panel').right <= vw && r('#panel').width > 0,
      };
    });
    await tab.screenshot({ path: join(SHOT_DIR, 'tablet.png') });
    await tab.close();
    assert(fit.header && fit.lang && fit.panel, `layout overflow: ${JSON.stringify(fit)}`);
    assert(tp.length === 0, `\n  ${tp.join('\n  ')}`);
  });

  await test('error banner (role=alert) and Shanghai fallback when /api/meta fails', async () => {
    const p2 = await context.newPage();
    await p2.route('**/api/meta', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"smoke"}' }));
    await p2.goto(BASE_URL + '/', { waitUntil: 'domcontentloaded' });
    await p2.waitForFunction(() => window.hexcover && window.hexcover.ready, null, { timeout: 15000 });
    await p2.locator('[role=alert]').waitFor({ state: 'visible', timeout: 5000 });
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

async function finish(code) {
  clearTimeout(overall);
  try {
    if (context) await context.close();
  } catch {
    // ignore
  }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
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
