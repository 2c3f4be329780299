// What people expect of a good single-page app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer, SEED_SLUG } from '../harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const apiRequests = (page) => {
  const seen = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) seen.push(new URL(r.url()).pathname); });
  return seen;
};

test('title and description follow the route', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/services');
  await page.waitForFunction(() => document.title.startsWith('Scale Your Backend'));
  const desc = await page.getAttribute('meta[name=description]', 'content');
  assert.match(desc, /backend engineers who join your team/i);
  await page.click('header >> text=Articles');
  await page.waitForFunction(() => document.title === 'Articles · Keel');
  assert.match(await page.getAttribute('meta[name=description]', 'content'), /Articles on backend engineering/);
});

test('hovering an article link fetches it, so the click renders at once', async () => {
  const page = await newPage(browser);
  const seen = apiRequests(page);
  await page.goto(server.url + '/articles');
  await page.waitForSelector('main .card');
  const link = page.locator(`main .card a[href="/articles/${SEED_SLUG}"]`);
  await link.hover();
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/api/v1/articles/why-backend')));
  assert.ok(seen.includes(`/api/v1/articles/${SEED_SLUG}.json`));
  const count = seen.length;
  await link.click();
  await page.waitForSelector('article h1');
  assert.equal(seen.length, count, 'no request after the click');
});

test('going back renders from memory without fetching again', async () => {
  const page = await newPage(browser);
  const seen = apiRequests(page);
  await page.goto(server.url + '/articles');
  await page.waitForSelector('main .card');
  await page.click(`main .card a[href="/articles/${SEED_SLUG}"]`);
  await page.waitForSelector('article h1');
  const count = seen.length;
  await page.goBack();
  await page.waitForSelector('main .card');
  await page.goForward();
  await page.waitForSelector('article h1');
  assert.equal(seen.length, count);
});

test('scroll goes to the top on a click and comes back on back', async () => {
  const page = await newPage(browser, { width: 1280, height: 700 });
  await page.goto(server.url + '/articles/rest-is-not-just-using-http-here-is-what-it-actually-means');
  await page.waitForSelector('.more, main .card');
  // Scroll and click in one task, so the click comes before the scroll event
  // is dispatched (a fast visitor, or a busy machine); from script, because
  // page.click would first scroll the footer into view, and the position to
  // come back to is the one the visitor clicked from.
  await page.evaluate(() => {
    window.scrollTo(0, 2500);
    [...document.querySelectorAll('footer a')].find((a) => a.textContent.includes('Tell us about your project')).click();
  });
  await page.waitForURL(/\/contact$/);
  await page.waitForFunction(() => window.scrollY === 0);
  await page.goBack();
  await page.waitForURL(/rest-is-not/);
  await page.waitForFunction(() => Math.abs(window.scrollY - 2500) < 5, null, { timeout: 3000 });
});

test('tag filter, search and page live in the URL; back walks through them', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/articles');
  await page.waitForSelector('main .card');
  await page.click('.filters >> text=oauth (1)');
  await page.waitForURL(/\/articles\?tag=oauth$/);
  await page.waitForFunction(() => document.querySelectorAll('main .card').length === 1);
  assert.match(await page.textContent('h1'), /tagged “oauth”/);
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('main .card').length === 5);

  await page.fill('#search', 'pkce');
  await page.waitForURL(/q=pkce/);
  await page.waitForSelector('text=1 result for “pkce”');
  assert.match(await page.textContent('main .card :is(h2, h3)'), /OAuth/);
  // A linked view opens as it was.
  const linked = await newPage(browser);
  await linked.goto(server.url + '/articles?q=tech+lead');
  await linked.waitForSelector('text=/results? for “tech lead”/');
  assert.equal(await linked.inputValue('#search'), 'tech lead');
  assert.ok((await linked.locator('main .card').count()) >= 1);
  // A page past the end says so instead of failing.
  await linked.goto(server.url + '/articles?page=9');
  await linked.waitForSelector('text=No articles here');
});

test('the theme toggle is remembered across reloads and overrides the system', async () => {
  const page = await newPage(browser, { colorScheme: 'light' });
  await page.goto(server.url + '/');
  await page.waitForSelector('#page-title');
  const bg = () => page.evaluate(() => getComputedStyle(document.querySelector('#app > div')).backgroundColor);
  const light = await bg();
  await page.click('.theme-toggle'); // system -> dark (pressed again by the loader if the app was not running yet)
  await page.waitForFunction(() => document.documentElement.getAttribute('data-keel-theme') === 'dark');
  const dark = await bg();
  assert.notEqual(dark, light);
  await page.reload();
  await page.waitForSelector('#page-title');
  assert.equal(await page.getAttribute('html', 'data-keel-theme'), 'dark');
  assert.equal(await bg(), dark);
});

test('a slow load shows the progress bar, a fast one does not', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/');
  await page.waitForSelector('#page-title');
  assert.equal(await page.locator('.progress.active').count(), 0);
  await page.route('**/api/v1/articles/page/1.json', async (route) => { await new Promise((r) => setTimeout(r, 2000)); await route.continue(); });
  await page.click('header >> text=Articles');
  await page.waitForSelector('.progress.active', { timeout: 1800 });
  await page.waitForSelector('main .card');
  await page.waitForSelector('.progress:not(.active)', { state: 'attached' });
});

test('a slow request made by the first page shows the progress bar too', async () => {
  const page = await newPage(browser);
  // The server has no page for this article, so the app asks the API itself.
  await page.route('**/api/v1/articles/no-such-article.json', async (route) => { await new Promise((r) => setTimeout(r, 2000)); await route.continue(); });
  await page.goto(server.url + '/articles/no-such-article');
  await page.waitForSelector('.progress.active', { timeout: 1800 });
  await page.waitForSelector('.progress:not(.active)', { state: 'attached' });
  await page.waitForSelector('text=We could not find that page');
});

test('no layout shift when data arrives', async () => {
  // A tag's page is not embedded in the prerendered index: the app renders
  // it afresh, its placeholder first, and the list when the slow answer comes.
  const page = await newPage(browser);
  let delayed = 0;
  await page.route('**/api/v1/tags/*/page/1.json', async (route) => { delayed++; await new Promise((r) => setTimeout(r, 800)); await route.continue(); });
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; })
      .observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto(server.url + '/articles?tag=api');
  await page.waitForSelector('main [aria-busy=true]');
  await page.waitForFunction(() => document.querySelector('main h1')?.textContent.includes('“api”') && document.querySelector('main .card'));
  await page.waitForTimeout(300);
  assert.ok(delayed >= 1, 'the list came from the slow answer');
  const cls = await page.evaluate(() => window.__cls);
  assert.ok(cls < 0.1, `cumulative layout shift ${cls.toFixed(3)} should be under 0.1 (good)`);
});

test('reduced motion: the progress bar does not animate', async () => {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(server.url + '/');
  await page.waitForSelector('#page-title');
  await page.evaluate(() => document.querySelector('.progress').classList.add('active'));
  assert.match(await page.evaluate(() => getComputedStyle(document.querySelector('.progress')).transitionDuration), /^0s/);
  await context.close();
  const moving = await newPage(browser);
  await moving.goto(server.url + '/');
  await moving.waitForSelector('#page-title');
  await moving.evaluate(() => document.querySelector('.progress').classList.add('active'));
  assert.notEqual(await moving.evaluate(() => getComputedStyle(document.querySelector('.progress')).transitionDuration), '0s');
});

test('nothing overflows sideways on a 320px phone', async () => {
  const page = await newPage(browser, { width: 320, height: 640 });
  const wide = [];
  for (const path of ['/', '/articles', `/articles/${SEED_SLUG}`, '/articles/rest-is-not-just-using-http-here-is-what-it-actually-means', '/services', '/contact', '/nope']) {
    await page.goto(server.url + path);
    await page.waitForSelector('#page-title');
    const w = await page.evaluate(() => document.scrollingElement.scrollWidth);
    if (w > 320) wide.push(`${path}: ${w}px`);
  }
  assert.deepEqual(wide, []);
});
