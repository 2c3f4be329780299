// The partner playground (/embed/): a partner picks options (one by keyboard),
// sees the widget live, copies the snippet, and pastes it into a page on
// another origin (under the partner CSP the playground shows), where the same
// widget appears.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { launchBrowser, newPage, SERVER_BIN, startServer } from '../harness.mjs';

let keel, browser, partner, partnerUrl, pasted = '', csp = '';

before(async () => {
  // The partner's origin: a page holding whatever was pasted, under the CSP
  // the playground told the partner to send.
  partner = createServer((req, res) => {
    if (req.url !== '/') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': `default-src 'none'; ${csp}` });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title></head><body><h1>Partner</h1>\n${pasted}\n</body></html>`);
  });
  await new Promise((ok) => partner.listen(0, '127.0.0.1', ok));
  partnerUrl = `http://127.0.0.1:${partner.address().port}`;
  keel = await startServer({ env: { KEEL_ALLOWED_ORIGINS: partnerUrl } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await keel?.stop();
  await new Promise((ok) => partner ? partner.close(ok) : ok());
});

/** The titles an articles widget shows, in its frame or its shadow root. */
async function titles(page, scope) {
  await page.waitForFunction((s) => document.querySelector(s)?.keel?.ready, scope, { timeout: 20000 });
  const el = page.locator(scope);
  if (await el.locator('iframe').count()) {
    return el.frameLocator('iframe').locator('.embed-item h3').allInnerTexts();
  }
  return page.evaluate((s) => [...document.querySelector(s).shadowRoot.querySelectorAll('.embed-item h3')]
    .filter((h) => h.offsetParent !== null).map((h) => h.innerText), scope);
}

for (const mode of ['iframe', 'inline']) {
  test(`options changed (the count by keyboard) give a live ${mode} widget, and its snippet pasted on another origin shows the same`, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: keel.url });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await page.goto(keel.url + '/embed/');
      await page.waitForSelector('#page-title');
      // The default widget shows before anything is chosen.
      await titles(page, '.playground-preview [data-keel-embed]');
      // Two articles (by keyboard), the first real tag, this mode, dark.
      await page.focus('#pg-count');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Tab');
      assert.equal(await page.inputValue('#pg-count'), '2');
      const tag = await page.locator('#pg-tag option').nth(1).getAttribute('value');
      await page.selectOption('#pg-tag', tag);
      await page.selectOption('#pg-mode', mode);
      await page.selectOption('#pg-theme', 'dark');
      const snippet = await page.locator('#pg-snippet').innerText();
      assert.match(snippet, new RegExp(`data-keel-count="2" data-keel-tag="${tag}"`));
      assert.equal(snippet.includes('data-keel-mode="inline"'), mode === 'inline', snippet);
      const live = await titles(page, '.playground-preview [data-keel-embed]');
      assert.equal(live.length, 2, live.join('\n'));
      await page.getByRole('button', { name: 'Copy the snippet' }).click();
      await page.getByText('Copied. Paste it into your page').waitFor();
      pasted = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(pasted, snippet);
      csp = await page.locator('#pg-csp').innerText();
      const there = await context.newPage();
      there.on('pageerror', (e) => errors.push(`partner: ${e.message}`));
      there.on('console', (m) => m.type() === 'error' && errors.push(`partner: ${m.text()}`));
      await there.goto(partnerUrl + '/');
      assert.deepEqual(await titles(there, '[data-keel-embed]'), live);
      assert.equal(await there.locator('[data-keel-embed]').getAttribute('data-keel-theme'), 'dark');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

/** The playground in a context of its own, with the contact widget chosen. */
async function contactPlayground() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(keel.url + '/embed/');
  await page.waitForSelector('#page-title');
  await page.selectOption('#pg-view', 'contact');
  return { context, page };
}

test('a value the loader refuses shows its message in the preview, and the snippet keeps it as typed', async () => {
  const { context, page } = await contactPlayground();
  try {
    await page.fill('#pg-source', 'spring 2027!');
    await page.press('#pg-source', 'Tab');
    await page.locator('.playground-preview').getByText(/invalid source "spring 2027!"/).waitFor({ timeout: 15000 });
    assert.match(await page.locator('#pg-snippet').innerText(), /data-keel-source="spring 2027!"/);
  } finally {
    await context.close();
  }
});

test("a request sent from the preview's framed form is ours, not a partner's", async () => {
  const { context, page } = await contactPlayground();
  try {
    await page.fill('#pg-name', 'Playground Tester');
    await page.press('#pg-name', 'Tab');
    const form = page.frameLocator('.playground-preview iframe');
    for (let i = 0; i < 60 && (await form.locator('input[name=name]').inputValue().catch(() => '')) !== 'Playground Tester'; i++) await page.waitForTimeout(250);
    await form.locator('input[name=email]').fill('tester@keel.example');
    await form.locator('textarea[name=message]').fill('Trying the contact widget from the partner playground.');
    await form.locator('input[name=consent]').check();
    await form.locator('button[type=submit]').click();
    await form.getByText('Thank you, your message has arrived.').waitFor({ timeout: 15000 });
    const rows = JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', keel.db, 'export', '--format', 'json'], { encoding: 'utf8' }));
    const row = rows.find((r) => r.name === 'Playground Tester');
    assert.ok(row, 'stored');
    assert.equal(row.partner_origin, null);
  } finally {
    await context.close();
  }
});

test('the playground runs a wasm of its own, and its links to our pages load them with ours', async () => {
  const page = await newPage(browser);
  const wasm = [];
  // The page's own (the preview's widget, in its iframe, runs the embed views').
  page.on('request', (r) => { if (r.url().endsWith('.wasm') && r.frame() === page.mainFrame()) wasm.push(new URL(r.url()).pathname); });
  await page.goto(keel.url + '/embed/');
  await page.waitForSelector('.playground-preview [data-keel-embed]');
  // Our readers' wasm carries no playground, and the playground none of our pages.
  assert.equal(wasm.length, 1, `${wasm}`);
  assert.match(wasm[0], /^\/keel-playground-[0-9a-f]{12,16}_bg\.wasm$/);
  // The header's "Articles": a page of our site's wasm, so a page load, not
  // a route in place (the playground's root has no such page).
  await page.evaluate(() => { window.__playgroundDocument = true; });
  await page.click('#site-nav a[href="/articles"]');
  await page.waitForFunction(() => !window.__playgroundDocument && window.__keelStarted
    && document.querySelector('#page-title')?.textContent.includes('Articles'), null, { timeout: 15000 });
  assert.equal(new URL(page.url()).pathname, '/articles');
  assert.equal(wasm.length, 2, `${wasm}`);
  assert.match(wasm[1], /^\/keel-[0-9a-f]{12,16}_bg\.wasm$/);
  assert.ok(await page.locator('main .card').count() > 0, 'the index, rendered');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
