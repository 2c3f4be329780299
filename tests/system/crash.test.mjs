// Kill the server with SIGKILL while submissions are in flight, restart it,
// and prove that every submission it acknowledged (201) is stored. Repeated
// over many rounds on one database file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../harness.mjs';
import { ADMIN_TOKEN, contactBody, submissions } from '../sinks.mjs';

const ROUNDS = Number(process.env.KEEL_CRASH_ROUNDS ?? 20);
const CLIENTS = 8;

test(`SIGKILL during intake, ${ROUNDS} rounds: every acknowledged submission survives`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-crash-'));
  const database = join(dir, 'keel.db');
  const env = { KEEL_ADMIN_TOKEN: ADMIN_TOKEN, KEEL_RATE_LIMIT_BURST: '1000000', KEEL_RATE_LIMIT_REFILL_SECONDS: '1', KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE: '1000000', KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '1000000' };
  const acked = new Set();
  let sent = 0;
  let n = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer({ env, database });
      let killed = false;
      const client = async () => {
        while (!killed) {
          const i = n++;
          sent++;
          try {
            const res = await fetch(`${server.url}/api/v1/contact`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'idempotency-key': `crash-${i}` },
              body: contactBody(i),
            });
            if (res.status === 201) acked.add((await res.json()).id);
            else if (!killed) assert.fail(`unexpected ${res.status}: ${await res.text()}`);
          } catch {
            // The connection died with the server: not acknowledged, fine.
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 350));
      killed = true;
      server.proc.kill('SIGKILL');
      await Promise.all(clients);
      await new Promise((r) => server.proc.exitCode !== null || server.proc.signalCode ? r() : server.proc.once('exit', r));
    }
    const server = await startServer({ env, database });
    const stored = new Set((await submissions(server, '?include_handled=true')).map((s) => s.id));
    await server.stop();
    const missing = [...acked].filter((id) => !stored.has(id));
    console.log(`crash test: ${ROUNDS} rounds, ${sent} sent, ${acked.size} acknowledged, ${[...acked].length - missing.length} of them found, ${stored.size} stored in all`);
    assert.ok(acked.size > ROUNDS, 'the load reached the server');
    assert.deepEqual(missing, [], 'acknowledged submissions were lost');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
