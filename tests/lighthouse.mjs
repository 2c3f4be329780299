// `cargo xtask lighthouse`: Lighthouse 12.2.3 (mobile: a mid-range phone on
// slow 4G, simulated) on the main routes of the release build, served by the
// real server. Prints scores and the paint and shift figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SEED_SLUG, startServer } from './harness.mjs';

const LH = join(ROOT, 'target/lighthouse/node_modules/.bin/lighthouse');
const routes = ['/', '/articles', `/articles/${SEED_SLUG}`, '/services', '/contact'];
const server = await startServer();
const out = mkdtempSync(join(tmpdir(), 'keel-lh-'));
const flags = '--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run --disable-sync';
try {
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
    for (let attempt = 1; ; attempt++) {
      try {
        await run();
        break;
      } catch (e) {
        if (attempt == 3) throw e;
        console.log(`  (${e.message}; running it again)`);
      }
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const s = (k) => String(Math.round(r.categories[k].score * 100)).padEnd(5);
    const a = (k) => r.audits[k].displayValue.padEnd(7);
    console.log(route.padEnd(80), s('performance'), s('accessibility'), s('best-practices'), s('seo'), a('first-contentful-paint'), a('largest-contentful-paint'), a('total-blocking-time'), a('cumulative-layout-shift'));
    // The long tasks behind the blocking time.
    for (const t of r.audits['long-tasks']?.details?.items ?? []) console.log(`  long task: ${Math.round(t.duration)} ms at ${Math.round(t.startTime)} ms, ${t.url}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
  await server.stop();
}
