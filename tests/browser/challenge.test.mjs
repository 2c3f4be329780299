// The contact form's proof of work, in a real browser against the real
// server: solved in the background while the visitor types, sent with the
// request, accepted once. Its cost is reported (not asserted: this machine is
// noisy): the time per hash, and from it the average and worst solve, at
// full speed and at Lighthouse's 4× CPU slowdown (a mid-range phone).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchBrowser, newPage, SERVER_BIN, startServer } from '../harness.mjs';

let server, browser;
before(async () => {
  server = await startServer({ env: { KEEL_RATE_LIMIT_BURST: '50' } });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const exported = () => JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', server.db, 'export', '--format', 'json', '--spam'], { encoding: 'utf8' }));

/** Fill in and send the form; the proof of work the request carried. */
async function send(page, name) {
  let proof;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/contact')) proof = r.headers()['keel-challenge'];
  });
  await page.goto(`${server.url}/contact`);
  await page.fill('#name', name);
  await page.fill('#email', 'grace@navy.example');
  await page.fill('#message', 'We need help moving our batch jobs to a queue with retries.');
  await page.check('#consent');
  await page.waitForTimeout(3200);
  await page.click('button[type=submit]');
  await page.getByText('Thank you, your message has arrived.').waitFor({ timeout: 20000 });
  assert.ok(proof, `${name}: the request carried a proof of work`);
  return JSON.parse(Buffer.from(proof, 'base64').toString());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('the form solves the challenge while the visitor types; its cost at full speed and at a 4x slower CPU', async () => {
  const report = [];
  for (const rate of [1, 4]) {
    const perHash = [];
    for (let i = 0; i < 3; i++) {
      const page = await newPage(browser);
      if (rate > 1) {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      }
      const s = await send(page, `Grace ${rate}x ${i}`);
      await page.context().close();
      assert.equal(s.algorithm, 'SHA-256');
      // The time per hash, from a solve long enough to measure.
      if (s.number >= 2000) perHash.push(s.took / (s.number + 1));
    }
    const { maxnumber } = await (await fetch(`${server.url}/api/v1/contact/challenge`)).json();
    const us = median(perHash) * 1000;
    report.push(`${rate}x CPU: ${us.toFixed(2)} µs a hash, so ${(us * maxnumber / 2 / 1000).toFixed(0)} ms on average and ${(us * maxnumber / 1000).toFixed(0)} ms at worst (${maxnumber} numbers)`);
  }
  console.log(`proof of work: ${report.join('; ')}`);
  const rows = exported().filter((r) => r.name.startsWith('Grace '));
  assert.equal(rows.length, 6);
  for (const r of rows) assert.equal(r.verdict, 'clean', `${r.name}: ${r.reasons}`);
});
