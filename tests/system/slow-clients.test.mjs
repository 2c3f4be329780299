// Clients that hold connections: hundreds of sockets that each send half a
// request line and then nothing, against the real server under a low
// open-file limit. The site must keep answering everyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer } from '../harness.mjs';
import { contactBody } from '../sinks.mjs';

const OPEN_FILES = 256;
const HELD = 600;

function holdHalfOpen(url) {
  const { hostname, port } = new URL(url);
  return new Promise((ok) => {
    const s = connect({ host: hostname, port: Number(port) }, () => {
      s.write('GET / HTTP/1.1\r\nHost: ke');
      ok(s);
    });
    // Refused or reset once the server sheds it: that is the server's right.
    s.on('error', () => ok(s));
    // A full accept queue leaves the connect pending: do not wait for it.
    setTimeout(() => ok(s), 2000).unref();
  });
}

async function timed(promise) {
  const t0 = performance.now();
  const value = await promise;
  return [value, Math.round(performance.now() - t0)];
}

test(`${HELD} half-open connections under a ${OPEN_FILES}-file limit do not take the site down`, { timeout: 120_000 }, async () => {
  const server = await startServer({ openFiles: OPEN_FILES });
  const held = [];
  try {
    // In batches, as a real flood would arrive.
    for (let i = 0; i < HELD; i += 50) {
      held.push(...await Promise.all(Array.from({ length: 50 }, () => holdHalfOpen(server.url))));
    }
    const [page, pageMs] = await timed(fetch(`${server.url}/`, { signal: AbortSignal.timeout(5000) }));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/);
    const [post, postMs] = await timed(fetch(`${server.url}/api/v1/contact`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'slow-clients-1' },
      body: contactBody(1),
      signal: AbortSignal.timeout(5000),
    }));
    assert.equal(post.status, 201, await post.text());
    const alive = held.filter((s) => !s.destroyed && s.readyState === 'open').length;
    console.log(`held ${HELD} half-open sockets (${alive} still open at the end) under nofile=${OPEN_FILES}: GET / in ${pageMs} ms, contact POST in ${postMs} ms`);
  } finally {
    for (const s of held) s.destroy();
    await server.stop();
  }
});
