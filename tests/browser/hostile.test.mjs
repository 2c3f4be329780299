// Hostile Markdown, compiled by the real content compiler and rendered by the
// real SPA from the real server: nothing of it runs, nothing becomes markup
// or an attribute, and it all stays visible as text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, newPage, ROOT, siteWithArticles, startServer } from '../harness.mjs';

let site, server, browser;
before(async () => {
  site = await siteWithArticles(join(ROOT, 'tests/fixtures/hostile/articles'));
  server = await startServer({ dist: site.dist });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); site?.cleanup(); });

async function hostilePage() {
  const page = await newPage(browser);
  page.dialogs = [];
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss(); });
  await page.goto(server.url + '/articles/hostile');
  await page.waitForSelector('text=PAYLOADS-END');
  return page;
}

/** Everything suspicious in the page's main content, as strings. */
function audit() {
  const main = document.querySelector('main');
  const found = [];
  for (const el of main.querySelectorAll('script, style, iframe, svg, object, embed, noscript, form, base, link, meta')) {
    found.push(`element <${el.tagName.toLowerCase()}>`);
  }
  for (const el of main.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(`attribute ${a.name} on <${el.tagName.toLowerCase()}>`);
      if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*(javascript|vbscript|data):/i.test(a.value)) {
        found.push(`${a.name}=${a.value}`);
      }
    }
  }
  return found;
}

test('hostile markdown renders as inert text', async () => {
  const page = await hostilePage();
  // Poke everything a payload could hang on.
  for (const el of await page.locator('main .prose *').all()) {
    await el.hover({ force: true, timeout: 1000 }).catch(() => {});
  }
  await page.locator('main .prose p').first().click();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'a payload ran');
  assert.deepEqual(page.dialogs, []);
  assert.deepEqual(await page.evaluate(audit), []);
  assert.deepEqual(page.errors, []);

  const text = await page.textContent('main');
  for (const visible of [
    "<script>window.__xss = 'script-block'</script>",
    '<style>body { display: none !important; }',
    `<img src=x onerror="window.__xss='img'">`,
    "<script>window.__xss='entity'</script>",
    `<noscript><p title="</noscript><img src=x onerror=window.__xss='mxss'>"></noscript>`,
    "</code><script>window.__xss='inline-code'</script>",
  ]) {
    assert.ok(text.includes(visible), `shown as text: ${visible}`);
  }
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('main')).display), 'block', 'the <style> did not apply');
});

test('front matter fields are text too, in the page and in the document title', async () => {
  const page = await hostilePage();
  assert.equal(await page.textContent('h1'), "Hostile <script>window.__xss='title'</script> Title");
  assert.match(await page.title(), /^Hostile <script>/);
  assert.ok((await page.textContent('.byline')).includes("<b onmouseover=window.__xss='author'>Mallory</b>"));
  // Quotes in alt text stay inside their attribute; the title is the
  // figure's caption, as text.
  const img = page.locator('main .prose figure img');
  assert.equal(await img.getAttribute('alt'), `alt" onerror="window.__xss='alt'`);
  assert.equal(await img.evaluate((el) => [...el.attributes].map((a) => a.name).sort().join(',')), 'alt,decoding,height,loading,src,width');
  assert.match(await img.getAttribute('src'), /^\/media\/[0-9a-f]{16}-40\.svg$/);
  assert.equal(await page.textContent('main .prose figcaption'), `t" onload="window.__xss='imgtitle'`);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('a tampered API document cannot smuggle a javascript: link into the page', async () => {
  const page = await newPage(browser);
  page.dialogs = [];
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss(); });
  await page.route('**/api/v1/articles/hostile.json', async (route) => {
    const res = await route.fetch();
    const doc = await res.json();
    doc.body.unshift(
      { t: 'paragraph', content: [{ t: 'link', href: 'javascript:window.__xss="tampered"', title: null, content: [{ t: 'text', text: 'TAMPERED-LINK' }] }] },
      { t: 'figure', caption: 'TAMPERED-FIGURE', image: { src: 'data:image/svg+xml,<svg onload="window.__xss=1">-1.svg', width: 1, height: 1, alt: 'TAMPERED-IMAGE' } },
      { t: 'figure', caption: null, image: { src: 'https://evil.test/media/0123456789abcdef-1.png', width: 1, height: 1, alt: 'ELSEWHERE' } },
    );
    await route.fulfill({ response: res, json: doc });
  });
  // The article's own page embeds its document; the app fetches it when it
  // navigates there from another page.
  await page.goto(server.url + '/articles');
  await page.click('main a[href="/articles/hostile"]');
  await page.waitForSelector('text=TAMPERED-LINK');
  await page.click('text=TAMPERED-LINK');
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(await page.evaluate(audit), []);
  assert.equal(await page.locator('main a:has-text("TAMPERED-LINK")').count(), 0, 'the link became plain text');
  // An image outside our /media/ files is not shown at all; its caption is text.
  await page.waitForSelector('text=TAMPERED-FIGURE');
  assert.equal(await page.locator('main img[alt="TAMPERED-IMAGE"], main img[alt="ELSEWHERE"]').count(), 0, 'no image from a tampered src');
  assert.deepEqual(page.dialogs, []);
});
