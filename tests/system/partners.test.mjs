// Partner sites (issue 8) against the server as a process: a partner's page
// posts the contact form cross-origin, an embed page (on our origin) names its
// host page, another origin is refused; the partner origin then shows in the
// admin endpoint, the operator CLI (list, show, CSV and JSON export), the
// webhook payload and the notification email.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_BIN, startServer } from '../harness.mjs';
import { ADMIN_TOKEN, contactBody, freePort, smtpSink, submissions, waitFor, webhookSink } from '../sinks.mjs';

const PARTNER = 'https://partner.example';
const OTHER = 'http://localhost:3000';
const FOREIGN = 'https://evil.example';

let server;
let hook;
let smtp;
// The intake needs no built site: a page of its own keeps this test off `cargo xtask build`.
const dist = mkdtempSync(join(tmpdir(), 'keel-partners-dist-'));
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Keel</title>');
before(async () => {
  const [hookPort, smtpPort] = [await freePort(), await freePort()];
  hook = await webhookSink(hookPort);
  smtp = await smtpSink(smtpPort);
  server = await startServer({
    dist,
    env: {
      KEEL_ALLOWED_ORIGINS: `${PARTNER},${OTHER}`,
      KEEL_ADMIN_TOKEN: ADMIN_TOKEN,
      KEEL_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook`,
      KEEL_SMTP_HOST: '127.0.0.1', KEEL_SMTP_PORT: String(smtpPort),
      KEEL_SMTP_FROM: 'Keel <web@keel.example>', KEEL_SMTP_TO: 'hello@keel.example',
      KEEL_RETRY_BASE_MS: '200',
    },
  });
});
after(async () => {
  await server?.stop();
  await hook?.close();
  await smtp?.close();
  rmSync(dist, { recursive: true, force: true });
});

/** A raw request (fetch would not let a test set `Origin`): status, headers, body text. */
function send(method, path, headers = {}, body = undefined) {
  return new Promise((ok, fail) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const post = (i, headers) => send('POST', '/api/v1/contact', { 'content-type': 'application/json', ...headers }, contactBody(i));
const cli = (...args) => execFileSync(SERVER_BIN, ['submissions', '--database', server.db, ...args], { encoding: 'utf8' });
const count = () => JSON.parse(cli('export', '--format', 'json', '--spam')).length;

const ids = {};
test('a partner page posts cross-origin, an embed page names its host, another origin stores nothing', async () => {
  const pre = await send('OPTIONS', '/api/v1/contact', { origin: PARTNER, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], PARTNER);
  const refusedPre = await send('OPTIONS', '/api/v1/contact', { origin: FOREIGN, 'access-control-request-method': 'POST' });
  assert.equal(refusedPre.status, 403);
  assert.equal(JSON.parse(refusedPre.text).error, 'forbidden');

  const cross = await post(1, { origin: PARTNER, 'idempotency-key': 'partner-1' });
  assert.equal(cross.status, 201, cross.text);
  assert.equal(cross.headers['access-control-allow-origin'], PARTNER);
  assert.match(cross.headers.vary, /Origin/);
  ids.cross = JSON.parse(cross.text).id;

  const embedded = await post(2, { 'keel-embed-origin': OTHER });
  assert.equal(embedded.status, 201, embedded.text);
  ids.embedded = JSON.parse(embedded.text).id;

  const own = await post(3, {});
  assert.equal(own.status, 201);
  ids.own = JSON.parse(own.text).id;

  const before = count();
  for (const headers of [{ origin: FOREIGN }, { 'keel-embed-origin': FOREIGN }, { origin: 'null' }]) {
    const res = await post(4, headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.equal(JSON.parse(res.text).error, 'forbidden');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  }
  assert.equal(count(), before, 'the refused posts stored nothing');
});

test('the partner origin shows in the admin endpoint and the CLI', async () => {
  const list = await submissions(server);
  const by = Object.fromEntries(list.map((s) => [s.id, s.partner_origin]));
  assert.deepEqual([by[ids.cross], by[ids.embedded], by[ids.own]], [PARTNER, OTHER, null]);

  const lines = cli('list').trim().split('\n');
  assert.match(lines.find((l) => l.startsWith(ids.cross)), /via https:\/\/partner\.example/);
  assert.match(lines.find((l) => l.startsWith(ids.embedded)), /via http:\/\/localhost:3000/);
  assert.doesNotMatch(lines.find((l) => l.startsWith(ids.own)), /via /);
  assert.equal(JSON.parse(cli('show', ids.cross)).partner_origin, PARTNER);

  const csv = cli('export', '--format', 'csv').trim().split('\n');
  assert.match(csv[0], /,partner_origin,source,verdict,reasons$/);
  assert.match(csv.find((l) => l.startsWith(ids.embedded)), new RegExp(`,${OTHER},,(clean|review|spam),`));
  const json = JSON.parse(cli('export', '--format', 'json'));
  assert.equal(json.find((s) => s.id === ids.cross).partner_origin, PARTNER);
});

test('the webhook payload and the email name the partner', async () => {
  await waitFor('three webhooks and three emails', () => hook.received.length >= 3 && smtp.received.length >= 3);
  const payload = hook.received.find((r) => r.body.submission.id === ids.cross).body;
  assert.equal(payload.submission.partner_origin, PARTNER);
  assert.equal(hook.received.find((r) => r.body.submission.id === ids.own).body.submission.partner_origin, null);
  const mail = smtp.received.find((m) => m.data.includes(ids.embedded));
  assert.match(mail.data, /Partner site: http:\/\/localhost:3000/);
  assert.match(smtp.received.find((m) => m.data.includes(ids.own)).data, /Partner site: -/);
});
