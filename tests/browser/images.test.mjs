// Images as a reader gets them, from the real server: a <picture> in the
// best format the browser reads, at the width its column needs, in a box
// reserved before a single byte of it arrives, so nothing on the page moves
// (CLS 0) even when the images are slow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer } from '../harness.mjs';

const ARTICLE = '/articles/oauth-is-confusing-until-you-understand-what-problem-it-actually-solves';
let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** Every layout shift the page has had, summed as CLS counts them. */
function watchShifts() {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) {
        window.__shifts.push({ value: e.value, sources: e.sources?.map((s) => s.node?.outerHTML?.slice(0, 80)) });
      }
    }
  }).observe({ type: 'layout-shift', buffered: true });
}

// The article (a cover and figures) and the index (the cards' covers).
for (const [path, least] of [[ARTICLE, 3], ['/articles', 2]])
for (const [width, height] of [[375, 812], [1280, 900]]) {
  test(`${path} at ${width} px: slow images move nothing as they arrive (CLS 0)`, async () => {
    const page = await newPage(browser, { width, height });
    await page.addInitScript(watchShifts);
    // A slow image server: every image file takes 1.5 s.
    const asked = [];
    await page.route('**/media/**', async (route) => {
      asked.push(new URL(route.request().url()).pathname);
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(server.url + path, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#page-title');
    // Before any image has arrived, each has its box already.
    const boxes = () => page.evaluate(() => [...document.querySelectorAll('main picture img')].map((img) => {
      const r = img.getBoundingClientRect();
      return { src: img.getAttribute('src'), w: Math.round(r.width), h: Math.round(r.height), complete: img.complete && img.naturalWidth > 0 };
    }));
    const before = await boxes();
    assert.ok(before.length >= least, `its images: ${JSON.stringify(before)}`);
    for (const b of before) {
      assert.ok(b.w > 0 && b.h > 0, `a box before the bytes: ${JSON.stringify(b)}`);
    }
    assert.ok(before.some((b) => !b.complete), 'the images were still on their way');
    // The app adopts the page meanwhile; a <picture> whose sources it sets
    // again asks for its file again (from the cache, here from the slow
    // server), so the files are judged once it runs.
    await page.waitForFunction(() => window.__keelStarted, null, { timeout: 15000 });
    // Read the page through, so the lazy images load too.
    await page.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
        scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await page.waitForFunction(() => [...document.querySelectorAll('main picture img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30000 });
    const after = await boxes();
    assert.deepEqual(after.map(({ w, h }) => [w, h]), before.map(({ w, h }) => [w, h]), 'the same boxes once loaded');
    const shifts = await page.evaluate(() => window.__shifts);
    assert.deepEqual(shifts, [], 'no layout shift');
    // The browser chose AVIF, at the width its column needs at 1×: a
    // phone's 343 px column the 480 px file, the desktop's 768 px cover the
    // 960 px one (`sizes`), never the largest.
    const chosen = await page.evaluate(() => [...document.querySelectorAll('main picture img')].map((i) => i.currentSrc));
    const rasters = chosen.filter((s) => !s.endsWith('.svg'));
    assert.ok(rasters.length >= 2, `${chosen}`);
    for (const src of rasters) {
      assert.match(src, /\/media\/[0-9a-f]{16}-(480|960)\.avif$/, `AVIF where the browser reads it, at a column width: ${chosen}`);
    }
    if (path === ARTICLE) assert.match(rasters[0], width === 375 ? /-480\.avif$/ : /-960\.avif$/, `the cover's file: ${chosen}`);
    assert.ok(asked.length > 0 && asked.every((p) => /^\/media\//.test(p)));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('the cover loads at once and first; figures further down wait until they are near', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + ARTICLE);
  const cover = page.locator('.article-header .cover img');
  assert.equal(await cover.getAttribute('loading'), null);
  assert.equal(await cover.getAttribute('fetchpriority'), 'high');
  assert.match(await cover.getAttribute('alt'), /key card/);
  const figures = page.locator('main .prose figure');
  assert.ok(await figures.count() >= 2);
  for (const figure of await figures.all()) {
    const img = figure.locator('img');
    assert.equal(await img.getAttribute('loading'), 'lazy');
    assert.equal(await img.getAttribute('decoding'), 'async');
    assert.ok((await img.getAttribute('alt')).length > 40, 'alt text that says what it shows');
    assert.ok((await figure.locator('figcaption').textContent()).length > 20, 'a caption');
    assert.ok(Number(await img.getAttribute('width')) > 0 && Number(await img.getAttribute('height')) > 0);
  }
  // The rasters offer AVIF and WebP at every width; an SVG is its own file.
  const sources = await page.evaluate(() => [...document.querySelectorAll('.cover source')].map((s) => [s.type, s.srcset]));
  assert.deepEqual(sources.map(([t]) => t), ['image/avif', 'image/webp']);
  assert.match(sources[0][1], /-480\.avif 480w, .*-960\.avif 960w, .*-1440\.avif 1440w$/);
  // Every file the page names is served, immutable.
  const urls = await page.evaluate(() => [...new Set([...document.querySelectorAll('main img, main source')]
    .flatMap((e) => (e.srcset ? e.srcset.split(', ').map((s) => s.split(' ')[0]) : [e.getAttribute('src')])))]);
  for (const url of urls) {
    const res = await fetch(new URL(url, server.url));
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('cache-control'), /immutable/, url);
  }
  // The cards of the article's "More articles" show their covers, decorative there.
  const cards = page.locator('main section .card picture img');
  if (await cards.count()) assert.equal(await cards.first().getAttribute('alt'), '');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
