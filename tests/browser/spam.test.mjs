// The spam verdict against a bot and a person: a scripted client posts 100
// plain form requests (no JavaScript, the honeypot left empty, each from its
// own address behind our proxy's X-Forwarded-For), and a person fills in the
// form in a real browser. Every bot request is marked (review or spam, and
// spam notifies no one); the person's is clean. The counts are printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchBrowser, newPage, SERVER_BIN, startServer } from '../harness.mjs';

let server, browser;
before(async () => {
  server = await startServer({
    env: {
      // We run the proxy (this test), so the address it forwards is the client's.
      KEEL_TRUSTED_PROXIES: '127.0.0.1',
      // A flood from many addresses is this instance's business to cap; the
      // test lets all 100 through to judge each.
      KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '1000',
    },
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const exported = () => JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', server.db, 'export', '--format', 'json', '--spam'], { encoding: 'utf8' }));

const PITCHES = [
  'Grow your traffic 300% with our SEO package, reply for a free audit today.',
  'We build mobile apps at half the price of any agency, write back for rates.',
  'Guaranteed first page on Google in 30 days or your money back, ask us how.',
  'Cheap offshore developers available now, any stack, start tomorrow.',
];

test('a bot\'s 100 requests are all marked and a person\'s is not', async () => {
  const ids = [];
  for (let i = 0; i < 100; i++) {
    const body = new URLSearchParams({
      name: `Lead Gen ${i}`,
      email: `sales${i}@growth-${i % 7}.example`,
      company: '',
      message: PITCHES[i % PITCHES.length] + (i % 3 === 0 ? ' https://growth.example/offer' : ''),
      consent: 'on',
      website: '',
    });
    const res = await fetch(`${server.url}/api/v1/contact`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `198.51.100.${i + 1}` },
      body,
    });
    assert.equal(res.status, 200, await res.text());
    ids.push(`Lead Gen ${i}`);
  }
  // A person: the page, some seconds of reading and typing, then Send.
  const page = await newPage(browser);
  const opened = Date.now();
  await page.goto(`${server.url}/contact`);
  await page.fill('#name', 'Margaret Hamilton');
  await page.fill('#email', 'margaret@apollo.example');
  await page.fill('#message', 'Our flight software team needs help with a message queue that drops work under load.');
  await page.check('#consent');
  await page.waitForTimeout(Math.max(0, 3500 - (Date.now() - opened)));
  await page.click('button[type=submit]');
  await page.getByText('Thank you, your message has arrived.').waitFor({ timeout: 15000 });
  await page.context().close();

  const rows = exported();
  const bots = rows.filter((r) => r.name.startsWith('Lead Gen '));
  assert.equal(bots.length, 100, 'every bot request is stored, none dropped');
  const count = (v) => bots.filter((r) => r.verdict === v).length;
  const person = rows.find((r) => r.name === 'Margaret Hamilton');
  console.log(`bot: ${count('spam')} spam, ${count('review')} review, ${count('clean')} clean of 100; the browser's: ${person?.verdict} (${person?.reasons ?? 'no reason'})`);
  assert.equal(count('clean'), 0, bots.filter((r) => r.verdict === 'clean').map((r) => r.name).join(', '));
  // The first senders of each pitch are for review (no script); the rest
  // repeat a message others sent, which is spam.
  assert.ok(count('spam') > count('review'), `${count('spam')} spam`);
  assert.ok(bots.filter((r) => r.verdict === 'spam').every((r) => r.deliveries.length === 0), 'spam notifies no one');
  assert.equal(person?.verdict, 'clean', JSON.stringify(person));
});
