// `cargo xtask lighthouse`: Lighthouse 12.2.3 (mobile: a mid-range phone on
// slow 4G, simulated) on the main routes of the release build, served by the
// real server. Prints scores and the paint and shift figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SEED_SLUG, startServer } from './harness.mjs';

const LH = join(ROOT, 'target/lighthouse/node_modules/.bin/lighthouse');
const RUNS = 3;
// The main routes, and the partner playground (noindex by design, so its SEO
// score lacks the "indexable" audit); or the routes given
// (`cargo xtask lighthouse /embed/`).
const given = process.argv.slice(2);
const routes = given.length ? given : ['/', '/articles', `/articles/${SEED_SLUG}`, '/services', '/contact', '/embed/'];
const server = await startServer();
const out = mkdtempSync(join(tmpdir(), 'keel-lh-'));
const flags = '--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run --disable-sync';
try {
  console.log(`median of ${RUNS} runs per route`);
  console.log('route'.padEnd(80), 'perf  a11y  best  seo   FCP     LCP     TBT    CLS');
  for (const route of routes) {
    const file = join(out, 'report.json');
    const run = () => new Promise((ok, fail) => {
      const p = spawn(LH, [server.url + route, '--quiet', '--output=json', `--output-path=${file}`, `--chrome-flags=${flags}`,
        '--only-categories=performance,accessibility,best-practices,seo'], { env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' }, stdio: 'inherit' });
      p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`lighthouse exited with ${code}`))));
    });
    // Lighthouse itself sometimes fails to record a trace ("NO_NAVSTART:
    // Please run Lighthouse again"): it gets two more tries, said aloud.
    // Three runs, and for each figure the median: one run on this machine is noisy.
    const reports = [];
    for (let n = 0; n < RUNS; n++) {
      for (let attempt = 1; ; attempt++) {
        try {
          await run();
          break;
        } catch (e) {
          if (attempt == 3) throw e;
          console.log(`  (${e.message}; running it again)`);
        }
      }
      reports.push(JSON.parse(readFileSync(file, 'utf8')));
    }
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const s = (k) => String(Math.round(median(reports.map((r) => r.categories[k].score)) * 100)).padEnd(5);
    const ms = (k) => median(reports.map((r) => r.audits[k].numericValue));
    const a = (k) => (k === 'cumulative-layout-shift' ? String(Math.round(ms(k) * 1000) / 1000) : k === 'total-blocking-time' ? `${Math.round(ms(k))} ms` : `${(ms(k) / 1000).toFixed(1)} s`).padEnd(7);
    console.log(route.padEnd(80), s('performance'), s('accessibility'), s('best-practices'), s('seo'), a('first-contentful-paint'), a('largest-contentful-paint'), a('total-blocking-time'), a('cumulative-layout-shift'));
    const middle = reports.find((r) => r.audits['total-blocking-time'].numericValue === ms('total-blocking-time')) ?? reports[0];
    for (const t of middle.audits['long-tasks']?.details?.items ?? []) console.log(`  long task: ${Math.round(t.duration)} ms at ${Math.round(t.startTime)} ms, ${t.url}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
  await server.stop();
}
