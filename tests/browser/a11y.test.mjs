// axe-core on every route, light and dark, phone and desktop: zero violations
// of WCAG 2.0/2.1/2.2 A and AA. Plus the keyboard: skip link, visible focus,
// the phone menu as a real disclosure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchBrowser, newPage, startServer, SEED_SLUG } from '../harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ROUTES = ['/', '/articles', '/articles?tag=api', '/articles?q=oauth', `/articles/${SEED_SLUG}`,
  '/articles/rest-is-not-just-using-http-here-is-what-it-actually-means', '/services', '/contact', '/no-such-page', '/embed/'];

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

test('the axe check can fail: it sees a planted violation', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(server.url + '/services');
  await page.waitForSelector('#page-title');
  await page.evaluate(() => {
    const p = document.createElement('p');
    p.textContent = 'low contrast';
    p.style.cssText = 'color:#bbb;background:#fff';
    document.querySelector('main').append(p, Object.assign(document.createElement('img'), { src: '/assets/favicon.svg' }));
  });
  const v = (await axe(page)).join('\n');
  assert.match(v, /image-alt/);
  assert.match(v, /color-contrast/);
  await context.close();
});

for (const colorScheme of ['light', 'dark']) {
  describe(`axe, ${colorScheme}`, () => {
    for (const width of [375, 1280]) {
      test(`every route at ${width}px has no violations`, async () => {
        // bypassCSP: only so the test can inject axe; the app runs under its real CSP elsewhere.
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme, bypassCSP: true });
        const page = await context.newPage();
        const all = [];
        for (const path of ROUTES) {
          await page.goto(server.url + path);
          await page.waitForSelector('#page-title');
          await page.waitForLoadState('networkidle');
          for (const v of await axe(page)) all.push(`${path}: ${v}`);
        }
        // Also with the form showing its errors.
        await page.goto(server.url + '/contact');
        await page.waitForSelector('form.contact-form');
        await page.click('button[type=submit]');
        for (const v of await axe(page)) all.push(`/contact (errors): ${v}`);
        await context.close();
        assert.deepEqual(all, []);
      });
    }
  });
}

test('the skip link is the first stop and moves focus to main', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/services');
  await page.waitForSelector('#page-title');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  assert.ok(await page.evaluate(() => document.activeElement.getBoundingClientRect().top >= 0), 'visible when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.close();
});

// Our ring, not the browser's: Chromium draws a ring of its own (style `auto`,
// about 1px, its own colour) on any focused link, so "has an outline" would
// pass without our stylesheet. Each stop must carry the ring style.rs sets:
// 3px solid in the theme's --focus colour, 2px off the element (a card link
// rings its whole card).
for (const colorScheme of ['light', 'dark']) {
  test(`keyboard focus shows our ring on links and buttons (${colorScheme})`, async () => {
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.waitForSelector('#page-title');
    const focus = await page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--focus)';
      document.querySelector('#main').append(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    });
    const seen = new Set();
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const el = document.activeElement;
        const ringed = el.closest('.card') ?? el;
        const s = getComputedStyle(ringed);
        return { tag: el.tagName, text: el.textContent.trim().slice(0, 30), style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor, offset: s.outlineOffset };
      });
      seen.add(ring.tag);
      assert.deepEqual({ style: ring.style, width: ring.width, color: ring.color, offset: ring.offset },
        { style: 'solid', width: '3px', color: focus, offset: '2px' }, `${ring.tag} “${ring.text}”`);
    }
    assert.ok(seen.has('A') && seen.has('BUTTON'), `links and buttons were checked: ${[...seen]}`);
    await context.close();
  });
}

test('on a phone the menu is a disclosure button', async () => {
  const page = await newPage(browser, { width: 375, height: 800 });
  const context = page.context();
  await page.goto(server.url + '/');
  await page.waitForSelector('#page-title');
  const button = page.getByRole('button', { name: 'Menu' });
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.isVisible('#site-nav >> text=Services'), false);
  await button.click();
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  // The open menu is a full-width list below the name and the button.
  const nav = await page.locator('#site-nav').boundingBox();
  const brand = await page.locator('.site-header .brand').boundingBox();
  const menu = await button.boundingBox();
  const spans = Math.abs(nav.x - brand.x) < 2 && Math.abs(nav.x + nav.width - (menu.x + menu.width)) < 2;
  assert.ok(spans, `the menu spans the bar, from the name to the button: ${JSON.stringify({ nav, brand, menu })}`);
  assert.ok(nav.y >= menu.y + menu.height, 'and sits below them');
  await page.click('#site-nav >> text=Services');
  await page.waitForURL(/\/services$/);
  assert.equal(await button.getAttribute('aria-expanded'), 'false', 'closes after navigating');
  // Also on a link to the page's own route (a filter dropped), or to the page shown.
  await page.goto(server.url + '/articles?tag=api');
  await page.waitForSelector('#page-title');
  for (const link of ['Articles', 'Articles']) {
    await button.click();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    await page.click(`#site-nav >> text=${link}`);
    await page.waitForURL(/\/articles$/);
    await page.waitForFunction(() => document.querySelector('.menu-button').getAttribute('aria-expanded') === 'false');
  }
  await context.close();
});
