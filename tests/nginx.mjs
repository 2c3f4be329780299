// Debian's nginx for the tests that serve the site through it
// (system/nginx.test.mjs, system/deploy.test.mjs): in the foreground, one
// process as the current user, on a loopback port, everything it writes in a
// temp dir that `stop()` removes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync);

/** A loopback port free now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function listening(port) {
  return new Promise((ok) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); ok(true); });
    c.on('error', () => ok(false));
  });
}

/** Start nginx with `server` (the inside of its one `server { }` block) on `port` (or a free one). */
export async function startNginx(server, { port } = {}) {
  if (!NGINX) throw new Error('nginx is not installed: run `cargo xtask setup` (Debian package nginx-light)');
  const dir = mkdtempSync(join(tmpdir(), 'keel-nginx-'));
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t));
  port ??= await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    ${server}
  }
}
`);
  const proc = spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const log = () => { try { return readFileSync(join(dir, 'error.log'), 'utf8'); } catch { return ''; } };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => proc.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    if (await listening(port)) return { url: `http://127.0.0.1:${port}`, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  const why = `nginx did not start:\n${output}\n${log()}`;
  await stop();
  throw new Error(why);
}
