/**
 * Walks the data directory and records what change detection compares: type, permission
 * bits, size, mtime/ctime in nanoseconds, device, inode, owner, symlink target.
 *
 * The walk is a queue drained by a bounded number of concurrent tasks (a directory listing
 * or one lstat each), so neither the JS stack nor the number of open requests grows with
 * the depth or width of the tree. Trouble with one entry is a warning and the walk goes on;
 * only a missing data directory, an abort or an unexpected internal error stops it.
 */
import { lstatSync } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { resolve } from 'node:path';
import { asError, BackupError, throwIfAborted } from '../errors.js';
import { compareUtf8 } from './compare-utf8.js';
import { fsPath, nameFromBytes } from './name-bytes.js';
import type { ExcludeMatcher } from './exclude-matcher.js';
import type { EntryType, TreeEntry } from './tree-entry.js';

/**
 * Concurrent filesystem requests. libuv runs them on its thread pool (4 threads by default),
 * so on a local disk 4 to 64 measure the same (scan-tree-scale.test.ts prints the figures);
 * a deeper queue pays off on storage with long round trips (network filesystems, cold disks).
 */
const SCAN_CONCURRENCY = 32;
/** Entries between two onProgress calls. */
const PROGRESS_EVERY = 1000;

/** Something in the data directory the scan could not record as it is. */
export interface ScanWarning {
  /** Relative to the data directory ("" is the data directory itself). */
  path: string;
  /**
   * special: a file of a kind tar cannot store (not a socket: those are skipped silently,
   * as GNU tar does), skipped. unreadable-dir: a directory whose entries
   * could not be listed or examined (the path is in `unreadableDirs`). vanished: removed
   * while the scan ran, skipped.
   */
  code: 'special' | 'unreadable-dir' | 'vanished';
  message: string;
}

/** What the scan found. */
export interface ScanResult {
  /** Every recorded entry, the data directory first as "", sorted by path in UTF-8 byte order. */
  entries: TreeEntry[];
  /**
   * Paths whose contents could not be read: directories that could not be listed (their own
   * entry is in `entries`), or, rarely, an entry whose lstat failed for a reason other than
   * vanishing. The planner keeps what the previous snapshot had at and below them, so an
   * unreadable directory never looks deleted.
   */
  unreadableDirs: string[];
}

/** Options for scanTree. */
export interface ScanOptions {
  /** Excluded paths are skipped without a warning; an excluded directory is not entered. */
  exclude?: ExcludeMatcher;
  /** Like tar --one-file-system: a directory on another filesystem than the data directory is recorded, its contents are not. */
  oneFileSystem?: boolean;
  /** Aborting rejects the scan with ABORTED. */
  signal?: AbortSignal;
  onWarning?(w: ScanWarning): void;
  /** Called now and then with the number of entries recorded so far. */
  onProgress?: (entries: number) => void;
}

interface DirTask {
  kind: 'dir';
  rel: string;
  abs: string;
  entry: TreeEntry;
  /** Set when lstat of its entries is refused: the directory is reported unreadable once. */
  denied?: boolean;
}

interface StatTask {
  kind: 'stat';
  parent: DirTask;
  name: string;
}

type Task = DirTask | StatTask;


/** Scans the tree under `root`. Throws DATA_DIR_MISSING when root is not a directory, ABORTED on abort. */
export async function scanTree(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const rootAbs = resolve(root);
  const exclude = opts.exclude ?? (() => false);
  const warn = (path: string, code: ScanWarning['code'], message: string) => opts.onWarning?.({ path, code, message });
  const entries: TreeEntry[] = [];
  const unreadableDirs: string[] = [];
  let nextProgress = PROGRESS_EVERY;
  const record = (e: TreeEntry) => {
    entries.push(e);
    if (entries.length >= nextProgress) {
      nextProgress += PROGRESS_EVERY;
      opts.onProgress?.(entries.length);
    }
  };
  const missingRoot = (why: string, cause?: unknown) =>
    new BackupError('DATA_DIR_MISSING', `data directory ${rootAbs} ${why}; fix "data" in the config`, { cause, subject: rootAbs });

  // The data directory itself may be a symlink to a directory: follow it.
  let rootStat: BigIntStats;
  try {
    rootStat = await stat(rootAbs, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw missingRoot('does not exist', err);
    throw missingRoot(`cannot be examined (${(err as Error).message})`, err);
  }
  if (!rootStat.isDirectory()) throw missingRoot('is not a directory');

  const listDir = async (dir: DirTask, queue: Task[]) => {
    let names: Buffer[];
    try {
      names = await readdir(fsPath(dir.abs), { encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (dir.rel === '') throw missingRoot('disappeared during the scan', err);
        warn(dir.rel, 'vanished', 'directory disappeared during the scan; skipped');
        return;
      }
      record(dir.entry);
      unreadableDirs.push(dir.rel);
      warn(dir.rel, 'unreadable-dir', `cannot list this directory (${code ?? (err as Error).message}); its previous backup is kept`);
      return;
    }
    record(dir.entry);
    for (const raw of names) {
      // a name that is not valid UTF-8 keeps its bytes (see name-bytes.ts)
      const name = nameFromBytes(raw);
      queue.push({ kind: 'stat', parent: dir, name });
    }
  };

  const statEntry = async (task: StatTask, queue: Task[]) => {
    const { parent, name } = task;
    const rel = join(parent.rel, name);
    const abs = parent.abs === '/' ? `/${name}` : `${parent.abs}/${name}`;
    let st: BigIntStats;
    try {
      // synchronous: a thread-pool round trip costs more than the lstat itself (100,000 files:
      // 2.2 s of async lstat → under 0.6 s); readdir stays async, so the event loop still turns once per directory
      st = lstatSync(fsPath(abs), { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (!exclude(rel, false)) warn(rel, 'vanished', 'disappeared during the scan; skipped');
      } else if (code === 'EACCES' || code === 'EPERM') {
        // no search permission on the parent: none of its entries can be examined
        if (!parent.denied) {
          parent.denied = true;
          unreadableDirs.push(parent.rel);
          warn(parent.rel, 'unreadable-dir', `cannot examine the entries of this directory (${code}); its previous backup is kept`);
        }
      } else {
        unreadableDirs.push(rel);
        warn(rel, 'unreadable-dir', `cannot be examined (${code ?? (err as Error).message}); its previous backup is kept`);
      }
      return;
    }
    const isDir = st.isDirectory();
    if (exclude(rel, isDir)) return;
    if (isDir) {
      if (opts.oneFileSystem && st.dev !== rootStat.dev) record(toEntry(rel, 'dir', st));
      else queue.push({ kind: 'dir', rel, abs, entry: toEntry(rel, 'dir', st) });
    } else if (st.isFile()) {
      record(toEntry(rel, 'file', st));
    } else if (st.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = await readlink(fsPath(abs), { encoding: 'buffer' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // EINVAL: no longer a symlink (replaced between lstat and readlink)
        if (code === 'ENOENT' || code === 'EINVAL') warn(rel, 'vanished', 'symlink disappeared during the scan; skipped');
        else {
          unreadableDirs.push(rel);
          warn(rel, 'unreadable-dir', `cannot read this symlink (${code ?? (err as Error).message}); its previous backup is kept`);
        }
        return;
      }
      const linkTarget = nameFromBytes(target);
      record(toEntry(rel, 'symlink', st, linkTarget));
    } else if (st.isFIFO()) {
      record(toEntry(rel, 'fifo', st));
    } else if (st.isCharacterDevice()) {
      record(toEntry(rel, 'chardev', st));
    } else if (st.isBlockDevice()) {
      record(toEntry(rel, 'blockdev', st));
    } else if (!st.isSocket()) {
      warn(rel, 'special', 'is a special file tar cannot store; skipped');
    }
  };

  const rootTask: DirTask = { kind: 'dir', rel: '', abs: rootAbs, entry: toEntry('', 'dir', rootStat) };
  await drain([rootTask], (task, queue) => (task.kind === 'dir' ? listDir(task, queue) : statEntry(task, queue)), opts.signal);
  opts.onProgress?.(entries.length);
  entries.sort((a, b) => compareUtf8(a.path, b.path));
  unreadableDirs.sort(compareUtf8);
  return { entries, unreadableDirs };
}

/**
 * Runs tasks from `queue` (last in, first out: depth first, which keeps the queue short)
 * with at most SCAN_CONCURRENCY in flight; tasks may push more. Resolves when the queue is
 * empty and nothing is running; rejects on the first task error or on abort.
 */
function drain(queue: Task[], run: (task: Task, queue: Task[]) => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveAll, rejectAll) => {
    let active = 0;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      rejectAll(asError(err));
    };
    const pump = () => {
      if (settled) return;
      try {
        throwIfAborted(signal);
      } catch (err) {
        fail(err);
        return;
      }
      while (active < SCAN_CONCURRENCY && queue.length > 0) {
        const task = queue.pop()!;
        active++;
        run(task, queue).then(() => {
          active--;
          pump();
        }, fail);
      }
      if (active === 0 && queue.length === 0) {
        settled = true;
        resolveAll();
      }
    };
    pump();
  });
}

function toEntry(path: string, type: EntryType, st: BigIntStats, linkTarget?: string): TreeEntry {
  const e: TreeEntry = {
    path,
    type,
    mode: Number(st.mode & 0o7777n),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    dev: Number(st.dev),
    ino: Number(st.ino),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
  if (linkTarget !== undefined) e.linkTarget = linkTarget;
  if (type === 'file') {
    e.nlink = Number(st.nlink);
    e.blocks = Number(st.blocks);
  } else if (type === 'chardev' || type === 'blockdev') {
    Object.assign(e, deviceNumbers(st.rdev));
  }
  return e;
}

/** Linux's split of a dev_t into major and minor numbers (glibc's gnu_dev_major/gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { devMajor: number; devMinor: number } {
  return {
    devMajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devMinor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

function join(dirRel: string, name: string): string {
  return dirRel === '' ? name : `${dirRel}/${name}`;
}
