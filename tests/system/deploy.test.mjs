// A deploy under a sub-path with its API on another origin, as a partner or
// a shared domain hosts it: the site built with `cargo xtask build
// --base-path /keel --api-origin …`, served at http://127.0.0.1:P/keel/ by
// Debian's nginx in front of one Keel server, and the API (reads and the
// contact intake) from a second Keel server on another origin. The browser
// reads, navigates and posts the contact form; nothing reaches outside /keel/
// on the site's origin, and every API request goes to the API's origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, newPage, ROOT, SEED_SLUG, SERVER_BIN, startServer } from '../harness.mjs';
import { freePort, startNginx } from '../nginx.mjs';

const BASE = '/keel';
let dir, api, site, nginx, siteUrl, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keel-deploy-'));
  const port = await freePort();
  siteUrl = `http://127.0.0.1:${port}`;
  // The API's server: the site's origin is the site itself (public_origin),
  // calling it from another origin.
  api = await startServer({ env: { KEEL_PUBLIC_ORIGIN: siteUrl } });
  // The site, built for this deploy, into a folder of its own.
  const dist = join(dir, 'dist');
  execFileSync(join(ROOT, 'target/debug/xtask'), ['build', '--dist', dist, '--base-path', BASE, '--api-origin', api.url],
    { cwd: ROOT, stdio: 'pipe' });
  site = await startServer({ dist });
  // docs/static-hosting.md: the site under a path, its prefix taken off.
  nginx = await startNginx(`location ${BASE}/ { proxy_pass ${site.url}/; proxy_set_header Host $http_host; }
    location / { return 418; }`, { port });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await nginx?.stop();
  await site?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('under a sub-path, with the API elsewhere: read, navigate and send the contact form', async () => {
  const page = await newPage(browser);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${siteUrl}${BASE}/`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  // Every link to our pages carries the base path.
  const hrefs = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length > 5);
  assert.deepEqual(hrefs.filter((h) => !h.startsWith(`${BASE}/`)), []);
  // In place to the index, then to an article whose document is not in the page.
  await page.locator(`header a[href="${BASE}/articles"]`).click();
  await page.waitForURL(`${siteUrl}${BASE}/articles`);
  await page.locator('main .card').first().waitFor();
  await page.locator(`main .card a[href="${BASE}/articles/${SEED_SLUG}"]`).click();
  await page.waitForURL(`${siteUrl}${BASE}/articles/${SEED_SLUG}`);
  await page.getByText('If the backend fails, nothing else matters.').waitFor();
  assert.ok(requests.includes(`${api.url}/api/v1/articles/${SEED_SLUG}.json`), 'the article came from the API origin');
  // A reload there is the prerendered page, found under the path.
  await page.reload();
  await page.getByText('If the backend fails, nothing else matters.').waitFor();
  // Back to the home page, then the contact form: posted to the API's origin.
  await page.goto(`${siteUrl}${BASE}/contact`);
  await page.locator('#name').fill('Sub Path');
  await page.locator('#email').fill('sub@path.example');
  await page.locator('#message').fill('Our site lives under /keel and its API elsewhere.');
  await page.locator('#consent').check();
  await page.locator('button[type=submit]').click();
  await page.getByText('Thank you, your message has arrived.').waitFor({ timeout: 15000 });
  assert.ok(requests.includes(`${api.url}/api/v1/contact`), 'the form posted to the API origin');
  const stored = JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', api.db, 'export', '--format', 'json'], { encoding: 'utf8' }));
  const mine = stored.find((s) => s.name === 'Sub Path');
  assert.ok(mine, 'stored by the API server');
  assert.equal(mine.partner_origin ?? null, null, 'the site itself, not a partner');

  // Nothing was asked of the site's origin outside the base path, and no API
  // document of the site's own copy: the CSP allowed exactly the API origin.
  const site = requests.filter((u) => u.startsWith(siteUrl));
  assert.deepEqual(site.filter((u) => !u.startsWith(`${siteUrl}${BASE}/`)), []);
  assert.deepEqual(site.filter((u) => u.includes('/api/')), []);
  assert.deepEqual(errors, []);
  await page.context().close();
});
