/**
 * Noticing silence: `notify.pingUrl` through the real binary against a local HTTP server:
 * `/start` when a run starts, the URL itself on success and `/fail` on failure, each with
 * the summary line as body; an unreachable ping service never fails the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { runCli } from './helpers/run-cli.js';
import { localWorld } from './helpers/local-world.js';

interface Ping {
  method: string;
  path: string;
  body: string;
}

async function startPingServer(): Promise<{ pings: Ping[]; url: string; close: () => Promise<void> }> {
  const pings: Ping[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      pings.push({ method: req.method ?? '', path: req.url ?? '', body });
      res.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { pings, url: `http://127.0.0.1:${port}/ping/3f2a`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('a successful run pings /start, then the URL with the summary line as body', async (t) => {
  const ping = await startPingServer();
  t.after(ping.close);
  const w = localWorld({ notify: { pingUrl: ping.url } });
  t.after(w.done);
  const r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(ping.pings.length, 2, JSON.stringify(ping.pings));
  assert.deepEqual([ping.pings[0].method, ping.pings[0].path], ['GET', '/ping/3f2a/start']);
  assert.deepEqual([ping.pings[1].method, ping.pings[1].path], ['POST', '/ping/3f2a']);
  assert.match(ping.pings[1].body, /^run #1 ok: level 0 \(full\)/);
  assert.equal((await w.cli('run', '--dry-run')).code, 0);
  assert.equal(ping.pings.length, 2, 'a dry run does not ping');
});

test('a failed run pings /fail with the summary line naming the failure', async (t) => {
  const ping = await startPingServer();
  t.after(ping.close);
  const w = localWorld({ notify: { pingUrl: ping.url }, vault: { name: 'v', endpoint: `http://127.0.0.1:${await closedPort()}`, maxRetries: 0, uploadCatalog: false } });
  t.after(w.done);
  const r = await runCli(['run', '--config', w.config], { env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' } });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(ping.pings.map((p) => `${p.method} ${p.path}`), ['GET /ping/3f2a/start', 'POST /ping/3f2a/fail']);
  assert.match(ping.pings[1].body, /^run #1 FAILED: .*/);
});

test('an unreachable ping service never fails the run: a warning names the host, not the secret path', async (t) => {
  const w = localWorld({ notify: { pingUrl: `http://127.0.0.1:${await closedPort()}/ping/secret-uuid` } });
  t.after(w.done);
  const r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ping start to 127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  assert.ok(!r.stderr.includes('secret-uuid') && !r.stdout.includes('secret-uuid'));
});
