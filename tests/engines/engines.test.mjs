// The cross-engine suite: the same checks on Chromium, Firefox and WebKit,
// each driven over WebDriver (selenium-webdriver) in one session of its own,
// the three engines side by side. Every engine gets its own real server and
// SQLite file (harness.mjs) behind the forward proxy (proxy.mjs), and opens
// the site at http://keel.test/, a plain-HTTP origin that is not a secure
// context.
//
// To add a case, add one `test` to `cases` below: it runs on every engine.
// The partner embeds' case opens the hostile partner page (tests/partner.mjs)
// at http://partner.test/, through the same proxy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { By } from 'selenium-webdriver';
import { SERVER_BIN, SEED_SLUG, startServer } from '../harness.mjs';
import { startProxy } from '../proxy.mjs';
import { partnerHandler } from '../partner.mjs';
import { ENGINES, launch } from './session.mjs';

const PAGES = [
  // path, the h1, a sentence of the content, adopted by the app (false: the 404 shell renders afresh)
  ['/', /Experienced backend engineers/, 'Latest articles', true],
  ['/articles', /^Articles$/, 'REST Is Not Just Using HTTP', true],
  [`/articles/${SEED_SLUG}`, /Why Backend Developers/, 'If the backend fails, nothing else matters.', true],
  ['/services', /Scale Your Backend/, 'Documentation-Driven Development', true],
  ['/contact', /Tell us about your project/, '12 Jalan Bligo', true],
  ['/no/such/page', /could not find/, 'could not find', false],
];

const PARTNER = 'http://partner.test';

/** The checks, in order, for one engine session `s`. */
function cases(get) {
  test('every route shows its prerendered content, and the app adopts it without errors', { timeout: 120000 }, async () => {
    const s = get();
    for (const [path, h1, sentence, adopt] of PAGES) {
      await s.open(path, async () => {
        // The app has not run yet: this is what a browser without wasm gets.
        assert.match(await s.text('h1'), h1, `${path}: prerendered h1`);
        assert.ok((await s.text('main')).includes(sentence), `${path}: prerendered "${sentence}"`);
        await s.js('window.__keel.h1 = document.querySelector("h1"); window.__keel.main = document.querySelector("main")');
      });
      // Let hydration finish its first render and effects.
      await s.waitFor(`${path}: the title set by the app`, async () => (await s.driver.getTitle()).includes('Keel'));
      await new Promise((r) => setTimeout(r, 150));
      const same = await s.js('return window.__keel.h1 === document.querySelector("h1") && window.__keel.main === document.querySelector("main")');
      assert.equal(same, adopt, adopt ? `${path}: the app replaced the prerendered DOM` : `${path}: expected a fresh render`);
      assert.match(await s.text('h1'), h1, `${path}: h1 after the app started`);
      assert.deepEqual(await s.takeErrors(), [], `${path}: errors (${s.collectors})`);
    }
  });

  test('client-side navigation, then back and forward', { timeout: 120000 }, async () => {
    const s = get();
    await s.open('/');
    await s.js('window.__noReload = true');
    await s.click('header a[href="/services"]');
    await s.waitFor('/services', async () => (await s.url()).endsWith('/services'));
    await s.waitFor('the services heading', async () => /Scale Your Backend/.test(await s.text('h1')));
    await s.waitFor('focus on the new page heading', () => s.js('return document.activeElement.id === "page-title"'));
    await s.click('header a[href="/articles"]');
    await s.waitFor('/articles', async () => (await s.url()).endsWith('/articles'));
    await s.waitFor('the article cards', async () => (await s.count('main .card')) === 5);
    await s.click(`main .card a[href="/articles/${SEED_SLUG}"]`);
    await s.waitFor('the article', async () => /Why Backend Developers/.test(await s.text('article h1')));
    assert.equal(await s.js('return window.__noReload'), true, 'no full page load on a click');

    await s.driver.navigate().back();
    await s.waitFor('back to /articles', async () => (await s.url()).endsWith('/articles') && (await s.text('h1')) === 'Articles');
    await s.driver.navigate().back();
    await s.waitFor('back to /services', async () => (await s.url()).endsWith('/services') && /Scale Your Backend/.test(await s.text('h1')));
    await s.driver.navigate().forward();
    await s.waitFor('forward to /articles', async () => (await s.url()).endsWith('/articles') && (await s.text('h1')) === 'Articles');
    assert.equal(await s.js('return window.__noReload'), true, 'no full page load on back/forward');
    assert.deepEqual(await s.takeErrors(), []);
  });

  test('the theme toggle switches to dark and is remembered', { timeout: 120000 }, async () => {
    const s = get();
    await s.open('/');
    const bg = () => s.js('return getComputedStyle(document.querySelector("#app > div")).backgroundColor');
    const theme = () => s.js('return document.documentElement.getAttribute("data-keel-theme")');
    assert.equal(await theme(), null, 'follows the system at first');
    const light = await bg();
    await s.click('.theme-toggle');
    await s.waitFor('data-keel-theme=dark', async () => (await theme()) === 'dark');
    const dark = await bg();
    assert.notEqual(dark, light, 'the background changed');
    await s.open('/');
    await s.waitFor('the stored choice applied after a reload', async () => (await theme()) === 'dark');
    assert.equal(await bg(), dark);
    // Back to following the system (dark -> light -> system), so later cases start as a visitor would.
    await s.click('.theme-toggle');
    await s.click('.theme-toggle');
    await s.waitFor('the system theme again', async () => (await theme()) === null);
    assert.deepEqual(await s.takeErrors(), []);
  });

  test('the contact form: a validation error, then a submission stored in the database', { timeout: 120000 }, async () => {
    const s = get();
    await s.open('/contact');
    await s.click('button[type=submit]');
    await s.waitFor('the name error', async () => /Please tell us your name/.test(await s.text('#name-error')));
    for (const f of ['name', 'email', 'message', 'consent']) {
      assert.equal(await s.$(`#${f}`).getAttribute('aria-invalid'), 'true', f);
    }
    assert.equal(await s.js('return document.activeElement.id'), 'name', 'focus goes to the first problem');
    // ...and the visitor sees that field whole: its label, the field and its error.
    const inView = () => s.js(`const r = document.querySelector('#name').closest('.field').getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight`);
    await s.waitFor('the name field with its label in view', inView, 3000);

    const message = `Cross-engine check from ${s.name}: we need help with our queue.`;
    await s.$('#name').sendKeys('Ingrid Østergaard');
    await s.waitFor('the name error to clear', async () => (await s.text('#name-error')) === '');
    await s.$('#email').sendKeys(`ingrid+${s.name}@example.no`);
    await s.click('#budget-from_10k_to_50k');
    await s.$('#message').sendKeys(message);
    await s.click('#consent');
    await s.click('button[type=submit]');
    await s.waitFor('the thank-you note', async () => /Thank you/.test(await s.text('.contact-done')), 20000);
    const reference = (await s.text('.contact-done .meta')).match(/^Reference: (\S+)$/)?.[1];
    assert.ok(reference, 'the note shows the reference');

    const stored = JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', s.db, 'show', reference], { encoding: 'utf8' }));
    assert.equal(stored.name, 'Ingrid Østergaard');
    assert.equal(stored.email, `ingrid+${s.name}@example.no`);
    assert.equal(stored.budget, 'from_10k_to_50k');
    assert.equal(stored.message, message);
    assert.equal(stored.consent, true);
    assert.deepEqual(await s.takeErrors(), []);
  });

  test('without WebAssembly the page stays readable and the form still posts', { timeout: 120000 }, async () => {
    const s = get();
    // The wasm never arrives, as in a browser with WebAssembly turned off.
    const noWasm = s.proxy.fail(/\.wasm$/, { times: Infinity, status: 404, message: 'No WebAssembly here.' });
    const message = `No wasm in ${s.name}, and the form still works.`;
    try {
      await s.harvest();
      await s.get('/contact');
      assert.match(await s.text('h1'), /Tell us about your project/);
      await s.$('#name').sendKeys('Nóra Plain');
      await s.$('#email').sendKeys('nora@example.hu');
      await s.click('#budget-from_50k_to_150k');
      await s.$('#message').sendKeys(message);
      await s.click('#consent');
      await s.click('button[type=submit]');
      await s.waitFor('the server’s thank-you page', async () => (await s.text('h1')) === 'Thank you, your message has arrived');
    } finally {
      noWasm.times = 0;
    }
    assert.ok(noWasm.done >= 1, 'the page asked for the wasm');
    const all = JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', s.db, 'export', '--format', 'json'], { encoding: 'utf8' }));
    const stored = all.find((x) => x.message === message);
    assert.ok(stored, 'the plain form post is in the database');
    assert.equal(stored.name, 'Nóra Plain');
    assert.equal(stored.budget, 'from_50k_to_150k');
    // The failed start is the one error, where the engine lets us read its
    // log (BiDi). WebKit: nothing to read, since the page-side collector is
    // installed only by `open`, on pages the app starts on.
    const errors = await s.takeErrors();
    if (s.engine.bidi) {
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0], /failed to fetch Wasm: 404/);
    } else {
      assert.deepEqual(errors, []);
    }
  });

  test('a failing API read shows its error and a retry that recovers', { timeout: 120000 }, async () => {
    const s = get();
    // A read no earlier case makes: one the browser already has could come
    // from its HTTP cache, never reaching the network at all.
    await s.open('/articles');
    const failure = s.proxy.fail('/api/v1/tags/oauth/page/1.json', { times: 1, status: 503, message: 'Down for maintenance.' });
    await s.click('.filters a[href="/articles?tag=oauth"]');
    const alerts = () => s.js('return [...document.querySelectorAll("[role=alert]")].map((e) => e.textContent).join(" | ")');
    await s.waitFor('the error', async () => /Could not load the articles/.test(await alerts()));
    assert.match(await alerts(), /Down for maintenance/);
    assert.equal(failure.done, 1, 'the proxy failed exactly one read');
    await (await s.driver.findElement(By.xpath('//button[normalize-space()="Try again"]'))).click();
    await s.waitFor('the tagged article after the retry', async () => (await s.count('main .card')) === 1 && /tagged “oauth”/.test(await s.text('h1')));
    assert.doesNotMatch(await alerts(), /Could not load/);
    assert.deepEqual(await s.takeErrors(), []);
  });

  test('a hostile partner page embeds every view, in an iframe and inline', { timeout: 120000 }, async () => {
    const s = get();
    await s.harvest();
    await s.driver.get(PARTNER + '/');
    s.loaded = true;
    await s.waitFor('the partner page', () => s.js('return document.readyState !== "loading" && location.host === "partner.test"'));
    await s.collect();
    const start = await s.js('return [location.href, history.length]');
    // The host page's own listener, on document, for the widgets' events.
    await s.js(`window.__keelEvents = [];
      for (const type of ["ready", "resize", "submitted", "error"]) document.addEventListener("keel:" + type,
        (e) => window.__keelEvents.push({ id: e.target.id, type, detail: JSON.parse(JSON.stringify(e.detail)) }));`);
    // Frames: each view in its own iframe, the count applied, the design intact.
    await s.waitFor('the four frames', () => s.js(
      'return ["frame-articles", "frame-tag", "frame-article", "frame-contact"].every((id) => document.querySelector("#" + id + " iframe"))'));
    const frame = await s.$('#frame-articles iframe');
    await s.driver.switchTo().frame(frame);
    try {
      await s.waitFor('the framed list', async () => (await s.count('.embed-list li')) > 0, 20000);
      // The count comes with the fragment, applied by frame.js (deferred):
      // a loaded machine may show the list a moment before it runs.
      const shown = () => s.js('return [...document.querySelectorAll(".embed-list > li")].filter((li) => li.offsetParent).length');
      await s.waitFor('the count applied', async () => (await shown()) === 3, 10000);
      assert.equal(await s.js('return getComputedStyle(document.querySelector(".embed-title")).fontSize'), '22px');
    } finally {
      await s.driver.switchTo().defaultContent();
    }
    await s.waitFor('the iframe sized to its content', () => s.js('return document.querySelector("#frame-articles iframe").getBoundingClientRect().height > 300'), 20000);
    // Inline: the app in each shadow root, once scrolled near. (Scrolled to
    // on every try: the frames above may still be settling their heights.)
    const inShadow = (id, script) => s.js(`const r = document.querySelector("#${id}").shadowRoot; return r && (${script})`);
    const near = (id, script) => s.js(`document.querySelector("#${id}").scrollIntoView({ block: "center" });
      const r = document.querySelector("#${id}").shadowRoot; return r && (${script})`);
    await s.waitFor('the inline list', () => near('inline-articles', 'r.querySelectorAll(".embed-list li").length > 0'), 30000);
    assert.equal(await inShadow('inline-articles', '[...r.querySelectorAll(".embed-list > li")].filter((li) => li.offsetParent).length'), 4);
    assert.equal(await inShadow('inline-articles', 'getComputedStyle(r.querySelector(".embed-title")).fontSize'), '22px');
    assert.match(await inShadow('inline-articles', 'getComputedStyle(r.querySelector(".embed-title")).fontFamily'), /system-ui/);
    assert.equal(await s.js('return getComputedStyle(document.querySelector("#host-note")).color'), 'rgb(255, 0, 255)', 'the host keeps its look');
    // The inline contact form, filled as a visitor does, stored as the partner's.
    const name = `Partner in ${s.name}`;
    await s.waitFor('the inline form', () => near('inline-contact', '!!r.querySelector("input[name=name]")'), 30000);
    await s.js(`const r = document.querySelector("#inline-contact").shadowRoot;
      const fill = (sel, v) => { const el = r.querySelector(sel); el.focus(); el.value = v; el.dispatchEvent(new Event("input", { bubbles: true })); };
      fill("input[name=name]", arguments[0]); fill("input[name=email]", "partner@example.org");
      fill("textarea[name=message]", "A request from a partner page, in every engine.");
      r.querySelector("input[name=consent]").click(); r.querySelector("button[type=submit]").click();`, name);
    await s.waitFor('the thank-you note', () => inShadow('inline-contact', '/Thank you/.test(r.textContent)'), 20000);
    const all = JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', s.db, 'export', '--format', 'json'], { encoding: 'utf8' }));
    const stored = all.find((x) => x.name === name);
    assert.equal(stored?.partner_origin, PARTNER);
    // The inline form's events, in order, once each; the frames' latest state.
    await s.waitFor('keel:submitted', () => s.js('return window.__keelEvents.some((e) => e.type === "submitted")'), 10000);
    const events = await s.js('return window.__keelEvents.filter((e) => e.id === "inline-contact")');
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'ready', types.join());
    assert.ok(types.indexOf('resize') > 0, types.join());
    assert.deepEqual(types.filter((t) => t === 'ready' || t === 'submitted' || t === 'error'), ['ready', 'submitted'], types.join());
    assert.deepEqual(events.find((e) => e.type === 'submitted').detail, { id: stored.id, view: 'contact' });
    const frameState = await s.js('return JSON.parse(JSON.stringify(document.querySelector("#frame-articles").keel))');
    // What the partner's page saw, for the record (repeated resizes as one).
    const seen = types.filter((t, i) => t !== 'resize' || types[i - 1] !== 'resize');
    console.log(`${s.name}: the inline contact widget told the page ${seen.join(' → ')} (${types.length} events); #frame-articles.keel ${JSON.stringify(frameState)}`);
    assert.equal(frameState.ready, true);
    assert.ok(frameState.height > 300, JSON.stringify(frameState));
    assert.deepEqual(await s.js('return [location.href, history.length]'), start, 'the host URL and history are untouched');
    assert.deepEqual(await s.js('return Object.keys(window.Keel).sort()'), ['embedding', 'scan', 'version']);
    const errors = (await s.takeErrors()).filter((e) => !/no-such-article|404/.test(e));
    assert.deepEqual(errors, []);
  });
}

// The engines run side by side.
describe('every engine', { concurrency: true }, () => {
  for (const name of Object.keys(ENGINES)) {
    // One session per engine: its cases run one after another.
    describe(name, { concurrency: 1 }, () => {
      let server, proxy, session;
      before(async () => {
        server = await startServer({ env: { KEEL_RATE_LIMIT_BURST: '1000', KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE: '1000', KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '1000', KEEL_ALLOWED_ORIGINS: PARTNER } });
        proxy = await startProxy(server.url, { hosts: { 'partner.test': partnerHandler({ self: PARTNER, keelOrigin: 'http://keel.test' }) } });
        session = await launch(name, proxy);
        session.db = server.db;
        console.log(`# ${name} ${session.version} (errors: ${session.collectors})`);
      }, { timeout: 90000 });
      after(async () => {
        await session?.close();
        await proxy?.stop();
        await server?.stop();
      });
      cases(() => session);
    });
  }
});
