// The hostile partner page (tests/fixtures/partner/) that embeds Keel's
// widgets, for the embed tests in Chromium (browser/embed.test.mjs) and in
// every engine (engines/). It is served on an origin of its own, under the
// CSP docs/embedding.md gives a partner, and nothing more.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SEED_SLUG } from './harness.mjs';

const FIXTURE = join(ROOT, 'tests/fixtures/partner');
/** The tag the page's tag widget shows. */
export const PARTNER_TAG = 'teams';

/** The CSP docs/embedding.md gives a partner for both modes, and its own page's needs. */
export function partnerCsp(keelOrigin, self) {
  return [
    "default-src 'none'",
    `script-src ${self} ${keelOrigin} 'wasm-unsafe-eval'`,
    `style-src ${self}`,
    `img-src ${self} ${keelOrigin}`,
    `connect-src ${keelOrigin}`,
    `frame-src ${keelOrigin}`,
    'base-uri https://elsewhere.invalid',
  ].join('; ');
}

/** A request handler serving the partner's page at `self`, embedding Keel from `keelOrigin`. */
/** `isolation`: the page's `Cross-Origin-Embedder-Policy` (`require-corp`,
 * `credentialless`), with `Cross-Origin-Opener-Policy: same-origin`, so
 * that it is cross-origin isolated; none by default. */
export function partnerHandler({ self, keelOrigin, isolation }) {
  return (req, res) => {
    const path = new URL(req.url, self).pathname;
    const file = path === '/' ? 'index.html' : path.slice(1);
    if (file === 'favicon.ico') { res.writeHead(204); res.end(); return; }
    if (!['index.html', 'host.css', 'router.js'].includes(file)) { res.writeHead(404); res.end(); return; }
    const type = { html: 'text/html', css: 'text/css', js: 'text/javascript' }[file.split('.').pop()];
    const body = readFileSync(join(FIXTURE, file), 'utf8')
      .replaceAll('{{HOST}}', self).replaceAll('{{KEEL}}', keelOrigin)
      .replaceAll('{{SLUG}}', SEED_SLUG).replaceAll('{{TAG}}', PARTNER_TAG);
    const isolated = isolation ? { 'cross-origin-embedder-policy': isolation, 'cross-origin-opener-policy': 'same-origin' } : {};
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'content-security-policy': partnerCsp(keelOrigin, self), 'cache-control': 'no-store', ...isolated });
    res.end(body);
  };
}
