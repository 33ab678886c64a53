/**
 * The run lock between real processes: contention, release on exit, and safe takeover of
 * a stale lock left by a dead process (including two processes racing for it).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireRunLock } from '../src/state/run-lock.js';
import { isBackupError } from '../src/errors.js';

/** Contenders still running; killed after each test so a failed assertion cannot leave them holding the lock. */
const live = new Set<ChildProcess>();
afterEach(() => {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
});

const lockModule = pathToFileURL(join(import.meta.dirname, '..', 'src', 'state', 'run-lock.ts')).href;

/**
 * A child that loads the lock module, prints READY, waits for a line on stdin (so several
 * contenders start at the same moment), tries to take the lock, prints ACQUIRED or
 * LOCKED <message>, and holds the lock until its stdin ends.
 */
function contender(stateDir: string, command: string): Contender {
  const script = `
    const { acquireRunLock } = await import(${JSON.stringify(lockModule)});
    process.stdout.write('READY\\n');
    await new Promise((go) => process.stdin.once('data', go));
    try {
      await acquireRunLock(${JSON.stringify(stateDir)}, ${JSON.stringify(command)});
      process.stdout.write('ACQUIRED\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    } catch (err) {
      process.stdout.write((err.code === 'LOCKED' ? 'LOCKED ' : 'ERROR ') + err.message + '\\n');
      process.exit(0);
    }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  const exited = once(child, 'exit').finally(() => live.delete(child));
  let out = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const line = (n: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => (lines.length > n ? resolve(lines[n]) : waiters.push(check));
      check();
      child.once('exit', (code) => reject(new Error(`contender exited (${code}) after: ${lines.join(' / ')}`)));
    });
  const outcome = line(0).then(() => line(1));
  return { child, ready: line(0).then(() => undefined), outcome, exited };
}

interface Contender {
  child: ChildProcess;
  ready: Promise<void>;
  /** The second line: ACQUIRED or LOCKED …, once started. */
  outcome: Promise<string>;
  exited: Promise<unknown>;
}

/** Starts the contenders' attempts at the same moment and returns their outcomes. */
async function race(...cs: Contender[]): Promise<string[]> {
  await Promise.all(cs.map((c) => c.ready));
  for (const c of cs) c.child.stdin!.write('go\n');
  return Promise.all(cs.map((c) => c.outcome));
}

async function finish(...cs: Contender[]): Promise<void> {
  for (const c of cs) c.child.stdin!.end();
  await Promise.all(cs.map((c) => c.exited));
}

async function withStateDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'backup-lock-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const pid = child.pid!;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  return pid;
}

async function bootId(): Promise<string | undefined> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || undefined;
}

async function forgeLock(stateDir: string, fields: Record<string, unknown>): Promise<string> {
  const path = join(stateDir, 'lock');
  await writeFile(path, JSON.stringify({ hostname: hostname(), bootId: await bootId(), startedAt: '2026-11-23T02:30:00.000Z', command: 'run', token: 'forged', ...fields }));
  return path;
}

test('a second process is refused with the holder named while the first holds the lock', async () => {
  await withStateDir(async (dir) => {
    const a = contender(dir, 'run');
    const b = contender(dir, 'prune');
    assert.deepEqual(await race(a), ['ACQUIRED']);
    const [refused] = await race(b);
    assert.match(refused, /^LOCKED another backup run \(PID \d+, "run", started \d{4}-\d\d-\d\dT[\d:.]+Z\) holds .*\/lock; wait for it to finish$/);
    assert.ok(refused.includes(`PID ${a.child.pid},`), refused);
    await finish(a, b);
    assert.equal(existsSync(join(dir, 'lock')), false, 'the lock is gone once its holder exits');
    const c = contender(dir, 'run');
    assert.deepEqual(await race(c), ['ACQUIRED']);
    await finish(c);
  });
});

test('of two processes starting together exactly one takes the lock', async () => {
  await withStateDir(async (dir) => {
    for (let round = 0; round < 2; round++) {
      const cs = [contender(dir, 'run'), contender(dir, 'run')];
      const outcomes = await race(...cs);
      assert.equal(outcomes.filter((o) => o === 'ACQUIRED').length, 1, outcomes.join(' | '));
      assert.equal(outcomes.filter((o) => o.startsWith('LOCKED ')).length, 1, outcomes.join(' | '));
      await finish(...cs);
    }
  });
});

test('a stale lock from a dead process is taken over', async () => {
  await withStateDir(async (dir) => {
    const pid = await deadPid();
    const path = await forgeLock(dir, { pid });
    const lock = await acquireRunLock(dir, 'run');
    const now = JSON.parse(await readFile(path, 'utf8')) as { pid: number; command: string };
    assert.equal(now.pid, process.pid);
    assert.equal(now.command, 'run');
    await lock.release();
    assert.equal(existsSync(path), false);
    assert.deepEqual(await readdir(dir), [], 'no temp or guard files are left behind');
  });
});

test('two processes racing to take over the same stale lock never both win', async () => {
  await withStateDir(async (dir) => {
    const pid = await deadPid();
    for (let round = 0; round < 3; round++) {
      await forgeLock(dir, { pid });
      const cs = [contender(dir, 'run'), contender(dir, 'run')];
      const outcomes = await race(...cs);
      const winners = cs.filter((_, i) => outcomes[i] === 'ACQUIRED');
      assert.equal(winners.length, 1, outcomes.join(' | '));
      const loser = outcomes.find((o) => o !== 'ACQUIRED')!;
      assert.ok(loser.startsWith(`LOCKED another backup run (PID ${winners[0].child.pid},`), loser);
      const held = JSON.parse(await readFile(join(dir, 'lock'), 'utf8')) as { pid: number };
      assert.equal(held.pid, winners[0].child.pid);
      await finish(...cs);
      assert.equal(existsSync(join(dir, 'lock')), false);
      assert.equal(existsSync(join(dir, 'lock.takeover')), false);
    }
  });
});

test('many concurrent takeovers of one stale lock in one process: exactly one wins each time', async () => {
  await withStateDir(async (dir) => {
    const pid = await deadPid();
    for (let round = 0; round < 20; round++) {
      await forgeLock(dir, { pid });
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => acquireRunLock(dir, 'run')));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isBackupError(r.reason, 'LOCKED'), String(r.reason));
      await won[0].value.release();
      assert.deepEqual(await readdir(dir), []);
    }
  });
});

test('release is idempotent and leaves a lock that is no longer ours', async () => {
  await withStateDir(async (dir) => {
    const lock = await acquireRunLock(dir, 'run');
    await lock.release();
    await lock.release();
    assert.equal(existsSync(lock.path), false);

    const again = await acquireRunLock(dir, 'run');
    // someone took it over (we were presumed dead): our release must not remove theirs
    await forgeLockOver(dir, { pid: process.pid, token: 'theirs' });
    await again.release();
    assert.equal(JSON.parse(await readFile(again.path, 'utf8')).token, 'theirs');
  });
});

async function forgeLockOver(dir: string, fields: Record<string, unknown>): Promise<void> {
  await rm(join(dir, 'lock'));
  await forgeLock(dir, fields);
}

test('a lock taken in this process refuses a second acquire until released', async () => {
  await withStateDir(async (dir) => {
    const lock = await acquireRunLock(dir, 'run');
    await assert.rejects(acquireRunLock(dir, 'prune'), (err) => isBackupError(err, 'LOCKED') && err.message.includes(`PID ${process.pid},`));
    await lock.release();
    await (await acquireRunLock(dir, 'prune')).release();
  });
});

test('the lock is released when the holding process exits without releasing it', async () => {
  await withStateDir(async (dir) => {
    const script = `const { acquireRunLock } = await import(${JSON.stringify(lockModule)}); await acquireRunLock(${JSON.stringify(dir)}, 'run');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.equal(existsSync(join(dir, 'lock')), false);
  });
});

test('a lock held on another host is never taken over', async () => {
  await withStateDir(async (dir) => {
    await forgeLock(dir, { pid: 1, hostname: 'elsewhere.example', bootId: 'x' });
    await assert.rejects(acquireRunLock(dir, 'run'), (err) =>
      isBackupError(err, 'LOCKED') && /\(PID 1 on host elsewhere\.example, "run", started 2026-11-23T02:30:00\.000Z\).*delete .*lock if that run is gone/.test(err.message));
  });
});

test('a lock taken before the last reboot is stale even if its pid is in use now', async (t) => {
  if (!(await bootId())) return t.skip('no boot id on this system');
  await withStateDir(async (dir) => {
    await forgeLock(dir, { pid: process.ppid, bootId: '00000000-0000-0000-0000-000000000000' });
    await (await acquireRunLock(dir, 'run')).release();
  });
});

test('an unreadable lock file is respected while young and taken over once old', async () => {
  await withStateDir(async (dir) => {
    const path = join(dir, 'lock');
    await writeFile(path, '{"pid": 12');
    await assert.rejects(acquireRunLock(dir, 'run'), (err) => isBackupError(err, 'LOCKED') && err.message.includes('is starting'));
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await (await acquireRunLock(dir, 'run')).release();
  });
});

test('an abandoned takeover guard does not block a takeover for ever', async () => {
  await withStateDir(async (dir) => {
    const pid = await deadPid();
    await forgeLock(dir, { pid });
    await writeFile(join(dir, 'lock.takeover'), JSON.stringify({ pid, hostname: hostname(), at: '2026-11-23T02:30:00.000Z' }));
    await (await acquireRunLock(dir, 'run')).release();
    assert.equal(existsSync(join(dir, 'lock.takeover')), false);
  });
});
