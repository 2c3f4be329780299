// Notifications go through the outbox: while the target is down the worker
// retries with backoff and the operator sees the delivery pending with its
// error; once the target is up, every submission is delivered exactly once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SERVER_BIN, startServer } from '../harness.mjs';
import { ADMIN_TOKEN, contactBody, freePort, proofOfWork, redirectSink, smtpSink, submissions, waitFor, webhookSink } from '../sinks.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function post(server, i, extra = {}) {
  const res = await fetch(`${server.url}/api/v1/contact`, {
    method: 'POST',
    // As our page's script sends it (the page open for half a minute, the
    // proof of work solved): a clean request, not one for review
    // (docs/configuration.md, Spam).
    headers: { 'content-type': 'application/json', 'keel-filled-ms': '30000', 'keel-challenge': await proofOfWork(server), ...extra },
    body: contactBody(i),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

test('webhook down, then up: retried until delivered, none lost, none twice', async () => {
  const port = await freePort();
  const server = await startServer({
    env: { KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/hook/s3cr3t-path?token=t0ps3cr3t`, KEEL_WEBHOOK_SECRET: 'shh', KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '200' },
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
    assert.ok(s.deliveries[0].last_error.startsWith(`webhook http://127.0.0.1:${port}: `), s.deliveries[0].last_error);
    assert.doesNotMatch(s.deliveries[0].last_error, /s3cr3t/, 'the URL path and query are not stored');
  }
  assert.match(server.stderr(), /will retry/, 'the failures are logged');
  assert.doesNotMatch(server.stderr(), /s3cr3t/, 'the URL path and query are not logged');

  // Up: everything arrives.
  const sink = await webhookSink(port);
  cleanups.push(() => sink.close());
  await waitFor('all delivered', async () => (await submissions(server)).every((s) => s.deliveries[0].state === 'delivered'));
  assert.ok(sink.received.every((r) => r.url === '/hook/s3cr3t-path?token=t0ps3cr3t'), 'delivered to the full URL');
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
  // Staff disagree: `not-spam` notifies now; `spam` takes it back out of the list.
  const spamId = (await res.json()).id;
  const cli = (...args) => execFileSync(SERVER_BIN, ['submissions', '--database', server.db, ...args], { encoding: 'utf8', env: { ...process.env, KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/` } });
  assert.match(cli('list', '--spam'), /spam \(the hidden field was filled in/);
  assert.match(cli('not-spam', spamId), /as not spam; 1 notification\(s\) queued/);
  await waitFor('the request staff rescued, delivered', () => sink.received.length === 2);
  assert.equal(sink.received[1].body.submission.id, spamId);
  assert.equal(sink.received[1].body.submission.verdict, 'clean');
  assert.equal((await submissions(server)).length, 2, 'listed with the others');
  assert.match(cli('spam', spamId), /as spam: it notifies no one/);
  assert.equal((await submissions(server)).length, 1);
  assert.throws(() => cli('spam', 'no-such-id'), /no submission no-such-id/);
});

test('a redirecting webhook is a permanent failure, never followed, never "delivered"', async () => {
  const port = await freePort();
  const sink = await redirectSink(port, 302);
  cleanups.push(() => sink.close());
  const server = await startServer({
    env: { KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/s3cr3t`, KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '100' },
  });
  cleanups.push(() => server.stop());
  await post(server, 11);
  const [s] = await waitFor('the delivery failed', async () => {
    const list = await submissions(server);
    return list[0].deliveries[0].state !== 'pending' && list;
  });
  assert.equal(s.deliveries[0].state, 'failed');
  assert.equal(s.deliveries[0].attempts, 1);
  assert.equal(s.deliveries[0].delivered_at, null);
  assert.match(s.deliveries[0].last_error, /answered 302 Found; redirects are not followed/);
  assert.doesNotMatch(s.deliveries[0].last_error, /s3cr3t/);
  // Well past several retry periods: no retry, no GET to the new location.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await submissions(server))[0].deliveries[0].attempts, 1, 'not retried');
  assert.deepEqual(sink.requests, [{ method: 'POST', url: '/hooks/s3cr3t' }]);
  assert.match(server.stderr(), /failed permanently/);
  assert.doesNotMatch(server.stderr(), /s3cr3t/);
});

test('an SMTP 5xx is permanent: failed once, not retried, sent after `submissions retry`', async () => {
  const port = await freePort();
  const sink = await smtpSink(port, { rejectRcpt: '550 5.1.1 no such user' });
  cleanups.push(() => sink.close());
  const server = await startServer({
    env: {
      KEEL_SMTP_HOST: '127.0.0.1', KEEL_SMTP_PORT: String(port), KEEL_SMTP_FROM: 'Keel <web@keel.example>',
      KEEL_SMTP_TO: 'nobody@keel.example', KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RETRY_BASE_MS: '100',
    },
  });
  cleanups.push(() => server.stop());
  const id = await post(server, 12);
  await waitFor('the delivery failed', async () => (await submissions(server))[0].deliveries[0].state === 'failed');
  await new Promise((r) => setTimeout(r, 1500));
  const [s] = await submissions(server);
  assert.equal(s.deliveries[0].attempts, 1, 'not retried');
  assert.match(s.deliveries[0].last_error, /550/);
  assert.equal(sink.received.length, 0);

  // The operator fixes the cause, then requeues.
  sink.rejectRcpt = null;
  const out = execFileSync(SERVER_BIN, ['submissions', '--database', server.db, 'retry', id], { encoding: 'utf8' });
  assert.match(out, /Requeued 1 failed notification/);
  await waitFor('delivered after the retry', async () => (await submissions(server))[0].deliveries[0].state === 'delivered');
  assert.equal(sink.received.length, 1);
});

test('notification settings are checked at start, with messages that keep secrets', async () => {
  const start = (env) => startServer({ env }).then(
    (server) => { cleanups.push(() => server.stop()); assert.fail('the server started'); },
    (e) => e.message,
  );
  const smtp = { KEEL_SMTP_HOST: '127.0.0.1', KEEL_SMTP_FROM: 'web@keel.example', KEEL_SMTP_TO: 'hello@keel.example' };
  assert.match(await start({ ...smtp, KEEL_SMTP_USERNAME: 'u', KEEL_SMTP_PASSWORD: 'p' }), /exited with 1[^]*tls = "none" would send the username and password unencrypted/);
  assert.match(await start({ ...smtp, KEEL_SMTP_FROM: 'not an address' }), /smtp\.from = "not an address" is not an email address/);
  assert.match(await start({ ...smtp, KEEL_SMTP_TLS: 'ssl' }), /KEEL_SMTP_TLS: smtp\.tls must be none, starttls or tls/);
  const bad = await start({ KEEL_WEBHOOK_URL: 'hooks.example.com/s3cr3t' });
  assert.match(bad, /webhook\.url is not a URL/);
  assert.doesNotMatch(bad, /s3cr3t/);
  const clear = await start({ KEEL_WEBHOOK_URL: 'http://hooks.example.com/s3cr3t', KEEL_WEBHOOK_SECRET: 'x' });
  assert.match(clear, /webhook\.secret would be sent unencrypted to http:\/\/hooks\.example\.com: use an https/);
  assert.doesNotMatch(clear, /s3cr3t/);
});

test('a chat webhook (slack, teams, discord) gets each request in its own shape', async () => {
  // What reaches each sink: the service's own structure, with the visitor's
  // name and message; the JSON event's envelope only for json.
  const shapes = {
    slack: (b) => b.blocks?.[0]?.type === 'header' && b.blocks[0].text.text,
    teams: (b) => b.type === 'message' && b.attachments?.[0]?.content?.type === 'AdaptiveCard' && b.attachments[0].content.body[0].text,
    discord: (b) => b.allowed_mentions?.parse?.length === 0 && b.embeds?.[0]?.title,
  };
  for (const [format, title] of Object.entries(shapes)) {
    const port = await freePort();
    const sink = await webhookSink(port);
    cleanups.push(() => sink.close());
    const server = await startServer({ env: { KEEL_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, KEEL_WEBHOOK_FORMAT: format } });
    cleanups.push(() => server.stop());
    await post(server, 7);
    await waitFor(`the ${format} message`, async () => sink.received.length === 1);
    const body = sink.received[0].body;
    assert.equal(body.event, undefined, `${format}: no JSON envelope`);
    assert.match(String(title(body)), /New project enquiry from Visitor 7 Ødegård/, `${format}: ${JSON.stringify(body)}`);
    assert.match(JSON.stringify(body), /Submission number 7/, format);
    await server.stop();
  }
  // A format the server does not know stops it with a sentence naming the setting.
  const bad = await startServer({ env: { KEEL_WEBHOOK_URL: 'http://127.0.0.1:9/hook', KEEL_WEBHOOK_FORMAT: 'mattermost' } }).then(
    (s) => { cleanups.push(() => s.stop()); return 'started'; },
    (e) => e.message,
  );
  assert.match(bad, /exited with 1[^]*KEEL_WEBHOOK_FORMAT must be json, slack, teams or discord, not "mattermost"/);
});
