// The operator's CLI against the database a running server writes to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SERVER_BIN, startServer } from '../harness.mjs';
import { contactBody } from '../sinks.mjs';

let server;
const ids = [];
before(async () => {
  server = await startServer();
  for (const [i, extra] of [[1, {}], [2, { company: 'Acme, "Quoted" & Co', message: '=HYPERLINK("http://evil.example") is a formula, not a message.' }], [3, { website: 'spam' }]]) {
    const body = { ...JSON.parse(contactBody(i)), ...extra };
    const res = await fetch(`${server.url}/api/v1/contact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201);
    ids.push((await res.json()).id);
  }
});
after(async () => server?.stop());

const cli = (...args) => execFileSync(SERVER_BIN, ['submissions', '--database', server.db, ...args], { encoding: 'utf8' });

test('list shows real submissions newest first, spam only on request', () => {
  const lines = cli('list').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith(ids[1]) && lines[1].startsWith(ids[0]));
  assert.match(lines[0], /Visitor 2 Ødegård <visitor2@example.com>/);
  assert.match(lines[0], /no notification configured/);
  assert.equal(cli('list', '--spam').trim().split('\n').length, 3);
});

test('show prints one submission with its delivery state', () => {
  const s = JSON.parse(cli('show', ids[0]));
  assert.equal(s.id, ids[0]);
  assert.equal(s.name, 'Visitor 1 Ødegård');
  assert.deepEqual(s.deliveries, []);
  assert.throws(() => cli('show', 'nope'), /no submission nope/);
});

test('export as JSON and as CSV that a spreadsheet cannot turn into a formula', () => {
  const json = JSON.parse(cli('export', '--format', 'json'));
  assert.equal(json.length, 2);
  const csv = cli('export', '--format', 'csv');
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], 'id,created_at,name,email,company,budget,message,consent,spam,handled_at,partner_origin,source,verdict,reasons');
  assert.ok(csv.includes('"Acme, ""Quoted"" & Co"'), 'quoting');
  assert.ok(csv.includes(`"'=HYPERLINK(""http://evil.example"") is a formula, not a message."`), 'formula neutralised');
});

test('handle hides a submission from the default list; delete erases it', async () => {
  assert.match(cli('handle', ids[0]), /Marked .* handled/);
  assert.equal(cli('list').trim().split('\n').length, 1);
  assert.match(cli('list', '--all'), /handled/);
  assert.match(cli('delete', ids[0]), /Deleted/);
  assert.doesNotMatch(cli('list', '--all'), new RegExp(ids[0]));
  assert.throws(() => cli('delete', ids[0]), /no submission/);
});
