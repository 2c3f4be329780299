// dist/ served by Debian's nginx with the configuration the build writes
// (dist/nginx.conf, from keel-site-rules): every route answers as the Keel
// server answers it, with the same status, content type, cache policy, CSP
// and security headers, and each page's CSP allows exactly its inline scripts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { ROOT, startServer } from '../harness.mjs';
import { startNginx as startNginxWith } from '../nginx.mjs';

const DIST = join(ROOT, 'dist');

let nginx;
let server;

/** Raw GET: status, headers and the body's bytes as sent (no decoding). */
function get(base, path, headers = {}) {
  return new Promise((ok, fail) => {
    const req = request(`${base}${path}`, { headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.setTimeout(10000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** nginx serving dist/ with the configuration the build wrote. */
async function startNginx() {
  assert.ok(existsSync(join(DIST, 'nginx.conf')), 'no dist/nginx.conf: run `cargo xtask build`');
  return startNginxWith(`root ${DIST};
    include ${DIST}/nginx.conf;`);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]);
}

/** URL paths of the site's files, without compressed siblings and host configuration. */
const files = () => walk(DIST)
  .map((p) => `/${relative(DIST, p)}`)
  .filter((p) => !p.endsWith('.br') && !p.endsWith('.gz') && p !== '/_headers' && p !== '/nginx.conf');

/** The URLs a page answers at, as the server maps them. */
function pageUrls(file) {
  if (file === '/index.html') return ['/', file];
  if (file.endsWith('/index.html')) {
    const dir = file.slice(0, -'/index.html'.length);
    return [dir, `${dir}/`, file];
  }
  return [file];
}

/** The SHA-256 sources a page's CSP must allow: its inline executable scripts, computed here independently. */
function inlineScriptHashes(html) {
  const out = [];
  for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    const [, attrs, body] = m;
    if (/\ssrc=/.test(attrs) || body.trim() === '' || /application\/(ld\+)?json/.test(attrs)) continue;
    out.push(`'sha256-${createHash('sha256').update(body).digest('base64')}'`);
  }
  return out.sort();
}

const SECURITY = ['x-content-type-options', 'referrer-policy', 'cross-origin-opener-policy'];
const SAME = ['content-type', 'cache-control', 'content-security-policy', 'cross-origin-resource-policy', ...SECURITY];

/** nginx and the Keel server answer `path` the same way. */
async function sameAsServer(path, headers = {}) {
  const [a, b] = await Promise.all([get(nginx.url, path, headers), get(server.url, path, headers)]);
  assert.equal(a.status, b.status, `${path}: status nginx ${a.status}, server ${b.status}`);
  for (const h of SAME) assert.equal(a.headers[h], b.headers[h], `${path}: ${h}`);
  for (const h of SECURITY) assert.ok(a.headers[h], `${path}: ${h} missing`);
  return a;
}

before(async () => {
  nginx = await startNginx();
  server = await startServer();
});
after(async () => {
  await nginx?.stop();
  await server?.stop();
});

test('every page answers 200 at each of its URLs, revalidated, with a CSP allowing exactly its inline scripts', async () => {
  const pages = files().filter((f) => f.endsWith('.html'));
  assert.ok(pages.length >= 5, `pages: ${pages}`);
  for (const file of pages) {
    const html = readFileSync(join(DIST, file), 'utf8');
    for (const url of pageUrls(file)) {
      const res = await sameAsServer(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.body.toString(), html, `${url} serves ${file}`);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
      const scriptSrc = res.headers['content-security-policy'].split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
      const allowed = scriptSrc.split(' ').filter((s) => s.startsWith("'sha256-")).sort();
      assert.deepEqual(allowed, inlineScriptHashes(html), `${url}: CSP hashes`);
      assert.ok(!scriptSrc.includes('unsafe-inline'), url);
    }
  }
});

test('hashed assets are immutable; every other file is served as the server serves it', async () => {
  const hashed = files().filter((f) => /keel-(embed-|playground-)?[0-9a-f]{12,16}(_bg)?\.(js|wasm)$/.test(f));
  assert.equal(hashed.length, 6, `trunk's js and wasm, our site's, the playground's and the embed views': ${hashed}`);
  for (const f of hashed) {
    const res = await sameAsServer(f);
    assert.equal(res.status, 200, f);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', f);
    // A partner page loads them (inline embeds), even under COEP.
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin', f);
    assert.equal(res.headers['access-control-allow-origin'], '*', f);
  }
  assert.equal((await get(nginx.url, hashed.find((f) => f.endsWith('.wasm')))).headers['content-type'], 'application/wasm');
  for (const f of files().filter((f) => !f.endsWith('.html'))) {
    const res = await sameAsServer(f);
    assert.equal(res.status, 200, f);
    assert.ok(res.body.equals(readFileSync(join(DIST, f))), `${f}: bytes`);
  }
  assert.equal((await get(nginx.url, '/feed.xml')).headers['content-type'], 'application/atom+xml; charset=utf-8');
});

test('the images under /media/ are immutable, loadable by partner pages, and sandboxed when opened on their own', async () => {
  const media = files().filter((f) => f.startsWith('/media/'));
  assert.ok(media.some((f) => f.endsWith('.svg')) && media.some((f) => f.endsWith('.avif')), `${media}`);
  for (const f of media) {
    const res = await sameAsServer(f);
    assert.equal(res.status, 200, f);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', f);
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin', f);
    // An SVG opened at its own URL is a document of our origin: it may run
    // nothing and load nothing, whatever slipped past the build's check.
    const csp = res.headers['content-security-policy'];
    assert.match(csp ?? '', /^default-src 'none';.*\bsandbox\b/, `${f}: ${csp}`);
  }
  const svg = media.find((f) => f.endsWith('.svg'));
  assert.equal((await get(nginx.url, svg)).headers['content-type'], 'image/svg+xml');
  assert.equal((await get(nginx.url, media.find((f) => f.endsWith('.avif')))).headers['content-type'], 'image/avif');
  // One location for the folder, not one per file.
  const conf = readFileSync(join(DIST, 'nginx.conf'), 'utf8');
  assert.equal(conf.match(/location[^{]*\/media\//g)?.length, 1, 'locations for /media/');
  const rules = readFileSync(join(DIST, '_headers'), 'utf8').split('\n').filter((l) => l.startsWith('/media/'));
  assert.deepEqual(rules, ['/media/*']);
});

test('API documents: JSON with the API cache policy; a missing one is a JSON 404', async () => {
  const docs = files().filter((f) => f.startsWith('/api/'));
  assert.ok(docs.length > 5, `${docs}`);
  for (const f of docs) {
    const res = await sameAsServer(f);
    assert.equal(res.headers['content-type'], 'application/json', f);
    assert.equal(res.headers['cache-control'], 'public, max-age=60, stale-while-revalidate=600', f);
    // Public documents: a static host cannot compare Origin with the partner list.
    assert.equal(res.headers['access-control-allow-origin'], '*', f);
    JSON.parse(res.body.toString());
  }
  const missing = await sameAsServer('/api/v1/articles/no-such-article.json');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['access-control-allow-origin'], '*');
  assert.equal(JSON.parse(missing.body.toString()).error, 'not_found');
});

test('an unknown page is the 404 page with status 404, its CSP and the security headers', async () => {
  const page = readFileSync(join(DIST, '404.html'), 'utf8');
  for (const path of ['/no/such/page', '/articles/no-such-slug', '/services/nope/']) {
    const res = await sameAsServer(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.toString(), page, `${path}: the 404 page`);
    assert.equal(res.headers['cache-control'], 'no-cache', path);
  }
  // Under /embed/, the embed views' own, which partners may frame.
  const embedPage = readFileSync(join(DIST, 'embed/404.html'), 'utf8');
  const ancestors = (res) => res.headers['content-security-policy'].split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-ancestors'));
  const framed = ancestors(await get(nginx.url, '/embed/contact/'));
  // (`/embed` itself is the partner playground, a page of ours.)
  for (const path of ['/embed/articles/no-such-slug', '/embed/nope/', '/embed/tags/']) {
    const res = await sameAsServer(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.toString(), embedPage, `${path}: the embed views' 404 page`);
    assert.equal(ancestors(res), framed, `${path}: framed as the embed pages are`);
  }
  // The host configuration is not published.
  for (const path of ['/_headers', '/nginx.conf']) {
    assert.equal((await get(nginx.url, path)).status, 404, path);
    assert.equal((await get(server.url, path)).status, 404, path);
  }
});

test('nginx serves no dotfile, but .well-known, as the server loads none', async () => {
  // A stray .env and .git/ beside the site, and a security.txt.
  const root = mkdtempSync(join(tmpdir(), 'keel-dotfiles-'));
  chmodSync(root, 0o755); // nginx's workers may run as another user
  writeFileSync(join(root, '.env'), 'SECRET=1');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), '[core]');
  mkdirSync(join(root, '.well-known'));
  writeFileSync(join(root, '.well-known', 'security.txt'), 'Contact: mailto:security@keel.example');
  const dotted = await startNginxWith(`root ${root};
    include ${DIST}/nginx.conf;`);
  try {
    for (const path of ['/.env', '/.git/config', '/.git/']) {
      const res = await get(dotted.url, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body.toString(), /SECRET|\[core\]/, path);
    }
    const txt = await get(dotted.url, '/.well-known/security.txt');
    assert.equal(txt.status, 200);
    assert.match(txt.body.toString(), /security@keel.example/);
  } finally {
    await dotted.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the precompressed gzip siblings are served as they are (nginx-light has no brotli_static)', async () => {
  const withGz = files().filter((f) => existsSync(join(DIST, `${f}.gz`)));
  assert.ok(withGz.some((f) => f.endsWith('.wasm')) && withGz.some((f) => f.endsWith('.html')), `${withGz}`);
  for (const f of withGz) {
    const res = await get(nginx.url, f, { 'accept-encoding': 'gzip' });
    assert.equal(res.status, 200, f);
    assert.equal(res.headers['content-encoding'], 'gzip', f);
    assert.match(res.headers.vary ?? '', /accept-encoding/i, f);
    assert.ok(res.body.equals(readFileSync(join(DIST, `${f}.gz`))), `${f}: the .gz sibling's bytes`);
  }
  // A page at its clean URL gets its sibling too.
  const home = await get(nginx.url, '/', { 'accept-encoding': 'br, gzip' });
  assert.equal(home.headers['content-encoding'], 'gzip');
  assert.ok(home.body.equals(readFileSync(join(DIST, 'index.html.gz'))));
});
