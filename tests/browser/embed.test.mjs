// Partner embeds, both ways isolated: a hostile partner page on another
// origin (its own !important CSS, <base href>, History-API router and a
// strict CSP listing only what docs/embedding.md says a partner must allow)
// embeds every view in both modes from the real server. See embed/v1.js.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, ROOT, SEED_SLUG, SERVER_BIN, startServer } from '../harness.mjs';
import { partnerHandler } from '../partner.mjs';

let host, hostUrl, keel, browser, serve;

before(async () => {
  // The partner's page: another origin (another port) than Keel's.
  serve = (req, res) => { res.writeHead(503); res.end(); };
  host = createServer((req, res) => serve(req, res));
  await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
  hostUrl = `http://127.0.0.1:${host.address().port}`;
  keel = await startServer({ env: { KEEL_ALLOWED_ORIGINS: hostUrl, KEEL_RATE_LIMIT_BURST: '50', KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE: '1000', KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '1000' } });
  serve = partnerHandler({ self: hostUrl, keelOrigin: keel.url });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await keel?.stop();
  await new Promise((ok) => host ? host.close(ok) : ok());
});

/** The partner page, with everything it reports: console, CSP violations, requests. */
async function partnerPage({ width = 1100, height = 900, setup, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, bypassCSP });
  await setup?.(context);
  const page = await context.newPage();
  const seen = { errors: [], warnings: [], violations: [], requests: [] };
  page.on('console', (m) => {
    // The 404s of the deliberately unknown article are the browser's own report.
    if (m.type() === 'error' && /no-such-article/.test(m.location()?.url ?? '')) return;
    if (m.type() === 'error') seen.errors.push(`${m.location()?.url ?? ''}: ${m.text()}`);
    if (m.type() === 'warning') seen.warnings.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => seen.requests.push(r.url()));
  // In every frame: CSP violations, and the window's own names before any script.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
    window.__namesBefore = Object.getOwnPropertyNames(window);
  });
  await page.goto(hostUrl + '/');
  return { page, context, seen };
}

const frameOf = (page, id) => page.frameLocator(`#${id} iframe`);

/** Scroll to an inline widget, again on every try, until it has mounted (or
 * said why not): the frames above may still be settling their heights. */
const mounted = (page, id) => page.waitForFunction((id) => {
  const el = document.getElementById(id);
  el.scrollIntoView({ block: 'center' });
  const r = el.shadowRoot;
  return !!(r && (r.querySelector('[data-keel-box][data-ready]') || r.querySelector('p[role=note]')));
}, id, { timeout: 20000, polling: 200 });

/** Computed styles that show whether the host's CSS got in. */
function looks(el) {
  const s = getComputedStyle(el);
  return { font: s.fontFamily, color: s.color, size: s.fontSize, spacing: s.letterSpacing, display: s.display, boxSizing: s.boxSizing };
}

test('every view renders as designed in the hostile page, in an iframe and inline', async () => {
  const { page, context, seen } = await partnerPage();
  try {
    // Frames: the loader made one iframe each (the script was included twice).
    const framed = ['frame-articles', 'frame-tag', 'frame-article', 'frame-contact'];
    await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#${id} iframe`)), framed);
    for (const id of framed) {
      const f = page.locator(`#${id} iframe`);
      assert.equal(await f.count(), 1, `${id} is framed once`);
      assert.ok(await f.getAttribute('title'), `${id} has a title`);
      assert.equal(await f.getAttribute('loading'), 'lazy');
    }
    const list = frameOf(page, 'frame-articles');
    await list.locator('.embed-list li').first().waitFor();
    assert.equal(await list.locator('.embed-list > li:visible').count(), 3, 'data-keel-count shows three');
    const title = await list.locator('.embed-title').evaluate(looks);
    assert.match(title.font, /system-ui/);
    assert.doesNotMatch(title.font, /Comic/);
    assert.equal(title.size, '22px');
    // The partner's accent colours the links; the dark theme is dark.
    assert.equal(await list.locator('.embed-more a').evaluate((a) => getComputedStyle(a).color), 'rgb(180, 0, 90)');
    const dark = frameOf(page, 'frame-tag');
    await dark.locator('.embed-list li').first().waitFor();
    assert.equal(await dark.locator('.embed-list > li:visible').count(), 2);
    assert.equal(await dark.locator('.embed').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(15, 18, 23)');

    // The iframe is as tall as its content, once it has told the page.
    await page.waitForFunction(() => {
      const f = document.querySelector('#frame-article iframe');
      return f && f.getBoundingClientRect().height > 1000;
    }, null, { timeout: 15000 });
    const box = await page.locator('#frame-articles iframe').boundingBox();
    const inner = await list.locator('#app').evaluate((a) => a.getBoundingClientRect().height);
    assert.ok(Math.abs(box.height - inner) <= 2, `iframe ${box.height}px for ${inner}px of content`);
    assert.ok(box.width > 900, 'the iframe takes the width it is given despite iframe { width: 10px !important }');
    assert.equal(await frameOf(page, 'frame-article').locator('h2.embed-title').innerText(),
      await (await fetch(`${keel.url}/api/v1/articles/${SEED_SLUG}.json`)).json().then((a) => a.title));

    // Inline: scrolled to, the app mounts into each shadow root.
    // (Each one scrolled to: the frames above may still be settling their heights.)
    const inline = page.locator('#inline-articles');
    await mounted(page, 'inline-articles');
    await inline.locator('.embed-list li').first().waitFor({ timeout: 20000 });
    assert.equal(await inline.locator('.embed-list > li:visible').count(), 4);
    const t = await inline.locator('.embed-title').evaluate(looks);
    assert.match(t.font, /system-ui/);
    assert.equal(t.size, '22px', 'rem sizes do not follow the host page\'s html font-size');
    assert.equal(t.boxSizing, 'border-box');
    assert.deepEqual(t, title, 'inline, the title looks exactly as it does in our iframe');
    // The articles' covers, from our site's /media/ by whole URLs (the
    // partner's page has an origin of its own), load under its strict CSP.
    const covers = inline.locator('.embed-item picture img');
    assert.ok(await covers.count() >= 2, 'the articles that have covers show them');
    await covers.first().scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const imgs = [...document.querySelector('#inline-articles').shadowRoot.querySelectorAll('.embed-item img')];
      return imgs.length >= 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, null, { timeout: 15000 });
    const partnerOrigin = new URL(page.url()).origin;
    for (const src of await covers.evaluateAll((imgs) => imgs.map((i) => i.currentSrc))) {
      assert.match(src, /^https?:\/\/[^/]+\/media\/[0-9a-f]{16}-\d+\.(avif|webp|png)$/);
      assert.ok(!src.startsWith(partnerOrigin), `${src} is ours, not the partner's`);
    }
    await mounted(page, 'inline-article');
    await page.locator('#inline-article h2.embed-title').waitFor();
    await mounted(page, 'inline-contact');
    await page.locator('#inline-contact button[type=submit]').waitFor();
    const field = await page.locator('#inline-contact input[name=name]').evaluate(looks);
    assert.notEqual(field.color, 'rgb(255, 0, 255)');
    assert.equal(await page.locator('#inline-article .embed').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(15, 18, 23)');
    assert.equal(await page.locator('#inline-contact button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(0, 170, 102)');
    // On that light green, the button's text is our dark ink, not white (2.9:1).
    assert.equal(await page.locator('#inline-contact button[type=submit]').evaluate((b) => getComputedStyle(b).color), 'rgb(11, 19, 32)');

    // The host keeps its own look: the widget's styles reached nothing of it.
    const note = await page.locator('#host-note').evaluate(looks);
    assert.deepEqual([note.font, note.color, note.size, note.spacing], ['"Comic Sans MS", cursive', 'rgb(255, 0, 255)', '13px', '3px']);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 0)');
    assert.equal(await page.evaluate(() => document.querySelectorAll('head style, body style').length), 0, 'no <style> added to the page');

    mkdirSync(join(ROOT, 'target/screenshots'), { recursive: true });
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: join(ROOT, 'target/screenshots/embed-host-frames.png') });
    await mounted(page, 'inline-articles');
    await page.screenshot({ path: join(ROOT, 'target/screenshots/embed-host-inline.png') });

    // Only the loader's one namespaced object was added to the page's window.
    const added = await page.evaluate(() => Object.getOwnPropertyNames(window).filter((n) => !window.__namesBefore.includes(n) && !n.startsWith('__') && !/^\d+$/.test(n)));
    // (Numbered names are the browser's own: window[0] is the first iframe.)
    assert.deepEqual(added, ['Keel']);
    assert.deepEqual(await page.evaluate(() => Object.keys(window.Keel).sort()), ['embedding', 'scan', 'version']);

    // A partner's visitor downloads the embed views' own wasm (in our
    // iframes and inline alike), never our site's.
    const wasm = [...new Set(seen.requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname))];
    assert.ok(wasm.length == 1 && /^\/keel-embed-[0-9a-f]{12,16}_bg\.wasm$/.test(wasm[0]), `wasm fetched: ${wasm.join(', ')}`);

    // No errors and no CSP violation anywhere (the partner's CSP is strict,
    // and it is exactly the documented one).
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  } finally {
    await context.close();
  }
});

test('a bad attribute shows a message in its placeholder and one console warning, and breaks nothing else', async () => {
  const { page, context, seen } = await partnerPage();
  try {
    await page.locator('#bad-view').getByText(/unknown view "articels"/).waitFor();
    await page.locator('#bad-colour').getByText(/invalid accent colour/).waitFor();
    await page.locator('#bad-slug-frame').getByText(/no article .no-such-article./).waitFor({ timeout: 15000 });
    await mounted(page, 'bad-slug-inline');
    await page.locator('#bad-slug-inline').getByText(/no article .no-such-article./).waitFor({ timeout: 20000 });
    const mine = seen.warnings.filter((w) => w.startsWith('Keel embed:'));
    assert.equal(mine.length, 4, mine.join('\n'));
    assert.equal(await page.locator('#frame-articles iframe').count(), 1, 'the good widgets still mount');
    assert.deepEqual(seen.errors, []);
  } finally {
    await context.close();
  }
});

test('without WebAssembly, an iframe naming a missing article still says so, once', async () => {
  // The embed views' not-found page stands for every missing path; the app
  // says what is missing there, and frame.js does when the app cannot run.
  const { page, context, seen } = await partnerPage({ setup: (c) => c.route('**/*.wasm', (r) => r.abort()) });
  try {
    await page.locator('#bad-slug-frame').getByText(/no embed view at \/embed\/articles\/no-such-article/).waitFor({ timeout: 20000 });
    const mine = seen.warnings.filter((w) => w.includes('/embed/articles/no-such-article'));
    assert.equal(mine.length, 1, mine.join('\n'));
  } finally {
    await context.close();
  }
});

test('on a page whose origin is not registered, each widget says so, once, in both modes', async () => {
  // Another port: another origin, not in KEEL_ALLOWED_ORIGINS. Its iframe is
  // refused (frame-ancestors), and our API does not answer it (CORS).
  const stranger = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Stranger</title><script async src="${keel.url}/embed/v1.js"></script>
      <div id="frame" data-keel-embed="articles"></div><div id="inline" data-keel-embed="contact" data-keel-mode="inline"></div>`);
  });
  await new Promise((ok) => stranger.listen(0, '127.0.0.1', ok));
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  try {
    await page.goto(`http://127.0.0.1:${stranger.address().port}/`);
    for (const id of ['frame', 'inline']) {
      await page.locator(`#${id}`).getByText(/view did not answer from .* not registered with Keel/).waitFor({ timeout: 20000 });
    }
    const mine = warnings.filter((w) => w.startsWith('Keel embed:'));
    assert.equal(mine.length, 2, mine.join('\n'));
    assert.equal(await page.locator('#inline').getByText(/Try again/).count(), 0, 'no retry that cannot succeed');
  } finally {
    await context.close();
    await new Promise((ok) => stranger.close(ok));
  }
});

test('the widgets never touch the host URL or history; links open on our site in a new tab', async () => {
  const { page, context } = await partnerPage();
  try {
    const start = await page.evaluate(() => [location.href, history.length]);
    const list = frameOf(page, 'frame-articles');
    await list.locator('.embed-list li a').first().waitFor();
    // A plain click and a modifier click each open our article in a new tab.
    for (const modifiers of [[], ['Control']]) {
      const [popup] = await Promise.all([context.waitForEvent('page'), list.locator('.embed-list li a').first().click({ modifiers })]);
      await popup.waitForLoadState('domcontentloaded');
      assert.match(popup.url(), new RegExp(`^${keel.url}/articles/`));
      await popup.close();
      await page.bringToFront();
    }
    await mounted(page, 'inline-articles');
    const inline = page.locator('#inline-articles .embed-list li a').first();
    await inline.waitFor({ timeout: 20000 });
    const [popup] = await Promise.all([context.waitForEvent('page'), inline.click()]);
    await popup.waitForLoadState('domcontentloaded');
    assert.match(popup.url(), new RegExp(`^${keel.url}/articles/`), 'the host\'s <base href> does not redirect our links');
    await popup.close();
    // Typing and a failed validation in the inline form.
    await mounted(page, 'inline-contact');
    await page.locator('#inline-contact input[name=name]').fill('Ada');
    await page.locator('#inline-contact button[type=submit]').click();
    await page.locator('#inline-contact [aria-invalid=true]').first().waitFor();
    assert.deepEqual(await page.evaluate(() => [location.href, history.length]), start);
    assert.equal(await page.evaluate(() => window.hostRoutes ?? 0), 0, 'the host router saw no click of ours as its own');
  } finally {
    await context.close();
  }
});

test('the contact form keeps its draft in both modes, through a reload of the partner page', async () => {
  const { page, context } = await partnerPage();
  try {
    // Typed once the app runs (the app keeps drafts; what is typed into the
    // prerendered form before it starts is the page's alone).
    const typeUntilSaved = async (scope, saved, value) => {
      for (let i = 0; i < 40; i++) {
        await scope.locator('input[name=name]').fill(value);
        await page.waitForTimeout(250);
        if (await saved()) return;
      }
      assert.fail(`the draft with ${value} was never saved`);
    };
    const draftHas = (where, store, value) => () => where.evaluate((_, [s, v]) => (window[s].getItem('keel-contact-draft') ?? '').includes(v), [store, value]);
    const frame = frameOf(page, 'frame-contact');
    // In our iframe: our origin's localStorage, as on our site.
    await typeUntilSaved(frame, draftHas(frame.locator('html'), 'localStorage', 'Draft In A Frame'), 'Draft In A Frame');
    await mounted(page, 'inline-contact');
    // Inline: the partner's sessionStorage (gone with the tab), never its localStorage.
    await typeUntilSaved(page.locator('#inline-contact'), draftHas(page.locator('html'), 'sessionStorage', 'Draft Inline'), 'Draft Inline');
    assert.equal(await page.evaluate(() => localStorage.getItem('keel-contact-draft')), null, "nothing in the partner's localStorage");
    await page.reload();
    // (The reload keeps the scroll position, far below this lazy iframe.)
    await page.locator('#frame-contact').scrollIntoViewIfNeeded();
    await frameOf(page, 'frame-contact').getByText('We restored the message you were writing.').waitFor({ timeout: 15000 });
    assert.equal(await frameOf(page, 'frame-contact').locator('input[name=name]').inputValue(), 'Draft In A Frame');
    await mounted(page, 'inline-contact');
    await page.locator('#inline-contact').getByText('We restored the message you were writing.').waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#inline-contact input[name=name]').inputValue(), 'Draft Inline');
  } finally {
    await context.close();
  }
});

const submissions = () => JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', keel.db, 'export', '--format', 'json'], { encoding: 'utf8' }));

async function fillAndSend(scope, name) {
  await scope.locator('input[name=name]').fill(name);
  await scope.locator('input[name=email]').fill('ada@partner.example');
  await scope.locator('textarea[name=message]').fill('We would like Keel to help with our payments backend next quarter.');
  await scope.locator('input[name=consent]').check();
  await scope.locator('button[type=submit]').click();
  await scope.getByText('Thank you, your message has arrived.').waitFor({ timeout: 15000 });
}

test('a contact request sent from either mode is stored with the partner origin', async () => {
  const { page, context, seen } = await partnerPage();
  try {
    const start = await page.evaluate(() => [location.href, history.length]);
    await fillAndSend(frameOf(page, 'frame-contact'), 'Frame Partner');
    // Focus is on the thank-you message (read out), in the frame and inline.
    const frameDoc = page.frame({ url: /\/embed\/contact/ });
    assert.equal(await frameDoc.evaluate(() => document.activeElement?.classList.contains('contact-done')), true, 'focus in the frame');
    await mounted(page, 'inline-contact');
    await fillAndSend(page.locator('#inline-contact'), 'Inline Partner');
    assert.equal(await page.evaluate(() => document.querySelector('#inline-contact').shadowRoot.activeElement?.classList.contains('contact-done')), true, 'focus inline');
    const rows = submissions();
    const by = (name) => rows.find((r) => r.name === name);
    assert.equal(by('Frame Partner')?.partner_origin, hostUrl);
    assert.equal(by('Inline Partner')?.partner_origin, hostUrl);
    // Each solved the proof of work where it runs (inline: on the partner's
    // page, reading the challenge across origins).
    for (const name of ['Frame Partner', 'Inline Partner']) {
      assert.doesNotMatch(by(name).reasons ?? '', /proof of work/, `${name}: ${by(name).reasons}`);
    }
    // Sent: no draft is left in the partner's storage, of either kind.
    assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('keel-contact-draft'), localStorage.getItem('keel-contact-draft')]), [null, null]);
    assert.deepEqual(await page.evaluate(() => [location.href, history.length]), start);
    assert.deepEqual(seen.errors, []);
    await page.locator('#inline-contact').screenshot({ path: join(ROOT, 'target/screenshots/embed-host-inline-contact.png') });
  } finally {
    await context.close();
  }
});

/** Placeholders added to the partner's page after it loaded, then `Keel.scan()`. */
const addWidgets = (page, widgets) => page.evaluate((widgets) => {
  for (const [id, attrs] of Object.entries(widgets)) {
    const el = document.createElement('div');
    el.id = id;
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(`data-keel-${k}`, v);
    document.body.append(el);
  }
  window.Keel.scan();
}, widgets);

const PREFILL = { name: 'Grace Prefilled', email: 'grace@partner.example', company: 'Partner & Co <b>', message: 'Prefilled by the partner: we need help with our billing API.' };

test('a partner page prefills the contact form and names a source: the visitor sees and may change each value, and the source is stored, in both modes', async () => {
  const { page, context, seen } = await partnerPage();
  try {
    await addWidgets(page, {
      'prefill-frame': { embed: 'contact', source: 'spring-2027:newsletter', ...PREFILL },
      'prefill-inline': { embed: 'contact', mode: 'inline', source: 'inline-campaign', ...PREFILL },
      'prefill-bad-source': { embed: 'contact', source: 'spring 2027!' },
      'prefill-bad-name': { embed: 'contact', mode: 'inline', name: 'Grace\nBcc: all@example.com' },
      'prefill-long-message': { embed: 'contact', message: 'm'.repeat(5001) },
    });
    await page.locator('#prefill-bad-source').getByText(/invalid source "spring 2027!"/).waitFor();
    await page.locator('#prefill-bad-name').getByText(/invalid data-keel-name/).waitFor();
    await page.locator('#prefill-long-message').getByText(/invalid data-keel-message \(at most 5000 characters/).waitFor();
    assert.equal(seen.warnings.filter((w) => /Keel embed: invalid (source|data-keel-)/.test(w)).length, 3, seen.warnings.join('\n'));
    for (const [id, scope, source] of [
      ['prefill-frame', frameOf(page, 'prefill-frame'), 'spring-2027:newsletter'],
      ['prefill-inline', page.locator('#prefill-inline'), 'inline-campaign'],
    ]) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      if (id.endsWith('inline')) await mounted(page, id);
      // Every prefilled value is there to see, in its own field.
      for (const [field, value] of Object.entries(PREFILL)) {
        const input = scope.locator(`[name=${field}]`);
        await assert.doesNotReject(() => input.waitFor({ timeout: 15000 }));
        for (let i = 0; i < 60 && (await input.inputValue()) !== value; i++) await page.waitForTimeout(250);
        assert.equal(await input.inputValue(), value, `${id}: ${field}`);
      }
      // A partner's values are no draft of the visitor's: nothing was restored.
      assert.equal(await scope.getByText('We restored the message you were writing.').count(), 0, id);
      // ...and the visitor's to change.
      await scope.locator('input[name=name]').fill(`Grace Changed ${id}`);
      await scope.locator('input[name=consent]').check();
      await scope.locator('button[type=submit]').click();
      await scope.getByText('Thank you, your message has arrived.').waitFor({ timeout: 15000 });
      const row = submissions().find((r) => r.name === `Grace Changed ${id}`);
      assert.ok(row, `${id}: stored`);
      assert.deepEqual([row.email, row.company, row.message, row.source, row.partner_origin],
        [PREFILL.email, PREFILL.company, PREFILL.message, source, hostUrl], id);
    }
    assert.deepEqual(seen.errors, []);
  } finally {
    await context.close();
  }
});

test('without WebAssembly, a framed contact form still shows the prefill and carries the source', async () => {
  const { page, context } = await partnerPage({ setup: (c) => c.route('**/*.wasm', (r) => r.abort()) });
  try {
    await addWidgets(page, { 'prefill-plain': { embed: 'contact', source: 'plain-form', ...PREFILL } });
    await page.locator('#prefill-plain').scrollIntoViewIfNeeded();
    const frame = frameOf(page, 'prefill-plain');
    await frame.locator('input[name=email]').waitFor({ timeout: 15000 });
    for (let i = 0; i < 40 && (await frame.locator('input[name=email]').inputValue()) !== PREFILL.email; i++) await page.waitForTimeout(250);
    for (const [field, value] of Object.entries(PREFILL)) {
      assert.equal(await frame.locator(`[name=${field}]`).inputValue(), value, field);
    }
    assert.equal(await frame.locator('input[name=source]').inputValue(), 'plain-form');
  } finally {
    await context.close();
  }
});

test('the placeholder tells the partner page ready, resize, submitted and error, the same in both modes', async () => {
  const { page, context } = await partnerPage({
    setup: (c) => c.addInitScript(() => {
      window.__keelEvents = [];
      for (const type of ['ready', 'resize', 'submitted', 'error']) {
        document.addEventListener(`keel:${type}`, (e) => {
          const id = e.target.id;
          window.__keelEvents.push({ id, type, detail: JSON.parse(JSON.stringify(e.detail)) });
        });
      }
    }),
  });
  try {
    const events = (id) => page.evaluate((id) => window.__keelEvents.filter((e) => e.id === id), id);
    await fillAndSend(frameOf(page, 'frame-contact'), 'Frame Events');
    await mounted(page, 'inline-contact');
    await fillAndSend(page.locator('#inline-contact'), 'Inline Events');
    const rows = submissions();
    for (const [id, name] of [['frame-contact', 'Frame Events'], ['inline-contact', 'Inline Events']]) {
      // The submitted event may trail the thank-you by a message's hop.
      await page.waitForFunction((id) => window.__keelEvents.some((e) => e.id === id && e.type === 'submitted'), id);
      const seen = await events(id);
      const types = seen.map((e) => e.type);
      assert.equal(types[0], 'ready', `${id}: ready first (${types})`);
      assert.equal(types.filter((t) => t === 'ready').length, 1, `${id}: ready once`);
      assert.ok(types.indexOf('resize') > 0, `${id}: a resize after ready (${types})`);
      assert.ok(seen.filter((e) => e.type === 'resize').every((e) => e.detail.height > 0), `${id}: heights`);
      const submitted = seen.filter((e) => e.type === 'submitted');
      assert.equal(submitted.length, 1, `${id}: submitted once`);
      const stored = rows.find((r) => r.name === name);
      assert.deepEqual(submitted[0].detail, { id: stored.id, view: 'contact' }, `${id}: the stored request's id, and nothing the visitor typed`);
      assert.deepEqual(types.filter((t) => t === 'error'), [], id);
      const state = await page.evaluate((id) => JSON.parse(JSON.stringify(document.getElementById(id).keel)), id);
      assert.equal(state.ready, true);
      assert.equal(state.submitted.id, stored.id);
      assert.equal(state.error, undefined);
      assert.ok(state.height > 0);
    }
    // A bad attribute, and a view with nothing to show, in either mode: one
    // error each, with the message the placeholder shows.
    await page.locator('#bad-slug-frame').getByText(/no article .no-such-article./).waitFor({ timeout: 15000 });
    await mounted(page, 'bad-slug-inline');
    await page.locator('#bad-slug-inline').getByText(/no article .no-such-article./).waitFor({ timeout: 20000 });
    for (const [id, says] of [['bad-view', /unknown view "articels"/], ['bad-slug-frame', /no-such-article/], ['bad-slug-inline', /no-such-article/]]) {
      const errors = (await events(id)).filter((e) => e.type === 'error');
      assert.equal(errors.length, 1, `${id}: one error`);
      assert.match(errors[0].detail.message, says, id);
    }
  } finally {
    await context.close();
  }
});

test('a partner page that isolates itself (COEP require-corp, then credentialless) shows both modes', async () => {
  for (const isolation of ['require-corp', 'credentialless']) {
    serve = partnerHandler({ self: hostUrl, keelOrigin: keel.url, isolation });
    const { page, context, seen } = await partnerPage();
    try {
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), true, `${isolation}: the partner page is isolated`);
      await frameOf(page, 'frame-articles').locator('.embed-list li').first().waitFor({ timeout: 15000 });
      await mounted(page, 'inline-articles');
      await page.locator('#inline-articles').locator('.embed-list li').first().waitFor({ timeout: 20000 });
      await page.locator('#frame-contact').scrollIntoViewIfNeeded();
      await frameOf(page, 'frame-contact').locator('input[name=name]').waitFor({ timeout: 15000 });
      assert.deepEqual(seen.errors.filter((e) => !/no-such-article/.test(e)), [], isolation);
    } finally {
      await context.close();
      serve = partnerHandler({ self: hostUrl, keelOrigin: keel.url });
    }
  }
});

test('axe finds no violation inside the widgets, in either mode', async () => {
  // bypassCSP: only so that the test can inject axe into the partner page.
  const { page, context } = await partnerPage({ bypassCSP: true });
  const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const run = (where, context) => where.evaluate(async (context) => {
    const r = await window.axe.run(context ?? document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(' | ')}`);
  }, context);
  try {
    const found = [];
    // In the frames: each embed page, as the partner's page shows it.
    for (const [id, ready] of [['frame-articles', '.embed-list li'], ['frame-contact', 'input[name=name]']]) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      await frameOf(page, id).locator(ready).first().waitFor({ timeout: 15000 });
      const frame = page.frames().find((f) => f.parentFrame() && f.url().includes(id === 'frame-contact' ? '/embed/contact' : '/embed/articles'));
      await frame.addScriptTag({ path: AXE });
      for (const v of await run(frame, null)) found.push(`${id}: ${v}`);
    }
    // Inline: inside each shadow root (the host page's own markup is not ours).
    await page.addScriptTag({ path: AXE });
    for (const [id, ready] of [['inline-articles', '.embed-list li'], ['inline-contact', 'input[name=name]']]) {
      await mounted(page, id);
      await page.locator(`#${id}`).locator(ready).first().waitFor({ timeout: 20000 });
      for (const v of await run(page, { include: [[`#${id}`]] })) found.push(`${id}: ${v}`);
    }
    assert.deepEqual(found, []);
  } finally {
    await context.close();
  }
});

test('inline widgets load the app only when they near the viewport', async () => {
  const { page, context, seen } = await partnerPage({ height: 700 });
  try {
    await frameOf(page, 'frame-articles').locator('.embed-list li').first().waitFor();
    await page.waitForTimeout(500);
    const fromHost = () => seen.requests.filter((u) => u.endsWith('.wasm') && !u.includes('/embed/'));
    // The iframes load our pages (and their wasm) in their own documents;
    // the partner's document itself fetched no wasm yet.
    const pageWasm = () => page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length);
    assert.equal(await pageWasm(), 0);
    await mounted(page, 'inline-articles');
    await page.locator('#inline-articles .embed-list li').first().waitFor({ timeout: 20000 });
    assert.equal(await pageWasm(), 1, 'one wasm for every inline widget');
    assert.ok(fromHost().length >= 1);
  } finally {
    await context.close();
  }
});
