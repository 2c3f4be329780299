// Backups that restore: `submissions backup FILE` copies a SQLite store while
// the server takes requests, and a server started on the copy holds every
// request acknowledged before the backup began. Also `submissions forget`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVER_BIN, startServer } from '../harness.mjs';

const run = promisify(execFile);
const UNLIMITED = { KEEL_RATE_LIMIT_BURST: '100000', KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE: '100000', KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE: '100000' };
const exported = (db) => JSON.parse(execFileSync(SERVER_BIN, ['submissions', '--database', db, 'export', '--format', 'json', '--spam'], { encoding: 'utf8' }));

async function send(server, name, email = 'load@example.com') {
  const res = await fetch(`${server.url}/api/v1/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email, message: `A request under load from ${name}.`, consent: true }),
  });
  return res.status === 201 ? (await res.json()).id : null;
}

test('a backup taken under load restores to a store a server starts on, with every request acknowledged before it began', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-backup-'));
  const db = join(dir, 'keel.db');
  const copy = join(dir, 'backup.db');
  const server = await startServer({ database: db, env: UNLIMITED });
  let restored;
  try {
    // Four clients post without pause until told to stop; each 201 is noted
    // with the time its answer arrived.
    const acked = [];
    let stop = false;
    const clients = [0, 1, 2, 3].map(async (c) => {
      for (let i = 0; !stop && i < 2000; i++) {
        const id = await send(server, `Client ${c} request ${i}`);
        if (id) acked.push({ id, at: Date.now() });
      }
    });
    while (acked.length < 100) await new Promise((r) => setTimeout(r, 20));
    const began = Date.now();
    const { stdout } = await run(SERVER_BIN, ['submissions', '--database', db, 'backup', copy]);
    const during = acked.filter((a) => a.at >= began).length;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    const m = stdout.match(/Backed up (\d+) request\(s\) into .* \((\d+) bytes\) in (\d+) ms\./);
    assert.ok(m, stdout);
    const before = acked.filter((a) => a.at < began);
    console.log(`backup under load: ${m[1]} rows, ${m[2]} bytes, ${m[3]} ms; ${before.length} acknowledged before it began, ${during} while it ran, ${acked.length} in all`);
    assert.equal(statSync(copy).mode & 0o777, 0o600, 'the copy is private');
    // Restore: a server starts on the copy, which holds every request
    // acknowledged before the backup began, and takes new ones.
    restored = await startServer({ database: copy, env: UNLIMITED });
    const ids = new Set(exported(copy).map((s) => s.id));
    const missing = before.filter((a) => !ids.has(a.id));
    assert.deepEqual(missing, [], 'acknowledged before the backup, missing from it');
    assert.ok(ids.size >= before.length && ids.size === Number(m[1]), `${ids.size} rows, ${m[1]} reported`);
    assert.ok(await send(restored, 'After the restore'), 'the restored store takes requests');
    // Never over an existing file.
    await assert.rejects(run(SERVER_BIN, ['submissions', '--database', db, 'backup', copy]), /exists: back up into a new file/);
  } finally {
    await restored?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`submissions forget` erases every request of one address, says how many, and logs no address', async () => {
  const server = await startServer({ env: UNLIMITED });
  try {
    for (const [name, email] of [['Grace One', 'grace@hopper.example'], ['Grace Two', 'GRACE@hopper.example'], ['Other', 'other@example.com']]) {
      assert.ok(await send(server, name, email));
    }
    const forget = (email) => run(SERVER_BIN, ['submissions', '--database', server.db, 'forget', email], { env: { ...process.env, RUST_LOG: 'keel_server=info' } });
    const { stdout, stderr } = await forget('grace@hopper.example');
    assert.match(stdout, /^Erased 2 request\(s\) from grace@hopper\.example and their notifications\.$/m);
    assert.match(stderr, /erased=2/);
    assert.doesNotMatch(stderr, /hopper/, 'the log names no address');
    assert.match((await forget('grace@hopper.example')).stdout, /No requests from grace@hopper\.example\./);
    assert.deepEqual(exported(server.db).map((s) => s.name), ['Other']);
  } finally {
    await server.stop();
  }
});
