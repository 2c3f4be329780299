// One WebDriver session per browser engine, for the cross-engine suite:
// Chromium (chromedriver), Firefox (geckodriver) and WebKit (WebKitGTK's
// WebKitWebDriver with its MiniBrowser, under xvfb-run since it needs a
// display). Each driver is started here as a process with an explicit path,
// so selenium-webdriver never runs Selenium Manager (which would try to
// download drivers), and stopped with its whole process group.
//
// Every page is opened through `open()`: the proxy holds the app's wasm, the
// test reads the prerendered page and installs a page-side error collector,
// then lets the app start and waits for it. So each check sees the page as a
// browser without wasm would, and then the app adopting it.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, By, until } from 'selenium-webdriver';
import bidiLog from 'selenium-webdriver/bidi/generated/log.js';
import { freePort } from '../sinks.mjs';

const { Log } = bidiLog;
const cargoBin = join(process.env.CARGO_HOME ?? join(process.env.HOME ?? '/root', '.cargo'), 'bin');

/** A program in cargo's bin folder or on PATH, in the order `cargo xtask setup` checks them. */
function onPath(program) {
  for (const dir of [cargoBin, ...(process.env.PATH ?? '').split(':')]) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return join(cargoBin, program);
}

function webkitMiniBrowser() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  for (const arch of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    const p = join('/usr/lib', arch, 'webkit2gtk-4.1/MiniBrowser');
    if (existsSync(p)) return p;
  }
  return '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
}

/**
 * The engines, and what each can report. Where an engine differs, the
 * difference is written here and asserted by the cases, never skipped.
 * - `bidi`: console errors and uncaught exceptions over WebDriver BiDi
 *   (log.entryAdded), from the start of every navigation, on Chromium and
 *   Firefox. WebKitWebDriver 2.50 refuses the `webSocketUrl` capability
 *   ("Failed to match capabilities"), and MiniBrowser does not apply
 *   --enable-write-console-messages-to-stdout to the views it opens for
 *   automation, so on WebKit errors come from the page-side collector alone
 *   (COLLECTOR: installed at DOMContentLoaded while the wasm is held, so it
 *   sees everything the app does; an error in the page's own markup before
 *   that, or on a page the app never starts on, is seen on WebKit by nobody).
 * - WebDriver's element text differs: WebKit joins a paragraph and the
 *   button after it without a line break, so the cases read narrow elements.
 */
export const ENGINES = {
  chromium: {
    bidi: true,
    command: () => [process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver', (port) => [`--port=${port}`]],
    capabilities: (proxy) => ({
      browserName: 'chrome',
      'goog:chromeOptions': {
        binary: process.env.CHROMIUM ?? '/usr/bin/chromium',
        // The same flags as the Chromium suite (harness.mjs): without them it
        // hangs on the closed network.
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--no-first-run', '--disable-sync', '--disable-quic', '--window-size=1280,900'],
      },
      proxy: { proxyType: 'manual', httpProxy: proxy.address },
    }),
  },
  firefox: {
    bidi: true,
    command: () => [process.env.GECKODRIVER ?? onPath('geckodriver'), (port) => ['--port', String(port), '--log', 'error']],
    capabilities: (proxy) => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
        args: ['-headless', '-width=1280', '-height=900'],
        prefs: {
          // Nothing in the background: no updates, telemetry or remote settings.
          'app.update.enabled': false,
          'browser.safebrowsing.malware.enabled': false,
          'browser.safebrowsing.phishing.enabled': false,
          'datareporting.policy.dataSubmissionEnabled': false,
          'network.captive-portal-service.enabled': false,
          'network.connectivity-service.enabled': false,
        },
      },
      proxy: { proxyType: 'manual', httpProxy: proxy.address },
    }),
  },
  webkit: {
    bidi: false,
    command: () => [onPath('xvfb-run'), (port) => ['-a', '-s', '-screen 0 1280x900x24', process.env.WEBKITWEBDRIVER ?? '/usr/bin/WebKitWebDriver', `--port=${port}`]],
    capabilities: (proxy) => ({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: webkitMiniBrowser(), args: ['--automation'] },
      proxy: { proxyType: 'manual', httpProxy: proxy.address },
    }),
  },
};

// Runs in the page while the app is held: records what the app does wrong
// from then on, in every engine.
const COLLECTOR = `
  if (!window.__keel) {
    const errors = [];
    window.__keel = { errors, started: false };
    const text = (v) => (v && v.stack) ? String(v.stack).split('\\n')[0] : String(v);
    addEventListener('error', (e) => errors.push(e.message ? 'uncaught: ' + e.message
      : 'failed to load: ' + (e.target && (e.target.src || e.target.href) || e.target)), true);
    addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + text(e.reason)));
    addEventListener('securitypolicyviolation', (e) => errors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
    const consoleError = console.error;
    console.error = function (...args) { errors.push('console.error: ' + args.map(text).join(' ')); return consoleError.apply(this, args); };
    addEventListener('TrunkApplicationStarted', () => { window.__keel.started = true; });
  }`;

const running = new Set();
// A driver and its browser are a process group of their own: end them even
// when the test process is stopped or crashes.
const killAll = () => { for (const pid of running) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } };
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { killAll(); process.exit(130); });

/** Start the engine's driver and one browser session that sends every request through `proxy`. */
export async function launch(name, proxy) {
  const engine = ENGINES[name];
  const [program, argsFor] = engine.command();
  const port = await freePort();
  const args = argsFor(port);
  const caps = { ...engine.capabilities(proxy), pageLoadStrategy: 'none', ...(engine.bidi ? { webSocketUrl: true } : {}) };
  const browser = caps['goog:chromeOptions']?.binary ?? caps['moz:firefoxOptions']?.binary ?? caps['webkitgtk:browserOptions']?.binary;
  for (const file of [program, ...args.filter((a) => a.startsWith('/')), browser]) {
    if (!existsSync(file)) throw new Error(`${name}: ${file} is missing; \`cargo xtask setup\` installs it`);
  }
  const proc = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  running.add(proc.pid);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.once('exit', r));
  const stopDriver = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
      const late = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await exited;
      clearTimeout(late);
    }
    running.delete(proc.pid);
  };

  const server = `http://127.0.0.1:${port}`;
  try {
    await waitForDriver(server, proc, () => stderr);
    const driver = await new Builder().usingServer(server).withCapabilities(caps).build();
    // One viewport size for all: MiniBrowser opens its own window size.
    await driver.manage().window().setRect({ width: 1280, height: 900 });
    const browserCaps = await driver.getCapabilities();
    const bidiErrors = [];
    if (engine.bidi) {
      const log = await Log.create(driver);
      await log.onEntryAdded((e) => { if (e.level === 'error') bidiErrors.push(`${e.type}: ${e.text}`); });
    }
    return new Session({ name, engine, driver, proxy, version: browserCaps.get('browserVersion'), bidiErrors, stopDriver });
  } catch (e) {
    await stopDriver();
    throw new Error(`${name}: could not start a session: ${e.message}\n${stderr}`);
  }
}

async function waitForDriver(server, proc, stderr) {
  const end = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the driver exited with ${proc.exitCode}: ${stderr()}`);
    try {
      const res = await fetch(`${server}/status`);
      if (res.ok && (await res.json()).value?.ready !== false) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error(`the driver did not answer in 30 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class Session {
  constructor({ name, engine, driver, proxy, version, bidiErrors, stopDriver }) {
    Object.assign(this, { name, engine, driver, proxy, version, bidiErrors, stopDriver });
    this.origin = proxy.origin;
    this.pageErrors = [];
  }

  /** What collects this engine's errors, for the test report. */
  get collectors() {
    return this.engine.bidi ? 'WebDriver BiDi log.entryAdded + page-side collector' : 'page-side collector only';
  }

  /**
   * Load `path` with the app held back, run `beforeApp` on the prerendered
   * page, then let the app start and wait until it has. Returns the h1 the
   * prerendered page had, for adoption checks.
   */
  async open(path, beforeApp = async () => {}) {
    await this.harvest();
    const wasm = this.proxy.hold(/\.wasm$/);
    try {
      await this.get(path);
      await this.driver.executeScript(COLLECTOR);
      if (await this.js('return window.__keel.started')) throw new Error(`${path}: the app started before the test let it`);
      await beforeApp();
      // Nothing preloads the wasm: the loader asks for it once the JS glue
      // is in, which may be after the document is ready.
      await this.waitFor(`${path}: the page to request the wasm`, () => wasm.seen() > 0).catch(() => {});
    } finally {
      wasm.release();
    }
    if (wasm.seen() === 0) throw new Error(`${path}: the page loaded without requesting the wasm`);
    // The loader starts the app on the visitor's first move or when idle;
    // the test's own moment is now.
    await this.js('dispatchEvent(new Event("keel:start"))');
    await this.waitFor(`the app started on ${path}`, () => this.driver.executeScript('return window.__keel.started'));
  }

  /**
   * Load `path` as it comes, without holding the app (see `open`), and wait
   * for its DOM. Sessions use the page load strategy "none" and wait here for
   * the new document instead: with "eager" or "normal", WebKitWebDriver 2.50
   * does not run a script while the held wasm keeps the page loading.
   */
  async get(path) {
    if (this.loaded) await this.js('window.__keelLeft = true').catch(() => {});
    await this.driver.get(this.origin + path);
    const want = new URL(this.origin + path);
    await this.waitFor(`the page at ${path}`, () => this.js(
      'return !window.__keelLeft && document.readyState !== "loading" && location.pathname + location.search === arguments[0]',
      want.pathname + want.search));
    this.loaded = true;
  }

  /** Start collecting the current document's errors (see `takeErrors`). */
  async collect() { await this.driver.executeScript(COLLECTOR); }

  $(css) { return this.driver.findElement(By.css(css)); }
  async count(css) { return (await this.driver.findElements(By.css(css))).length; }
  async text(css) { return (await this.driver.wait(until.elementLocated(By.css(css)), 10000, `${css} did not appear`)).getText(); }
  async click(css) { await (await this.driver.wait(until.elementLocated(By.css(css)), 10000, `${css} did not appear`)).click(); }
  async js(script, ...args) { return this.driver.executeScript(script, ...args); }
  async url() { return this.driver.getCurrentUrl(); }

  /** Poll `fn` (an async function in the test) until it returns something truthy. */
  async waitFor(what, fn, timeout = 10000) {
    return this.driver.wait(async () => { try { return await fn(); } catch { return false; } }, timeout, `timed out waiting for ${what}`);
  }

  /** Every error reported since the last call, by every collector this engine has. */
  async takeErrors() {
    await this.harvest();
    const page = this.pageErrors.splice(0);
    const bidi = this.bidiErrors.splice(0);
    return [...bidi.map((e) => `bidi ${e}`), ...page.map((e) => `page ${e}`)];
  }

  /** Move the current document's page-side errors into the session, before it is left. */
  async harvest() {
    // Nothing loaded yet: WebKit's first, empty view never answers a script.
    if (!this.loaded) return;
    const found = await this.js('return window.__keel ? window.__keel.errors.splice(0) : []').catch(() => []);
    this.pageErrors.push(...(found ?? []));
  }

  async close() {
    try { await this.driver.quit(); } catch { /* the driver may be gone already */ }
    await this.stopDriver();
  }
}
