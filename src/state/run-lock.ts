/**
 * The run lock: one file, `stateDir/lock`, that stops two runs from working on the same
 * state at once (cron plus a manual `backup run --full`).
 *
 * Taking it: the holder's details (pid, host, boot id, start time, command, a random
 * token) go into a private temp file created with O_EXCL, which is then hard-linked to
 * `lock`. link() fails with EEXIST when the lock exists, so exactly one process wins and
 * the lock never exists half-written. (On file systems without hard links the lock is
 * created directly with O_EXCL.)
 *
 * A stale lock (its pid is dead on this host, or it was taken before the last reboot) is
 * taken over under a second O_EXCL file, `lock.takeover`: only the process holding it may
 * replace a stale lock, and it does so with one rename() after checking the lock file is
 * still the same inode it judged stale. Two processes racing for the same stale lock
 * therefore never both win: the loser finds the winner's live lock and gets LOCKED.
 * A lock held on another host (shared state directory) is never taken over.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError, fromSystemError } from '../errors.js';

/** What the lock file records about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** Linux boot id when available: a lock from before a reboot is stale whatever its pid. */
  bootId?: string;
  startedAt: string;
  /** The command holding it, e.g. "run" or "prune". */
  command: string;
  /** Random; tells our lock from a later one with the same pid. */
  token: string;
}

/**
 * A held run lock. `release()` is idempotent and removes the lock file only while it is
 * still ours; the lock is also released when the process exits normally. Never throws.
 */
export interface RunLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

/** A takeover that has not finished within this time was abandoned by a crashed process. */
const takeoverGraceMs = 10_000;
/** An unreadable lock file younger than this may still be being written. */
const unreadableGraceMs = 10_000;
/** How long to wait for another process's takeover to settle before giving up. */
const maxAttempts = 100;

/** Takes the run lock in `stateDir` for `command`; throws LOCKED naming the holder when a live process has it. */
export async function acquireRunLock(stateDir: string, command: string): Promise<RunLock> {
  const lockPath = join(stateDir, 'lock');
  const guardPath = join(stateDir, 'lock.takeover');
  try {
    await mkdir(stateDir, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, `creating state directory ${stateDir}`);
  }
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    ...(bootId() ? { bootId: bootId() } : {}),
    startedAt: new Date().toISOString(),
    command,
    token: randomBytes(8).toString('hex'),
  };
  const content = JSON.stringify(holder) + '\n';
  const tmpPath = join(stateDir, `lock.${process.pid}.${holder.token}.tmp`);
  try {
    await writeFile(tmpPath, content, { flag: 'wx' });
  } catch (err) {
    throw fromSystemError(err, `writing ${tmpPath}`);
  }
  try {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (await tryCreate(tmpPath, lockPath, content)) return heldLock(lockPath, holder);
      const current = await readHolder(lockPath);
      if (current === 'gone') continue;
      if (current.state === 'live') throw lockedError(lockPath, current.holder);
      if (current.state === 'young') throw lockedError(lockPath, undefined);
      // stale: take it over under the guard, or wait for whoever holds the guard
      const won = await tryTakeover(guardPath, lockPath, tmpPath, current.ino);
      if (won) return heldLock(lockPath, holder);
      await sleep(20 + Math.random() * 30);
    }
    throw new BackupError('LOCKED', `could not take over the stale lock ${lockPath} (another process keeps taking it over); try again`, { subject: lockPath });
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
}

/** Links the prepared file into place; false when a lock already exists. */
async function tryCreate(tmpPath: string, lockPath: string, content: string): Promise<boolean> {
  try {
    await link(tmpPath, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw fromSystemError(err, `creating ${lockPath}`);
  }
  // no hard links here: create the lock itself with O_EXCL
  try {
    await writeFile(lockPath, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromSystemError(err, `creating ${lockPath}`);
  }
}

type ReadResult =
  | 'gone'
  | { state: 'live'; holder: LockHolder; ino: number }
  | { state: 'stale'; ino: number }
  | { state: 'young'; ino: number };

/** Reads the lock file and judges whether its holder is alive. */
async function readHolder(lockPath: string): Promise<ReadResult> {
  let text: string;
  let ino: number;
  let mtimeMs: number;
  try {
    const st = await stat(lockPath);
    ino = st.ino;
    mtimeMs = st.mtimeMs;
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw fromSystemError(err, `reading ${lockPath}`);
  }
  const h = parseHolder(text);
  if (!h) return Date.now() - mtimeMs < unreadableGraceMs ? { state: 'young', ino } : { state: 'stale', ino };
  return isHolderAlive(h) ? { state: 'live', holder: h, ino } : { state: 'stale', ino };
}

/**
 * Replaces the stale lock (inode `staleIno`) with ours while holding `lock.takeover`.
 * False when another process holds the guard or the lock changed meanwhile (the caller retries).
 */
async function tryTakeover(guardPath: string, lockPath: string, tmpPath: string, staleIno: number): Promise<boolean> {
  const guard = JSON.stringify({ pid: process.pid, hostname: hostname(), at: new Date().toISOString() });
  try {
    await writeFile(guardPath, guard, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, `creating ${guardPath}`);
    await clearAbandonedGuard(guardPath);
    return false;
  }
  try {
    // Only a guard holder replaces a lock, and the stale holder is dead, so the lock cannot change under us from here.
    let ino: number;
    try {
      ino = (await stat(lockPath)).ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (ino !== staleIno) return false;
    await rename(tmpPath, lockPath);
    return true;
  } catch (err) {
    throw fromSystemError(err, `taking over ${lockPath}`);
  } finally {
    await unlink(guardPath).catch(() => undefined);
  }
}

/** Removes a takeover guard left by a process that died during a takeover. */
async function clearAbandonedGuard(guardPath: string): Promise<void> {
  try {
    const [st, text] = await Promise.all([stat(guardPath), readFile(guardPath, 'utf8')]);
    let g: { pid?: number; hostname?: string } = {};
    try {
      g = JSON.parse(text) as typeof g;
    } catch {
      // unreadable: judged by age alone
    }
    const deadHere = g.hostname === hostname() && typeof g.pid === 'number' && !pidAlive(g.pid);
    if (deadHere || Date.now() - st.mtimeMs > takeoverGraceMs) {
      // best effort: only a crash during a takeover leaves a guard behind
      const again = await stat(guardPath);
      if (again.ino === st.ino) await unlink(guardPath);
    }
  } catch {
    // gone already, or someone else cleared it
  }
}

function heldLock(lockPath: string, holder: LockHolder): RunLock {
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    process.off('exit', releaseSync);
    try {
      const current = parseHolder(readFileSync(lockPath, 'utf8'));
      if (current?.token === holder.token) unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
  process.on('exit', releaseSync);
  return {
    path: lockPath,
    holder,
    release: () => {
      releaseSync();
      return Promise.resolve();
    },
  };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.hostname === 'string' && typeof h.startedAt === 'string' && typeof h.command === 'string') {
      return { token: '', ...h } as LockHolder;
    }
  } catch {
    // not ours, or half-written
  }
  return undefined;
}

/** A holder on another host is assumed alive (we cannot check); on this host, its pid must exist in this boot. */
function isHolderAlive(h: LockHolder): boolean {
  if (h.hostname !== hostname()) return true;
  const boot = bootId();
  if (h.bootId && boot && h.bootId !== boot) return false;
  return pidAlive(h.pid);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let cachedBootId: string | null | undefined;
function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

function lockedError(lockPath: string, h: LockHolder | undefined): BackupError {
  if (!h) return new BackupError('LOCKED', `another backup run is starting and holds ${lockPath}; wait for it to finish`, { subject: lockPath });
  const other = h.hostname === hostname() ? '' : ` on host ${h.hostname}`;
  const remedy = other ? `wait for it to finish, or delete ${lockPath} if that run is gone` : 'wait for it to finish';
  return new BackupError('LOCKED', `another backup run (PID ${h.pid}${other}, "${h.command}", started ${h.startedAt}) holds ${lockPath}; ${remedy}`, { subject: lockPath });
}
