/**
 * Running unattended, through the real binary: a cron-like bare environment, exit codes,
 * run logs, the lock between two real processes, email run logs every N runs and at once
 * on warnings (against a real SMTP server), the crontab line, and the daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { BIN, runCli } from './helpers/run-cli.js';
import { makeUnexaminable } from './helpers/scan-warning.js';
import { startOffsite } from './helpers/offsite.js';

function world(extra: Record<string, unknown> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'backup-unattended-'));
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'a.txt'), 'hello\n');
  const stateDir = join(root, 'state');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'nightly', stateDir, ...extra }));
  return { root, data, stateDir, config, done: () => execFileSync('rm', ['-rf', root]) };
}

test('under cron (env -i, no TTY, no stdin) a run prints plain timestamped lines and writes a run log', (t) => {
  const w = world();
  t.after(w.done);
  const out = execFileSync('env', ['-i', `HOME=${w.root}`, 'PATH=/usr/bin:/bin', process.execPath, BIN, 'run', '--config', w.config], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = out.trim().split('\n');
  assert.ok(lines.length >= 2, out);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /, `plain timestamped line: ${l}`);
  assert.ok(!out.includes('\x1b['), 'no terminal escape codes');
  const logs = readdirSync(join(w.stateDir, 'logs'));
  assert.equal(logs.filter((f) => f.endsWith('.log')).length, 1);
});

test('an entry the scan cannot examine makes the run complete with warnings: exit code 3, named in the log', async (t) => {
  const w = world();
  t.after(w.done);
  makeUnexaminable(w.data);
  const r = await runCli(['run', '--config', w.config]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout + r.stderr, /deep\/n+/);
  const status = JSON.parse((await runCli(['status', '--json', '--config', w.config])).stdout) as { lastRun: { status: string; warnings: string[] } };
  assert.equal(status.lastRun.status, 'warnings');
  assert.ok(status.lastRun.warnings.some((x) => x.includes('deep/')));
});

test('a second run while one holds the lock exits 5 naming the holder; the lock frees when it ends', async (t) => {
  const o = await startOffsite({ archive: { keepLocalCopy: false }, vault: { uploadCatalog: false, concurrency: 1 }, faults: [{ operation: 'UploadMultipartPart', kind: 'delay', rate: 1, delayMs: 300 }] });
  t.after(() => o.close());
  writeFileSync(join(o.data, 'big.bin'), randomBytes(6 * 1024 * 1024));
  assert.equal((await o.cli('vault', 'create')).code, 0);
  const first = spawn(process.execPath, [BIN, 'run', '--config', o.config], { env: { ...process.env, ...o.env }, stdio: 'ignore' });
  const firstDone = new Promise<number | null>((r) => first.on('close', r));
  // wait until the first run holds the lock (its upload then takes seconds: slow parts)
  for (let i = 0; i < 600 && !existsSync(join(o.stateDir, 'lock')); i++) await sleep(50);
  assert.ok(existsSync(join(o.stateDir, 'lock')), 'the first run took the lock');
  const second = await o.cli('run');
  assert.equal(second.code, 5, second.stderr);
  assert.match(second.stderr, new RegExp(`PID ${first.pid}`));
  assert.equal(await firstDone, 0);
  assert.equal((await o.cli('run')).code, 0, 'the lock was released');
});

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

async function smtpServer(opts: { fail?: () => boolean } = {}) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _s, cb) {
      if (auth.username === 'backup' && auth.password === 'pw') cb(null, { user: 'backup' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('utf8')));
      stream.on('end', () => {
        if (opts.fail?.()) return cb(new Error('mailbox unavailable'));
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as { port: number }).port;
  return { mails, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('run logs are emailed every N runs and at once on warnings; a failed send never fails the backup', async (t) => {
  let failing = false;
  const smtp = await smtpServer({ fail: () => failing });
  t.after(() => smtp.close());
  const w = world({ email: { to: 'admin@example.org', from: 'backup@example.org', every: 2, onFailure: true, smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: 'backup', passwordEnv: 'SMTP_PW', allowPlaintextAuth: true } } });
  t.after(w.done);
  const env = { SMTP_PW: 'pw' };
  const run = () => runCli(['run', '--config', w.config], { env });

  assert.equal((await run()).code, 0);
  assert.equal(smtp.mails.length, 0, 'no mail after the first of every 2 runs');
  writeFileSync(join(w.data, 'b.txt'), 'more\n');
  assert.equal((await run()).code, 0);
  assert.equal(smtp.mails.length, 1, 'one mail after 2 runs');
  const m = smtp.mails[0];
  assert.deepEqual(m.to, ['admin@example.org']);
  assert.match(m.raw, /^Subject: .*nightly.*/m);
  assert.match(m.raw, /ok/i);
  assert.match(m.raw, /Content-Disposition: attachment/);
  assert.equal((m.raw.match(/Content-Disposition: attachment/g) ?? []).length, 2, 'both run logs attached');

  // warnings: mailed at once
  makeUnexaminable(w.data);
  assert.equal((await run()).code, 3);
  assert.equal(smtp.mails.length, 2);
  assert.match(smtp.mails[1].raw, /warning/i);
  assert.match(smtp.mails[1].raw, /deep\/n+/);

  // the SMTP server refuses: the run still succeeds, and the next run sends the backlog
  failing = true;
  const r = await run();
  assert.equal(r.code, 3, 'still exit 3 because of the unexaminable entry, not because of the mail');
  assert.match(r.stdout + r.stderr, /email not sent/);
  failing = false;
  await run();
  assert.equal(smtp.mails.length, 3);
  assert.match(smtp.mails[2].raw, /deep\/n+/);
});

test('backup email test reports the SMTP outcome in one line, and a wrong password as an error', async (t) => {
  const smtp = await smtpServer();
  t.after(() => smtp.close());
  const w = world({ email: { to: 'admin@example.org', from: 'backup@example.org', smtp: { host: '127.0.0.1', port: smtp.port, user: 'backup', passwordEnv: 'SMTP_PW', allowPlaintextAuth: true } } });
  t.after(w.done);
  const ok = await runCli(['email', 'test', '--config', w.config], { env: { SMTP_PW: 'pw' } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split('\n').length, 1);
  assert.match(ok.stdout, /admin@example\.org/);
  const bad = await runCli(['email', 'test', '--config', w.config], { env: { SMTP_PW: 'nope' } });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^backup: .*(auth|Invalid username)/im);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('schedule print gives a crontab line with absolute paths', async (t) => {
  const w = world({ schedule: '15 3 * * *' });
  t.after(w.done);
  const r = await runCli(['schedule', 'print', '--config', w.config]);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.trim();
  assert.match(line, /^15 3 \* \* \* /);
  assert.ok(line.includes(process.execPath) && line.includes(BIN) && line.includes(w.config), line);
});

test('the daemon runs on schedule without overlapping and stops cleanly on SIGTERM', async (t) => {
  const w = world({ schedule: '*/2 * * * * *' });
  t.after(w.done);
  const child = spawn(process.execPath, [BIN, 'daemon', '--config', w.config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  for (let i = 0; i < 100 && (out.match(/archive \d+ written/g) ?? []).length < 2; i++) await sleep(100);
  child.kill('SIGTERM');
  assert.equal(await closed, 0, out);
  assert.ok((out.match(/archive \d+ written/g) ?? []).length >= 2, out);
  assert.match(out, /daemon stopped/);
  const runs = JSON.parse((await runCli(['list', '--json', '--config', w.config])).stdout).archives.length;
  assert.ok(runs >= 2);
});
