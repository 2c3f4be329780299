// Notifications go through the outbox: while the target is down the worker
// retries with backoff and the operator sees the delivery pending with its
// error; once the target is up, every submission is delivered exactly once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../harness.mjs';
import { ADMIN_TOKEN, contactBody, freePort, smtpSink, submissions, waitFor, webhookSink } from '../sinks.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function post(server, i, extra = {}) {
  const res = await fetch(`${server.url}/api/v1/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    body: contactBody(i),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

test('webhook down, then up: retried until delivered, none lost, none twice', async () => {
  const port = await freePort();
  const server = await startServer({
    env: { KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, KEEL_WEBHOOK_SECRET: 'shh', KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '200' },
  });
  cleanups.push(() => server.stop());
  const ids = [await post(server, 1), await post(server, 2), await post(server, 3)];

  // Down: attempts pile up, the error is visible, nothing is marked delivered.
  const pending = await waitFor('two failed attempts each', async () => {
    const list = await submissions(server);
    return list.every((s) => s.deliveries[0].attempts >= 2) && list;
  });
  for (const s of pending) {
    assert.equal(s.deliveries[0].state, 'pending');
    assert.match(s.deliveries[0].last_error, /webhook/);
  }

  // Up: everything arrives.
  const sink = await webhookSink(port);
  cleanups.push(() => sink.close());
  await waitFor('all delivered', async () => (await submissions(server)).every((s) => s.deliveries[0].state === 'delivered'));
  const got = sink.received.map((r) => r.body.submission.id).sort();
  assert.deepEqual(got, [...ids].sort(), 'each submission delivered exactly once');
  assert.equal(sink.received[0].headers.authorization, 'Bearer shh');
  assert.equal(sink.received[0].body.event, 'contact.submitted');
});

test('email through SMTP: down, then up', async () => {
  const port = await freePort();
  const server = await startServer({
    env: {
      KEEL_SMTP_HOST: '127.0.0.1', KEEL_SMTP_PORT: String(port), KEEL_SMTP_FROM: 'Keel <web@keel.example>',
      KEEL_SMTP_TO: 'hello@keel.example', KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '200',
    },
  });
  cleanups.push(() => server.stop());
  const id = await post(server, 7);
  await waitFor('a failed attempt', async () => (await submissions(server))[0].deliveries[0].attempts >= 1);
  const sink = await smtpSink(port);
  cleanups.push(() => sink.close());
  await waitFor('delivered', async () => (await submissions(server))[0].deliveries[0].state === 'delivered');
  assert.equal(sink.received.length, 1);
  const mail = sink.received[0];
  assert.match(mail.data, /Subject: New project enquiry from Visitor 7/);
  assert.match(mail.data, /Reply-To: .*visitor7@example\.com/);
  assert.ok(mail.data.includes(id));
});

test('spam (the honeypot) is stored but never notified', async () => {
  const port = await freePort();
  const sink = await webhookSink(port);
  cleanups.push(() => sink.close());
  const server = await startServer({ env: { KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/`, KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '200' } });
  cleanups.push(() => server.stop());
  const body = JSON.parse(contactBody(9));
  body.website = 'https://cheap-pills.example';
  const res = await fetch(`${server.url}/api/v1/contact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201);
  await post(server, 10);
  await waitFor('the real one delivered', () => sink.received.length === 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sink.received.length, 1);
  assert.equal((await submissions(server)).length, 1, 'spam is hidden by default');
  assert.equal((await submissions(server, '?include_spam=true')).length, 2);
});
