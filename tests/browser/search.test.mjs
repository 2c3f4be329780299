// Search reads the sharded index: the meta document, only the shards the
// query's words fall in, and one small summary per result on screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer } from '../harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('a query fetches only the shards it needs, ranks the title match first and marks the matched words', async () => {
  const page = await newPage(browser);
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/search')) fetched.push(new URL(r.url()).pathname); });
  await page.goto(server.url + '/articles');
  await page.waitForSelector('main .card');
  await page.fill('#search', 'oauth');
  await page.waitForURL(/q=oauth/);
  await page.waitForSelector('main .card mark');
  assert.match(await page.textContent('main .card :is(h2, h3)'), /OAuth/, 'the article with oauth in its title comes first');
  assert.deepEqual(await page.$$eval('main .card:first-child h2 mark', (m) => m.map((e) => e.textContent.toLowerCase())), ['oauth']);
  const meta = await (await fetch(server.url + '/api/v1/search/meta.json')).json();
  const shards = fetched.filter((p) => p.includes('/shard/'));
  assert.ok(fetched.includes('/api/v1/search/meta.json'), fetched.join(' '));
  assert.ok(shards.length >= 1 && shards.length < meta.shards.length || meta.shards.length === 1, `${shards.length} of ${meta.shards.length} shards: ${shards}`);
  assert.ok(fetched.some((p) => p.includes('/doc/')), 'result summaries are fetched');
  assert.ok(!fetched.includes('/api/v1/search.json'), 'no whole index');
});

test('prefixes match, and a query that matches nothing says so', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/articles?q=idempot');
  await page.waitForSelector('text=/\\d+ results? for “idempot”/');
  assert.ok((await page.locator('main .card').count()) >= 1);
  await page.goto(server.url + '/articles?q=zzzzqqq');
  await page.waitForSelector('text=0 results for “zzzzqqq”');
});

test('typing a search keeps focus wherever the index was opened from', async () => {
  // The first keystroke writes the URL afresh: no trailing slash, no
  // parameter the index does not know. That is still no navigation.
  for (const path of ['/articles/', '/articles?utm_source=x', '/articles/index.html']) {
    const page = await newPage(browser);
    await page.goto(server.url + path);
    await page.click('#search');
    await page.keyboard.type('team', { delay: 30 });
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'team');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'search', path);
    assert.equal(await page.inputValue('#search'), 'team', path);
    await page.context().close();
  }
});

test('typing a search keeps focus and every keystroke in the field', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/articles');
  await page.click('#search');
  await page.keyboard.type('caching', { delay: 30 });
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'caching');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search');
  assert.equal(await page.inputValue('#search'), 'caching');
  // A real navigation from there still moves focus to the new page (its
  // heading, or main while the article loads).
  await page.click('main .card a');
  await page.waitForFunction(() => ['page-title', 'main'].includes(document.activeElement?.id));
  assert.deepEqual(page.errors, []);
});

test('a retry of the search index that then fails at a shard keeps focus on "Try again"', async () => {
  const page = await newPage(browser);
  let summaryFails = true;
  const down = async (route) => {
    await new Promise((r) => setTimeout(r, 300)); // the placeholder shows in between
    return route.fulfill({ status: 503, contentType: 'application/json', body: '{"status":503,"error":"unavailable","message":"Down."}' });
  };
  await page.route('**/api/v1/search/meta.json', (route) => (summaryFails ? down(route) : route.continue()));
  await page.route('**/api/v1/search/shard/*.json', down);
  await page.goto(server.url + '/articles?q=oauth');
  await page.waitForSelector('[role=alert] button');
  assert.match(await page.textContent('[role=alert]'), /Could not load the search index/);
  summaryFails = false;
  await page.focus('[role=alert] button');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('[role=alert]'));
  await page.waitForSelector('[role=alert] button');
  await page.waitForFunction(() => document.activeElement?.textContent === 'Try again', null, { timeout: 2000 });
});

/// An index of `n` results for "alpha", served in place of the site's own.
async function alphaIndex(page, n) {
  const json = (route, body) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(body) });
  await page.route('**/api/v1/search/meta.json', (route) => json(route, { docs: n, shards: [''], tags: [], doc_tags: Array.from({ length: n }, () => []) }));
  await page.route('**/api/v1/search/shard/0.json', (route) => json(route, { terms: [{ t: 'alpha', p: Array.from({ length: n }, (_, d) => [d, 1]).flat() }] }));
  await page.route('**/api/v1/search/doc/*.json', (route) => {
    const id = Number(route.request().url().match(/(\d+)\.json$/)[1]);
    return json(route, {
      slug: `alpha-${id}`, title: `Alpha ${id}`, summary: 'A made-up result.', date: '2025-01-01', updated: null,
      tags: [], author: { name: 'A. Writer', role: 'Tester' }, reading_minutes: 1,
    });
  });
}

test('"Show more" reveals ten more results and moves focus to the first of them', async () => {
  const page = await newPage(browser);
  await alphaIndex(page, 25);
  await page.goto(server.url + '/articles?q=alpha');
  await page.waitForSelector('text=25 results for “alpha”');
  const results = () => page.locator('#results .cards > li').count();
  const focused = () => page.evaluate(() => [...document.querySelectorAll('#results .cards > li')].findIndex((li) => li.contains(document.activeElement)));
  assert.equal(await results(), 10);
  await page.focus('text=Show more (15 left)');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#results .cards > li').length === 20);
  await page.waitForFunction(() => document.activeElement?.matches('#results .cards > li'), null, { timeout: 2000 });
  assert.equal(await focused(), 10, 'the first new result has focus');
  await page.waitForSelector('#results .cards > li:nth-child(11) a');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'A', 'Tab goes on into that result');
  assert.equal(await focused(), 10);
  // The last press removes the button: focus goes to the new results, not to the page.
  await page.focus('text=Show more (5 left)');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#results .cards > li').length === 25);
  assert.equal(await page.getByText(/Show more/).count(), 0);
  await page.waitForFunction(() => document.activeElement?.matches('#results .cards > li'), null, { timeout: 2000 });
  assert.equal(await focused(), 20);
});

test('Back to the results shows as many as "Show more" had revealed, at the same scroll position', async () => {
  const page = await newPage(browser);
  await page.setViewportSize({ width: 1000, height: 700 });
  await alphaIndex(page, 25);
  await page.goto(server.url + '/articles?q=alpha');
  await page.waitForSelector('text=25 results for “alpha”');
  await page.click('text=Show more (15 left)');
  await page.waitForFunction(() => document.querySelectorAll('#results .cards > li').length === 20);
  await page.waitForSelector('#results .cards > li:nth-child(18) a');
  await page.evaluate(() => document.querySelector('#results .cards > li:nth-child(18)').scrollIntoView({ block: 'center' }));
  await page.waitForTimeout(200);
  const left = await page.evaluate(() => scrollY);
  assert.ok(left > 500, `scrolled down to the 18th result (${left})`);
  await page.click('#results .cards > li:nth-child(18) a');
  await page.waitForURL(/\/articles\/alpha-17$/);
  await page.goBack();
  await page.waitForURL(/q=alpha/);
  await page.waitForFunction(() => document.querySelectorAll('#results .cards > li').length === 20, null, { timeout: 3000 });
  assert.equal(await page.getByText('Show more (5 left)').count(), 1);
  await page.waitForFunction((y) => Math.abs(scrollY - y) < 4, left, { timeout: 3000 });
  // A new query starts at its first ten again.
  await page.fill('#search', 'alpha ');
  await page.waitForURL(/q=alpha\+/);
  await page.waitForFunction(() => document.querySelectorAll('#results .cards > li').length === 10, null, { timeout: 3000 });
  // The made-up result's article is not found (its page says so); nothing else went wrong.
  assert.deepEqual(page.errors.filter((e) => !e.includes('404 (Not Found)')), []);
});
