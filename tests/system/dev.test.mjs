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
import { ROOT, launchBrowser, newPage } from '../harness.mjs';

const XTASK = join(ROOT, 'target/debug/xtask');
// An article no other links to. Its slug comes from its title unless the
// front matter names one; the copy names it, so a new title keeps the URL.
const SLUG = 'rest-is-not-just-using-http-here-is-what-it-actually-means';

let dir;
let dev;
let output = '';
let browser;

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

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keel-dev-'));
  // Its own process group, so that the test can stop it as Ctrl-C in a
  // terminal does: SIGINT to the whole group.
  dev = spawn(XTASK, ['dev', '--port', '0', '--content', copyContent('content')], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, KEEL_DATABASE: join(dir, 'keel.db') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout.on('data', (d) => { output += d; });
  dev.stderr.on('data', (d) => { output += d; });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    try { process.kill(-dev.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first match of `re` in the command's output. */
async function waitFor(re, ms, since = 0) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = output.slice(since).match(re);
    if (m) return m;
    if (dev.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${re} in the output of cargo xtask dev within ${ms} ms:\n${output}`);
}

test('cargo xtask dev rebuilds on save, reloads the page, shows and clears authoring errors', async (t) => {
  const [, url] = await waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)\//, 60000);
  // The first build: the cached wasm is reused (trunk does not run).
  await waitFor(/ready in [\d.]+ s/, 120000);
  assert.match(output, /spa\s+[\d.]+ s\s+unchanged, reused/, 'the first build reused the trunk output');

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
  const mark = output.length;
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

  // 3. Fixed: the overlay goes and the page shows the fixed content.
  writeFileSync(file, original);
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, title, { timeout: 20000 });
  assert.equal(await page.locator('#keel-dev-overlay').count(), 0, 'the overlay is gone');
  assert.deepEqual(page.errors.filter((e) => !/_dev\/events/.test(e)), [], 'no errors in the page');
  await page.close();

  // 4. Ctrl-C stops it and the server it started.
  const pgid = dev.pid;
  const children = groupMembers(pgid);
  assert.ok(children.some(([, , comm]) => comm.startsWith('keel-server')), `a keel-server runs: ${JSON.stringify(children)}`);
  const exited = new Promise((r) => dev.once('exit', (code, signal) => r({ code, signal })));
  process.kill(-pgid, 'SIGINT');
  const { code } = await exited;
  assert.equal(code, 0, `cargo xtask dev exits cleanly on Ctrl-C:\n${output.slice(-2000)}`);
  for (let i = 0; i < 50 && groupMembers(pgid).length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(groupMembers(pgid), [], 'nothing it started is left running');
});

test('stopping it with SIGTERM alone stops its keel-server too', async () => {
  // The same command, stopped by a signal only it receives (a process
  // manager, a closed session): it must stop its children itself.
  const proc = spawn(XTASK, ['dev', '--port', '0', '--content', copyContent('content2')], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, KEEL_DATABASE: join(dir, 'keel2.db') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  try {
    for (let i = 0; i < 600 && !/ready in/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /ready in/, out);
    assert.ok(groupMembers(proc.pid).some(([, , c]) => c.startsWith('keel-server')), 'its server runs');
    const exited = new Promise((r) => proc.once('exit', (code) => r(code)));
    process.kill(proc.pid, 'SIGTERM');
    assert.equal(await exited, 0, out);
    assert.deepEqual(groupMembers(proc.pid), [], 'its server stopped with it');
  } finally {
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});
