// The moments before the app runs: the prerendered page paints in the
// visitor's chosen theme, nothing competes with that first paint, a button
// pressed early is not lost, and every route starts with a clean console.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer, SEED_SLUG } from '../harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const ROUTES = ['/', '/articles', `/articles/${SEED_SLUG}`, '/services', '/contact'];
const DARK_BG = 'rgb(15, 18, 23)';
const LIGHT_BG = 'rgb(255, 255, 255)';

const background = (page) => page.evaluate(() => [
  getComputedStyle(document.querySelector('#app > div')).backgroundColor,
  getComputedStyle(document.documentElement).backgroundColor,
]);

/** What the theme button shows, and what it says to a screen reader. */
async function themeButton(page) {
  const shown = await page.locator('.theme-toggle > span').evaluateAll((spans) =>
    spans.filter((s) => getComputedStyle(s).display !== 'none').map((s) => s.firstElementChild.textContent));
  const names = ['same as your system. Switch to dark.', 'dark. Switch to light.', 'light. Switch to same as your system.'];
  const said = [];
  for (const n of names) {
    if (await page.getByRole('button', { name: `Colour theme: ${n}`, exact: true }).count()) said.push(n);
  }
  return [shown, said];
}

/** A page whose wasm never arrives: what a visitor sees before the app runs. */
async function withoutWasm(colorScheme, stored) {
  const page = await newPage(browser, { colorScheme });
  await page.goto(server.url + '/services');
  await page.evaluate((v) => localStorage.setItem('keel-theme', v), stored);
  await page.route('**/*.wasm', (route) => route.abort());
  page.errors.length = 0;
  await page.reload({ waitUntil: 'domcontentloaded' });
  return page;
}

test('a stored dark choice paints dark before the app runs, on a light system', async () => {
  const page = await withoutWasm('light', 'dark');
  assert.deepEqual(await background(page), [DARK_BG, DARK_BG]);
  assert.equal(await page.getAttribute('html', 'data-keel-theme'), 'dark', 'the inline script put the stored choice on <html>');
  assert.deepEqual(await themeButton(page), [['☾ Dark'], ['dark. Switch to light.']], 'the button names the stored choice');
});

test('a stored light choice paints light on a dark system', async () => {
  const page = await withoutWasm('dark', 'light');
  assert.deepEqual(await background(page), [LIGHT_BG, LIGHT_BG]);
  assert.deepEqual(await themeButton(page), [['☀ Light'], ['light. Switch to same as your system.']]);
});

test('with no stored choice the system decides', async () => {
  const page = await newPage(browser, { colorScheme: 'dark' });
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto(server.url + '/services', { waitUntil: 'domcontentloaded' });
  assert.deepEqual(await background(page), [DARK_BG, DARK_BG]);
  assert.deepEqual(await themeButton(page), [['◐ Auto'], ['same as your system. Switch to dark.']]);
});

test('once the app runs, it keeps the stored theme and switching back to the system sticks', async () => {
  const page = await newPage(browser, { colorScheme: 'light' });
  await page.goto(server.url + '/');
  await page.evaluate(() => localStorage.setItem('keel-theme', 'dark'));
  await page.addInitScript(() => addEventListener('TrunkApplicationStarted', () => { window.__started = true; }));
  await page.reload();
  await page.waitForFunction(() => window.__started);
  assert.equal(await page.getAttribute('html', 'data-keel-theme'), 'dark');
  assert.deepEqual(await background(page), [DARK_BG, DARK_BG]);
  assert.deepEqual(await themeButton(page), [['☾ Dark'], ['dark. Switch to light.']]);
  // dark -> light -> system, each remembered, so a reload agrees.
  await page.click('.theme-toggle');
  await page.waitForFunction(() => document.documentElement.getAttribute('data-keel-theme') === 'light');
  assert.equal(await page.evaluate(() => localStorage.getItem('keel-theme')), 'light');
  assert.deepEqual(await themeButton(page), [['☀ Light'], ['light. Switch to same as your system.']]);
  assert.deepEqual(await background(page), [LIGHT_BG, LIGHT_BG]);
  await page.click('.theme-toggle');
  await page.waitForFunction(() => !document.documentElement.hasAttribute('data-keel-theme'));
  assert.equal(await page.evaluate(() => localStorage.getItem('keel-theme')), null);
  assert.deepEqual(await themeButton(page), [['◐ Auto'], ['same as your system. Switch to dark.']]);
  assert.deepEqual(await background(page), [LIGHT_BG, LIGHT_BG]);
  assert.deepEqual(page.errors, []);
});

test('a page whose embedded document was tampered with is rendered afresh, not left dead', async () => {
  for (const [path, doc, bad] of [['/articles', '/api/v1/articles/page/1.json', '{"x":1}'], ['/', '/api/v1/site.json', '{']]) {
    const page = await newPage(browser);
    await page.route(server.url + path, async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace(
        new RegExp(`(<script type="application/json" data-keel-doc="${doc}">)[\\s\\S]*?(</script>)`), `$1${bad}$2`);
      assert.ok(html.includes(bad), 'the document was replaced');
      await route.fulfill({ response: res, body: html });
    });
    const fetched = [];
    page.on('request', (r) => { if (r.url().endsWith(doc)) fetched.push(doc); });
    await page.addInitScript(() => addEventListener('TrunkApplicationStarted', () => { window.__started = true; }));
    await page.goto(server.url + path);
    await page.waitForFunction(() => window.__started);
    await page.waitForFunction(() => document.querySelectorAll('main .card a').length >= 3);
    assert.deepEqual(fetched, [doc], 'fetched instead');
    // The app runs: a link routes in place.
    await page.click('header >> text=Services');
    await page.waitForSelector('main .benefits');
    assert.equal(new URL(page.url()).pathname, '/services');
    assert.deepEqual(page.errors, [], path);
    await page.close();
  }
});

test('nothing is preloaded ahead of the first paint', async () => {
  for (const path of ROUTES) {
    const html = await (await fetch(server.url + path)).text();
    assert.doesNotMatch(html, /rel=("?)(preload|modulepreload)\b/, path);
    assert.match(html, /<script type=("?)module/, path);
  }
});

test('a button pressed before the app runs is pressed once it does', async () => {
  const page = await newPage(browser, { colorScheme: 'light' });
  let release;
  const held = new Promise((ok) => { release = ok; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.addInitScript(() => addEventListener('TrunkApplicationStarted', () => { window.__started = true; }));
  await page.goto(server.url + '/services', { waitUntil: 'domcontentloaded' });
  await page.click('.theme-toggle'); // system -> dark, but the app is not there yet
  assert.equal(await page.getAttribute('html', 'data-keel-theme'), null);
  release();
  await page.waitForFunction(() => window.__started);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-keel-theme') === 'dark');
  assert.deepEqual(page.errors, []);
});

test('every route starts with a clean console: no errors, warnings or CSP reports', async () => {
  // The embed views too, opened directly (a partner's page frames them).
  for (const path of [...ROUTES, '/embed/articles', '/embed/contact']) {
    const page = await newPage(browser);
    const messages = [];
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') messages.push(`${m.type()}: ${m.text()}`); });
    await page.addInitScript(() => {
      window.__csp = [];
      addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      addEventListener('TrunkApplicationStarted', () => { window.__started = true; });
    });
    await page.goto(server.url + path);
    await page.waitForFunction(() => window.__started);
    await page.waitForTimeout(300); // effects after hydration
    assert.deepEqual(messages, [], path);
    assert.deepEqual(page.errors, [], path);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], path);
    await page.context().close();
  }
});

/** A visitor's page: the app starts at the loader's own moment, not the test's. */
const lazyPage = (opts = {}) => newPage(browser, { ...opts, start: 'lazy' });
const started = (page) => page.evaluate(() => Boolean(window.__keelStarted));

test('the app waits for the visitor: the wasm is compiled after load, and the first move starts it', async () => {
  const page = await lazyPage();
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
  await page.goto(server.url + `/articles/${SEED_SLUG}`, { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm') && e.responseEnd > 0));
  await page.waitForTimeout(500);
  assert.equal(await started(page), false, 'no hydration before the visitor does anything');
  assert.equal(wasm.length, 1);
  await page.mouse.move(200, 200);
  await page.waitForFunction(() => window.__keelStarted, null, { timeout: 5000 });
  assert.equal(wasm.length, 1, 'the wasm compiled after load is the one that runs');
  assert.deepEqual(page.errors, []);
});

test('a page nobody touches still starts once the browser is idle', async () => {
  const page = await lazyPage();
  await page.goto(server.url + '/services', { waitUntil: 'load' });
  await page.waitForFunction(() => window.__keelStarted, null, { timeout: 15000 });
  assert.deepEqual(page.errors, []);
});

/** A lazy page whose wasm waits for `release()`. */
async function heldPage(path) {
  const page = await lazyPage();
  let release;
  const held = new Promise((ok) => { release = ok; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(server.url + path, { waitUntil: 'load' });
  return { page, release };
}

test('what was typed into the contact form before the app ran is kept, and saved as the draft', async () => {
  const { page, release } = await heldPage('/contact');
  await page.fill('#name', 'Ada Lovelace');
  await page.fill('#message', 'Typed before the app arrived.');
  await page.check('#consent');
  assert.equal(await started(page), false);
  release();
  await page.waitForFunction(() => window.__keelStarted);
  await page.waitForTimeout(200); // the form's effects
  assert.equal(await page.inputValue('#name'), 'Ada Lovelace');
  assert.equal(await page.inputValue('#message'), 'Typed before the app arrived.');
  assert.equal(await page.isChecked('#consent'), true);
  assert.equal(await page.locator('text=We restored the message you were writing.').count(), 0,
    'what the visitor just typed is not announced as restored');
  // The app holds it: an edit now keeps it all, and a reload restores it.
  await page.fill('#company', 'Analytical Engines');
  await page.reload({ waitUntil: 'load' });
  await page.mouse.move(10, 10);
  await page.waitForFunction(() => window.__keelStarted);
  await page.waitForSelector('text=We restored the message you were writing.');
  assert.equal(await page.inputValue('#name'), 'Ada Lovelace');
  assert.equal(await page.inputValue('#company'), 'Analytical Engines');
  assert.equal(await page.inputValue('#message'), 'Typed before the app arrived.');
  assert.equal(await page.isChecked('#consent'), true);
  assert.deepEqual(page.errors, []);
});

test('a search typed before the app ran becomes the search, with the caret still in the field', async () => {
  const { page, release } = await heldPage('/articles');
  await page.fill('#search', 'cach');
  release();
  await page.waitForFunction(() => window.__keelStarted);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'cach');
  await page.waitForSelector('text=/\\d+ results? for “cach”/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search');
  await page.keyboard.type('ing');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'caching');
  assert.equal(await page.inputValue('#search'), 'caching');
  assert.deepEqual(page.errors, []);
});

/**
 * A visitor typing `text` into `field` of `path` steadily, from before the app
 * starts until after (the wasm arrives 1.5 s late; the typing takes longer).
 */
async function typeThroughStart(path, field, text, delay) {
  const page = await lazyPage();
  await page.route('**/*.wasm', async (route) => { await new Promise((ok) => setTimeout(ok, 1500)); await route.continue(); });
  await page.goto(server.url + path, { waitUntil: 'load' });
  await page.click(field);
  await page.keyboard.type(text, { delay });
  await page.waitForFunction(() => window.__keelStarted);
  return page;
}

test('typing on through the moment the app starts loses no character', async () => {
  const text = 'The quick brown fox jumps over the lazy dog while the app starts up.';
  const page = await typeThroughStart('/contact', '#message', text, 35);
  assert.equal(await page.inputValue('#message'), text);
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('keel-contact-draft')).form.message);
  assert.equal(saved, text, 'the draft holds it all');
  assert.deepEqual(page.errors, []);
});

test('a quick press on the menu as the first move opens it, once', async () => {
  const page = await lazyPage({ width: 375, height: 800 });
  await page.goto(server.url + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm') && e.responseEnd > 0));
  await page.waitForTimeout(300); // compiled, and waiting for the visitor
  assert.equal(await started(page), false);
  await page.click('.menu-button');
  await page.waitForFunction(() => window.__keelStarted);
  await page.waitForTimeout(300);
  assert.equal(await page.getAttribute('.menu-button', 'aria-expanded'), 'true');
  assert.deepEqual(page.errors, []);
});

test('presses before the app runs are all replayed, in order, even when the app renders the page afresh', async () => {
  const { page, release } = await heldPage('/?utm_source=newsletter'); // a query string: rendered afresh
  await page.click('.theme-toggle'); // system -> dark
  await page.click('.theme-toggle'); // dark -> light
  release();
  await page.waitForFunction(() => window.__keelStarted);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-keel-theme') === 'light');
  assert.equal(await page.evaluate(() => localStorage.getItem('keel-theme')), 'light');
  assert.deepEqual(page.errors, []);
});

test('a search typed on through the moment the app starts loses no keystroke', async () => {
  const text = 'backend developers responsibility';
  const page = await typeThroughStart('/articles', '#search', text, 60);
  await page.waitForFunction((t) => new URL(location.href).searchParams.get('q') === t, text);
  assert.equal(await page.inputValue('#search'), text);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search');
  assert.deepEqual(page.errors, []);
});
