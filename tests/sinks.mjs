// Notification targets for the tests: an HTTP webhook sink and a minimal SMTP
// sink. Each can be started on a port that was chosen while nothing listened
// on it, so a test can have the target down first and up later.
import http from 'node:http';
import net from 'node:net';

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

export async function webhookSink(port) {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { received, close: () => new Promise((r) => server.close(r)) };
}

/**
 * A webhook that has moved: a request gets a redirect to /moved, which
 * answers 200 (so a client that follows it would see success). Every
 * request is recorded.
 */
export async function redirectSink(port, status = 302) {
  const requests = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url });
      if (req.url === '/moved') res.writeHead(200).end('ok');
      else res.writeHead(status, { location: `http://127.0.0.1:${port}/moved` }).end();
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { requests, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Just enough SMTP for one client: greeting, EHLO, MAIL, RCPT, DATA, QUIT.
 * While `sink.rejectRcpt` holds a reply (e.g. '550 5.1.1 no such user'),
 * RCPT gets it instead of 250.
 */
export async function smtpSink(port, { rejectRcpt = null } = {}) {
  const received = [];
  const sink = { received, rejectRcpt };
  const server = net.createServer((sock) => {
    let buf = '';
    let data = null;
    const msg = { from: '', to: [], data: '' };
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data !== null) {
          if (line === '.') { msg.data = data; received.push({ ...msg }); data = null; sock.write('250 2.0.0 queued\r\n'); }
          else data += (line.startsWith('..') ? line.slice(1) : line) + '\n';
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-sink\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') sock.write('250 sink\r\n');
        else if (verb === 'MAIL') { msg.from = line; sock.write('250 2.1.0 ok\r\n'); }
        else if (verb === 'RCPT' && sink.rejectRcpt) sock.write(`${sink.rejectRcpt}\r\n`);
        else if (verb === 'RCPT') { msg.to.push(line); sock.write('250 2.1.5 ok\r\n'); }
        else if (verb === 'DATA') { data = ''; sock.write('354 go ahead\r\n'); }
        else if (verb === 'QUIT') { sock.end('221 bye\r\n'); }
        else if (verb === 'RSET' || verb === 'NOOP') sock.write('250 ok\r\n');
        else sock.write('502 not implemented\r\n');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  sink.close = () => new Promise((r) => server.close(r));
  return sink;
}

export async function waitFor(what, fn, { timeout = 20000, every = 100 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function submissions(server, query = '') {
  const res = await fetch(`${server.url}/api/v1/admin/submissions${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status !== 200) throw new Error(`admin list: ${res.status} ${await res.text()}`);
  return res.json();
}

export function contactBody(i = 0) {
  return JSON.stringify({
    name: `Visitor ${i} Ødegård`,
    email: `visitor${i}@example.com`,
    company: null,
    budget: 'not_sure',
    message: `Submission number ${i}: we need help with our backend.`,
    consent: true,
  });
}

/**
 * A proof of work for a contact POST to `server`, solved as the site's own
 * script solves it: the `keel-challenge` header's value.
 */
export async function proofOfWork(server) {
  const { createHash } = await import('node:crypto');
  const c = await (await fetch(`${server.url}/api/v1/contact/challenge`)).json();
  for (let n = 0; n <= c.maxnumber; n++) {
    if (createHash('sha256').update(`${c.salt}${n}`).digest('hex') === c.challenge) {
      const { algorithm, challenge, salt, signature } = c;
      return Buffer.from(JSON.stringify({ algorithm, challenge, number: n, salt, signature })).toString('base64');
    }
  }
  throw new Error('the challenge has no solution');
}
