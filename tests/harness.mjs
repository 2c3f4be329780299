// Shared by the browser tests and the screenshot command: start the real
// Keel server on a free loopback port with a fresh database, and a headless
// Debian Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(process.env.KEEL_ROOT ?? join(import.meta.dirname, '..'));
export const SERVER_BIN = join(ROOT, 'target/server/keel-server');

/** Start `keel-server serve` and resolve once it prints its URL. */
export async function startServer({ env = {}, dist = join(ROOT, 'dist'), database, openFiles } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'keel-test-'));
  const db = database ?? join(dir, 'keel.db');
  const args = ['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--database', db];
  // `openFiles`: run under that open-file limit, soft and hard (util-linux prlimit).
  const [bin, argv] = openFiles ? ['prlimit', [`--nofile=${openFiles}:${openFiles}`, SERVER_BIN, ...args]] : [SERVER_BIN, args];
  const proc = spawn(bin, argv, {
    env: { ...process.env, RUST_LOG: 'keel_server=warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start in 15 s:\n${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/[^/\s]+)\//);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}:\n${stderr}`)); });
  });
  return {
    url,
    db,
    proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      // The database a caller passed lives elsewhere; this folder is ours.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Playwright gives every launch a fresh, empty profile of its own (the
// equivalent of a new --user-data-dir), and deletes it on close.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic',
    ],
  });
}

/**
 * A page that fails the test on any uncaught error or console error.
 * `start: 'now'` (the default) asks every page to start the app as soon as it
 * is parsed (the loader's `keel:start`); `start: 'lazy'` leaves it to the
 * loader's own moment, the visitor's first move or idle, as for a visitor.
 */
export async function newPage(browser, { width = 1280, height = 900, colorScheme = 'light', start = 'now' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  // The app starts late and does not preload its wasm, so a test acting at
  // once would race it (a click before then is a plain page load, which is
  // right for a visitor but not what an SPA test means to try). Every full
  // navigation therefore waits until the app runs, or cannot (a lazy page
  // only until it has loaded).
  await page.addInitScript((now) => {
    addEventListener('TrunkApplicationStarted', () => { window.__keelStarted = true; });
    addEventListener('unhandledrejection', () => { window.__keelFailed = true; });
    if (now) addEventListener('DOMContentLoaded', () => dispatchEvent(new Event('keel:start')));
  }, start === 'now');
  const untilApp = async (res, opts = {}) => {
    if (start === 'now' && (opts.waitUntil ?? 'load') === 'load') {
      await page.waitForFunction(
        () => window.__keelStarted || window.__keelFailed || !document.querySelector('script[type=module]'),
        null, { timeout: 15000 });
    }
    return res;
  };
  for (const nav of ['goto', 'reload']) {
    const original = page[nav].bind(page);
    page[nav] = async (...args) => {
      const res = await original(...args);
      return untilApp(res, nav === 'goto' ? args[1] : args[0]);
    };
  }
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
  return page;
}

export const SEED_SLUG = 'why-backend-developers-often-carry-the-most-responsibility-in-a-team';

/**
 * The site built from other content: the given article files (a folder)
 * beside the bundled site.toml. Uses the xtask binary that `cargo xtask test`
 * has just built, and the SPA of the checkout's last build.
 */
export async function siteWithArticles(articlesDir) {
  const { cpSync, mkdirSync, rmSync: rm } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'keel-site-'));
  const content = join(dir, 'content');
  mkdirSync(join(content, 'articles'), { recursive: true });
  cpSync(join(ROOT, 'content/site.toml'), join(content, 'site.toml'));
  cpSync(articlesDir, join(content, 'articles'), { recursive: true });
  const dist = join(dir, 'dist');
  // A real build of that content (the SPA reused from the checkout's build):
  // its pages, API and compressed forms, as `cargo xtask build` writes them.
  execFileSync(join(ROOT, 'target/debug/xtask'), ['build', '--content', content, '--dist', dist], { stdio: 'pipe' });
  return { dist, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
