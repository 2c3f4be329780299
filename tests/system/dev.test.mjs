// `cargo xtask dev`, the writers' loop, as a writer uses it: the command runs
// on a free port against a temporary copy of content/, a page is open in
// Chromium, and the files are edited on disk. A new title shows in the open
// page without a reload by hand; a broken front matter shows its file and
// line over the page; fixing it brings the page back. Stopping the command
// stops the keel-server it started.
//
// Uses the xtask binary `cargo xtask test` has just built, and the trunk
// output the release build left in target/keel-build-spa/ (src/ has not
// changed since), so no wasm is compiled here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SERVER_BIN, launchBrowser, newPage } from '../harness.mjs';
import { contactBody } from '../sinks.mjs';

const XTASK = join(ROOT, 'target/debug/xtask');
// An article no other links to. Its slug comes from its title unless the
// front matter names one; the copy names it, so a new title keeps the URL.
const SLUG = 'rest-is-not-just-using-http-here-is-what-it-actually-means';

let dir;
let browser;
const started = [];

/** Every process in the dev command's process group, but itself. */
function groupMembers(pgid) {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,comm='], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter(([pid, g]) => g === String(pgid) && pid !== String(pgid));
}

/** A copy of content/ in `dir`/`name`, never the checkout's own. */
function copyContent(name) {
  const content = join(dir, name);
  cpSync(join(ROOT, 'content'), content, { recursive: true });
  const file = join(content, 'articles', `${SLUG}.md`);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^title = /m, `slug = "${SLUG}"\ntitle = `));
  return content;
}

/**
 * `xtask dev` on `content`, a free port and a database of its own, in its
 * own process group, so that a test can stop it as Ctrl-C in a terminal
 * does: SIGINT to the whole group.
 */
function startDev(content) {
  const proc = spawn(XTASK, ['dev', '--port', '0', '--content', content], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, KEEL_DATABASE: `${content}.db` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  const dev = { proc, content, output: '' };
  proc.stdout.on('data', (d) => { dev.output += d; });
  proc.stderr.on('data', (d) => { dev.output += d; });
  /** Resolves with the first match of `re` in the output (after `since` characters). */
  dev.waitFor = async (re, ms, since = 0) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const m = dev.output.slice(since).match(re);
      if (m) return m;
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${re} in the output of xtask dev within ${ms} ms:\n${dev.output}`);
  };
  /** Ctrl-C; resolves with the exit code once nothing it started runs. */
  dev.interrupt = async () => {
    const exited = new Promise((r) => proc.once('exit', (code) => r(code)));
    process.kill(-proc.pid, 'SIGINT');
    const code = await exited;
    for (let i = 0; i < 50 && groupMembers(proc.pid).length; i++) await new Promise((r) => setTimeout(r, 100));
    return code;
  };
  return dev;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keel-dev-'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const proc of started) {
    if (proc.exitCode === null && proc.signalCode === null) {
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('cargo xtask dev rebuilds on save, reloads the page, shows and clears authoring errors', async (t) => {
  const dev = startDev(copyContent('content'));
  const { waitFor } = dev;
  const [, url] = await waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)\//, 60000);
  // The first build: the cached wasm is reused (trunk does not run).
  await waitFor(/ready in [\d.]+ s/, 120000);
  assert.match(dev.output, /spa\s+[\d.]+ s\s+unchanged, reused/, 'the first build reused the trunk output');

  const page = await newPage(browser);
  const path = `/articles/${SLUG}`;
  await page.goto(url + path);
  const file = join(dir, 'content/articles', `${SLUG}.md`);
  const original = readFileSync(file, 'utf8');
  const title = original.match(/^title = "(.*)"$/m)[1];
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, title);
  // Marks this very document: a page reloaded by the script loses it.
  await page.evaluate(() => { window.__notReloaded = true; });
  await page.evaluate(() => scrollTo(0, 600));
  const scrolled = await page.evaluate(() => scrollY);
  assert.ok(scrolled > 0, 'the article is long enough to scroll');

  // 1. A new title shows in the open page, by itself.
  const newTitle = 'A Title Changed While The Page Was Open';
  const saved = Date.now();
  writeFileSync(file, original.replace(`title = "${title}"`, `title = "${newTitle}"`));
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, newTitle, { timeout: 20000 });
  const seconds = (Date.now() - saved) / 1000;
  t.diagnostic(`saved to new title on screen: ${seconds.toFixed(2)} s`);
  assert.equal(await page.evaluate(() => window.__notReloaded), undefined, 'the page was reloaded');
  // Where the writer was reading.
  await page.waitForFunction((y) => Math.abs(scrollY - y) < 50, scrolled, { timeout: 5000 });

  // 2. An unknown front-matter field: the problem, with its file and line,
  // over the page (the last good build stays underneath).
  const broken = original.replace(`title = "${title}"`, `title = "${newTitle}"\ntitel = "typo"`);
  const line = broken.split('\n').findIndex((l) => l.startsWith('titel')) + 1;
  const mark = dev.output.length;
  writeFileSync(file, broken);
  const overlay = page.locator('#keel-dev-overlay');
  await overlay.waitFor({ timeout: 20000 });
  const shown = await overlay.textContent();
  assert.ok(shown.includes(`${SLUG}.md:${line}`), `file and line in the browser: ${shown}`);
  assert.match(shown, /titel/, 'the message names the field');
  await waitFor(new RegExp(`${SLUG}\\.md:${line}: `), 5000, mark);
  assert.equal(await page.locator('h1').textContent(), newTitle, 'the last good build is still there');

  // A page opened now shows the problem too.
  const second = await newPage(browser);
  await second.goto(url + '/');
  await second.locator('#keel-dev-overlay').waitFor({ timeout: 10000 });
  await second.close();

  // 2b. An image whose SVG holds a script: refused, at the SVG's own line,
  // and the article's line that shows it.
  writeFileSync(
    join(dir, 'content/articles/images/dev-bad.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">\n<script>alert(1)</script>\n</svg>\n',
  );
  const withImage = `${original}\n\n![A diagram](images/dev-bad.svg)\n`;
  writeFileSync(file, withImage);
  const imageLine = withImage.split('\n').findIndex((l) => l.includes('dev-bad.svg')) + 1;
  // (The overlay shows the place and the message in elements of their own.)
  await page.waitForFunction(
    (want) => want.every((w) => (document.querySelector('#keel-dev-overlay')?.textContent ?? '').includes(w)),
    ['images/dev-bad.svg:2', '`<script>` is not allowed'],
    { timeout: 20000 },
  );
  assert.match(await overlay.textContent(), new RegExp(`${SLUG}\\.md:${imageLine}\\)`), 'and where the article shows it');

  // 3. Fixed: the overlay goes and the page shows the fixed content.
  writeFileSync(file, original);
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, title, { timeout: 20000 });
  assert.equal(await page.locator('#keel-dev-overlay').count(), 0, 'the overlay is gone');
  assert.deepEqual(page.errors.filter((e) => !/_dev\/events/.test(e)), [], 'no errors in the page');

  // The contact intake answers too, from the page (same origin), into the database.
  const posted = await page.evaluate(async (body) => {
    const res = await fetch('/api/v1/contact', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return res.status;
  }, contactBody(1));
  assert.equal(posted, 201);
  const listed = execFileSync(SERVER_BIN, ['submissions', '--database', `${dev.content}.db`, 'list'], { encoding: 'utf8' });
  assert.match(listed, /Visitor 1/);
  await page.close();

  // 4. Ctrl-C stops it and the server it started.
  const children = groupMembers(dev.proc.pid);
  assert.ok(children.some(([, , comm]) => comm.startsWith('keel-server')), `a keel-server runs: ${JSON.stringify(children)}`);
  assert.equal(await dev.interrupt(), 0, `cargo xtask dev exits cleanly on Ctrl-C:\n${dev.output.slice(-2000)}`);
  assert.deepEqual(groupMembers(dev.proc.pid), [], 'nothing it started is left running');
});

test('stopping it with SIGTERM alone stops its keel-server too', async () => {
  // A signal only the command receives (a process manager, a closed
  // session): it must stop its children itself.
  const dev = startDev(copyContent('content2'));
  await dev.waitFor(/ready in/, 60000);
  assert.ok(groupMembers(dev.proc.pid).some(([, , c]) => c.startsWith('keel-server')), 'its server runs');
  const exited = new Promise((r) => dev.proc.once('exit', (code) => r(code)));
  process.kill(dev.proc.pid, 'SIGTERM');
  assert.equal(await exited, 0, dev.output);
  assert.deepEqual(groupMembers(dev.proc.pid), [], 'its server stopped with it');
});

test('a site that has never built shows its problems, escaped, and then the site once fixed', async () => {
  const content = copyContent('content3');
  const file = join(content, 'articles', `${SLUG}.md`);
  const good = readFileSync(file, 'utf8');
  // A refused link whose text the message repeats: markup in it must stay text.
  const bad = `${good}\n[x](<javascript:\\<img src=x onerror=window.__xss=1\\>>)\n`;
  const line = bad.split('\n').findIndex((l) => l.startsWith('[x](<javascript')) + 1;
  writeFileSync(file, bad);
  const dev = startDev(content);
  const [, url] = await dev.waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)\//, 60000);
  await dev.waitFor(/the build failed/, 60000);
  // As sent (the script then keeps the list current, from text nodes).
  const raw = await (await fetch(`${url}/articles/${SLUG}`)).text();
  assert.ok(raw.includes('javascript:&lt;img src=x onerror=window.__xss=1&gt;'), `escaped in the page as sent: ${raw}`);
  assert.ok(!raw.includes('<img'), 'no markup from the message in the page as sent');
  const page = await newPage(browser);
  const res = await page.goto(`${url}/articles/${SLUG}`);
  assert.equal(res.status(), 500);
  const problems = page.locator('#keel-dev-problems');
  const text = await problems.textContent();
  assert.ok(text.includes(`${SLUG}.md:${line}`), `file and line: ${text}`);
  assert.ok(text.includes('javascript:<img src=x onerror=window.__xss=1>'), `the link, as text: ${text}`);
  assert.equal(await page.locator('#keel-dev-problems img').count(), 0, 'no markup from the message');
  writeFileSync(file, good);
  await page.waitForFunction(() => document.querySelector('h1')?.textContent.startsWith('REST Is Not Just'), null, { timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.close();
  assert.equal(await dev.interrupt(), 0, dev.output);
});
