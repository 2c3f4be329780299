// The contact form in the real browser against the real server and database:
// field errors, a draft that survives a reload, honest failure with a retry
// that cannot store twice, and no double submission.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer } from '../harness.mjs';
import { ADMIN_TOKEN, submissions } from '../sinks.mjs';

let server, browser;
before(async () => {
  server = await startServer({ env: { KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RATE_LIMIT_BURST: '1000', KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE: '1000', KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '1000' } });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

async function contactPage() {
  const page = await newPage(browser);
  await page.goto(server.url + '/contact');
  await page.waitForSelector('form.contact-form');
  return page;
}

async function fill(page, { name = 'Ingrid Østergaard', email = 'ingrid@example.no', message = 'We run a Rust API on Postgres and need help with our queue.' } = {}) {
  await page.fill('#name', name);
  await page.fill('#email', email);
  await page.fill('#company', 'Fjord Labs');
  await page.check('#budget-from_10k_to_50k');
  await page.fill('#message', message);
  await page.check('#consent');
}

const stored = async () => submissions(server, '?include_handled=true');

test('field errors appear on blur and on submit, beside the field, in words', async () => {
  const page = await contactPage();
  await page.focus('#name');
  await page.focus('#email');
  assert.equal(await page.getAttribute('#name', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#name-error'), /Error: Please tell us your name/);
  assert.match(await page.getAttribute('#name', 'aria-describedby'), /name-error/);

  await page.fill('#email', 'not-an-email');
  await page.click('button[type=submit]');
  for (const f of ['email', 'message', 'consent']) {
    assert.equal(await page.getAttribute(`#${f}`, 'aria-invalid'), 'true', f);
  }
  assert.match(await page.textContent('#email-error'), /does not look like an email/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'name', 'focus goes to the first problem');

  await page.fill('#name', 'Ada');
  assert.equal(await page.textContent('#name-error'), '', 'the error clears as it is fixed');
  assert.equal(await page.getAttribute('#name', 'aria-invalid'), null);
  assert.deepEqual(page.errors, []);
});

test('the form keeps its size when errors appear', async () => {
  const page = await contactPage();
  const height = () => page.evaluate(() => document.querySelector('form.contact-form').getBoundingClientRect().height);
  const before = await height();
  await page.click('button[type=submit]');
  await page.waitForSelector('#consent-error:not(:empty)');
  assert.ok(Math.abs((await height()) - before) < 2, `${before} -> ${await height()}`);
});

test('the draft survives a reload', async () => {
  const page = await contactPage();
  await fill(page, { message: 'Draft that must survive a reload, with ünïcödé.' });
  await page.reload();
  await page.waitForSelector('form.contact-form');
  await page.waitForFunction(() => document.querySelector('#name')?.value);
  assert.equal(await page.inputValue('#name'), 'Ingrid Østergaard');
  assert.equal(await page.inputValue('#email'), 'ingrid@example.no');
  assert.equal(await page.inputValue('#message'), 'Draft that must survive a reload, with ünïcödé.');
  assert.equal(await page.isChecked('#budget-from_10k_to_50k'), true);
  assert.equal(await page.isChecked('#consent'), true);
  assert.ok(await page.isVisible('text=We restored the message you were writing.'));
});

test('offline: the failure is said plainly, nothing is lost, the retry succeeds once', async () => {
  const before = (await stored()).length;
  const page = await contactPage();
  await fill(page, { message: 'Offline first, then online: stored exactly once.' });
  await page.route('**/api/v1/contact', (route) => route.abort('internetdisconnected'));
  await page.click('button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /not sent.*could not reach the server/s);
  assert.equal(await page.inputValue('#message'), 'Offline first, then online: stored exactly once.');

  await page.unroute('**/api/v1/contact');
  await page.click('button[type=submit]');
  await page.waitForSelector('.contact-done');
  assert.match(await page.textContent('.contact-done'), /Thank you/);
  const after = await stored();
  assert.equal(after.length, before + 1);
  assert.equal(after[0].message, 'Offline first, then online: stored exactly once.');
  assert.equal(after[0].company, 'Fjord Labs');
  assert.equal(after[0].budget, 'from_10k_to_50k');
});

test('a lost answer: the retry reuses the Idempotency-Key and stores nothing twice', async () => {
  const before = (await stored()).length;
  const page = await contactPage();
  await fill(page, { message: 'The server stored this but the answer got lost.' });
  const keys = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/contact')) keys.push(r.headers()['idempotency-key']); });
  let lose = true;
  await page.route('**/api/v1/contact', async (route) => {
    if (!lose) return route.continue();
    await route.fetch(); // reaches the real server, which stores it
    await route.abort('connectionreset'); // but the browser never hears back
  });
  await page.click('button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.equal((await stored()).length, before + 1, 'stored on the first try');
  lose = false;
  await page.click('button[type=submit]');
  await page.waitForSelector('.contact-done');
  assert.equal((await stored()).length, before + 1, 'not stored again');
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1]);
});

test('a server error keeps the form and says so; a reload still has the draft', async () => {
  const page = await contactPage();
  await fill(page, { message: 'This one meets a 500 from the server first.' });
  await page.route('**/api/v1/contact', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"status":500,"error":"internal","message":"Something went wrong on our side. Please try again."}' }));
  await page.click('button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /Something went wrong on our side/);
  await page.unroute('**/api/v1/contact');
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#message')?.value);
  assert.equal(await page.inputValue('#message'), 'This one meets a 500 from the server first.');
});

test('the submit button cannot send twice', async () => {
  const before = (await stored()).length;
  const page = await contactPage();
  await fill(page, { message: 'Double click on the button, one submission only.' });
  let posts = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/contact') && r.method() === 'POST') posts++; });
  await page.route('**/api/v1/contact', async (route) => { await new Promise((r) => setTimeout(r, 400)); await route.continue(); });
  await page.dblclick('button[type=submit]');
  await page.keyboard.press('Enter');
  assert.equal(await page.isDisabled('button[type=submit]'), true);
  await page.waitForSelector('.contact-done');
  assert.equal(posts, 1);
  assert.equal((await stored()).length, before + 1);
  // After success the draft is gone.
  await page.reload();
  await page.waitForSelector('form.contact-form');
  assert.equal(await page.inputValue('#message'), '');
});
