// A forward HTTP proxy in front of the real server, for the cross-engine
// tests. Each browser is configured (the standard WebDriver `proxy`
// capability) to send every request here, and opens the site at
// http://keel.test/ — a plain-HTTP origin that is not loopback, so the page is
// not a secure context, as on any site served without TLS.
//
// By default it forwards every request to the server untouched. A test can
// ask it to do what a real network does: fail the next requests to one path
// (`fail`), or hold a path until the test lets it through (`hold`). Anything
// for another host is refused, so no browser reaches past this machine.
import http from 'node:http';

export const SITE_HOST = 'keel.test';

/**
 * Start the proxy on a free loopback port, forwarding keel.test to `target`
 * (http://127.0.0.1:port). `hosts` maps other host names to request
 * handlers the test serves itself (a partner's page on its own origin).
 */
export async function startProxy(target, { hosts = {} } = {}) {
  const upstream = new URL(target);
  const failures = []; // { match(path), times, done, status, body }
  const holds = []; // { pattern, waiting: [resume], released, seen }
  const log = [];

  const server = http.createServer(async (req, res) => {
    let url;
    try {
      url = new URL(req.url);
    } catch {
      return refuse(res, 400, `not a proxy request: ${req.url}`);
    }
    if (Object.hasOwn(hosts, url.hostname)) return hosts[url.hostname](req, res);
    if (url.hostname !== SITE_HOST) return refuse(res, 502, `the test proxy only serves ${SITE_HOST}, not ${url.hostname}`);
    log.push(`${req.method} ${url.pathname}`);

    const failure = failures.find((f) => f.times > 0 && f.match(url.pathname));
    if (failure) {
      failure.times -= 1;
      failure.done += 1;
      req.resume();
      res.writeHead(failure.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(failure.body);
    }
    const hold = holds.findLast((h) => !h.released && h.pattern.test(url.pathname));
    if (hold) {
      hold.seen += 1;
      await new Promise((resume) => hold.waiting.push(resume));
    }

    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url.pathname + url.search, headers },
      (answer) => {
        const h = { ...answer.headers };
        // The app's scripts are fetched again on every page load, so that
        // a test can hold them and look at the page before the app starts.
        if (/\.(wasm|js)$/.test(url.pathname)) {
          h['cache-control'] = 'no-store';
          delete h.etag;
        }
        res.writeHead(answer.statusCode, answer.statusMessage, h);
        answer.pipe(res);
      },
    );
    out.on('error', (e) => refuse(res, 502, `upstream: ${e.message}`));
    req.pipe(out);
  });
  // HTTPS through the proxy (CONNECT) is never needed: refuse it.
  server.on('connect', (req, socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();

  return {
    /** host:port, for the WebDriver proxy capability. */
    address: `127.0.0.1:${port}`,
    /** The site as the browser sees it. */
    origin: `http://${SITE_HOST}`,
    log,
    /**
     * The next `times` requests to `path` (a string, or a RegExp for the
     * path) get `status` with a JSON ApiError body, as from a failing CDN or
     * server. `done` counts the requests failed so far.
     */
    fail(path, { times = 1, status = 503, message = 'Down for maintenance.' } = {}) {
      const match = typeof path === 'string' ? (p) => p === path : (p) => path.test(p);
      const f = { match, times, done: 0, status, body: JSON.stringify({ status, error: 'unavailable', message }) };
      failures.push(f);
      return f;
    },
    /** Hold every request whose path matches until `release()`; `seen()` counts the held requests. */
    hold(pattern) {
      const h = { pattern, waiting: [], released: false, seen: 0 };
      holds.push(h);
      return {
        seen: () => h.seen,
        release() {
          h.released = true;
          for (const resume of h.waiting.splice(0)) resume();
        },
      };
    },
    async stop() {
      for (const h of holds) { h.released = true; for (const resume of h.waiting.splice(0)) resume(); }
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function refuse(res, status, message) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status, error: 'proxy', message }));
}
