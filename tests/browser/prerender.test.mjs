// Every route arrives as real HTML: readable with JavaScript off, with its own
// head tags, and adopted (not replaced) by the app when the wasm starts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer, SEED_SLUG } from '../harness.mjs';
import { ADMIN_TOKEN, submissions } from '../sinks.mjs';

let server, browser;
before(async () => { server = await startServer({ env: { KEEL_ADMIN_TOKEN: ADMIN_TOKEN } }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const PAGES = [
  ['/', /Experienced backend engineers/, 'Latest articles'],
  ['/articles', /^Articles$/, 'REST Is Not Just Using HTTP'],
  [`/articles/${SEED_SLUG}`, /Why Backend Developers/, 'If the backend fails, nothing else matters.'],
  // A cover and two figures: the images are adopted like every element.
  ['/articles/oauth-is-confusing-until-you-understand-what-problem-it-actually-solves', /OAuth Is Confusing/, 'The printing service never sees that password.'],
  ['/services', /Scale Your Backend/, 'Documentation-Driven Development'],
  ['/contact', /Tell us about your project/, '12 Jalan Bligo'],
];

test('with JavaScript off every route is readable and styled', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  for (const [path, h1, sentence] of PAGES) {
    const res = await page.goto(server.url + path);
    assert.equal(res.status(), 200, path);
    assert.match(await page.textContent('h1'), h1, path);
    assert.ok((await page.textContent('main')).includes(sentence), `${path}: ${sentence}`);
    // Styled by the prerendered stylesheet, not browser defaults.
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.querySelector('h1')).fontFamily), 'Times New Roman', path);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.container')).maxWidth), '1152px', path);
  }
  const res = await page.goto(server.url + '/missing-page');
  assert.equal(res.status(), 404);
  assert.match(await page.textContent('h1'), /could not find/);
  // Links are plain links that work without the app.
  await page.goto(server.url + '/articles');
  await page.click(`main a[href="/articles/${SEED_SLUG}"]`);
  await page.waitForURL(new RegExp(SEED_SLUG));
  assert.match(await page.textContent('h1'), /Why Backend Developers/);
  await context.close();
});

test('each page has its own title, description, canonical URL, Open Graph and JSON-LD', async () => {
  const html = await (await fetch(`${server.url}/articles/${SEED_SLUG}`)).text();
  assert.match(html, /<title>Why Backend Developers Often Carry the Most Responsibility in a Team · Keel<\/title>/);
  assert.equal(html.match(/<title>/g).length, 1, 'one title');
  assert.equal(html.match(/name="?description/g).length, 1, 'one description');
  assert.match(html, new RegExp(`<link rel="canonical" href="https://keel.example/articles/${SEED_SLUG}">`));
  assert.match(html, /<meta property="og:type" content="article">/);
  assert.match(html, /<meta property="og:title" content="Why Backend Developers/);
  const ld = JSON.parse(html.match(/<script type="application\/ld\+json">(.*?)<\/script>/)[1]);
  assert.equal(ld['@type'], 'BlogPosting');
  assert.equal(ld.author.name, 'Arif Ikhsanudin');
  assert.equal(ld.datePublished, '2025-03-12');
  const home = await (await fetch(`${server.url}/`)).text();
  assert.equal(JSON.parse(home.match(/<script type="application\/ld\+json">(.*?)<\/script>/)[1])['@type'], 'Organization');
  const missing = await fetch(`${server.url}/nope`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /<meta name="robots" content="noindex">/);
});

test('the app adopts the prerendered DOM instead of replacing it', async () => {
  for (const [path] of PAGES) {
    const page = await newPage(browser);
    await page.addInitScript(() => {
      document.addEventListener('DOMContentLoaded', () => {
        window.__h1 = document.querySelector('h1');
        window.__main = document.querySelector('main');
        window.__images = [...document.querySelectorAll('main img')];
      });
      addEventListener('TrunkApplicationStarted', () => { window.__started = true; });
    });
    await page.goto(server.url + path);
    await page.waitForFunction(() => window.__started);
    await page.waitForTimeout(100);
    assert.ok(await page.evaluate(() => window.__h1 === document.querySelector('h1') && window.__main === document.querySelector('main')), `${path}: DOM replaced`);
    assert.ok(
      await page.evaluate(() => {
        const now = [...document.querySelectorAll('main img')];
        return now.length === window.__images.length && now.every((img, i) => img === window.__images[i]);
      }),
      `${path}: images replaced`,
    );
    assert.deepEqual(page.errors, [], path);
    // And it is live: a click routes in place.
    await page.evaluate(() => { window.__noReload = true; });
    await page.click('header >> text=Services');
    await page.waitForURL(/\/services$/);
    assert.equal(await page.evaluate(() => window.__noReload), true, path);
    await page.context().close();
  }
});

test('a prerendered page fetches nothing to show itself', async () => {
  const page = await newPage(browser);
  const api = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) api.push(r.url()); });
  await page.addInitScript(() => addEventListener('TrunkApplicationStarted', () => { window.__started = true; }));
  await page.goto(`${server.url}/articles/${SEED_SLUG}`);
  await page.waitForFunction(() => window.__started);
  await page.waitForTimeout(300);
  assert.deepEqual(api, []);
});

test('a URL with a query renders afresh from the prerendered shell', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/articles?tag=oauth');
  await page.waitForFunction(() => document.querySelectorAll('main .card').length === 1);
  assert.match(await page.textContent('h1'), /tagged “oauth”/);
  assert.deepEqual(page.errors, []);
});

test('without JavaScript the contact form still sends, and says so', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.url + '/contact');
  await page.fill('#name', 'No Script Nóra');
  await page.fill('#email', 'nora@example.hu');
  await page.check('#budget-from_50k_to_150k');
  await page.fill('#message', 'I browse with JavaScript off and still want to hire you.');
  await page.check('#consent');
  await page.click('button[type=submit]');
  await page.waitForSelector('h1');
  assert.equal(await page.textContent('h1'), 'Thank you, your message has arrived');
  const [s] = await submissions(server);
  assert.equal(s.name, 'No Script Nóra');
  assert.equal(s.budget, 'from_50k_to_150k');
  assert.equal(s.spam, false, 'the hidden honeypot stays empty for people');

  await page.goto(server.url + '/contact');
  await page.fill('#name', 'Half Done');
  await page.click('button[type=submit]');
  assert.equal(await page.textContent('h1'), 'Your message was not sent yet');
  assert.match(await page.textContent('main'), /Please give an email address/);
  await page.goBack();
  assert.equal(await page.inputValue('#name'), 'Half Done', 'what was typed is still there');
  await context.close();
});
