/**
 * Walks the data directory and records what change detection compares: type, permission
 * bits, size, mtime/ctime in nanoseconds, device, inode, owner, symlink target.
 *
 * The walk streams: entries come out one at a time in full-path UTF-8 byte order (the
 * order of the snapshot table), so the planner merges them with the previous snapshot as
 * they come and nothing holds the whole tree. Memory holds the listings of the directories
 * on the way down (and, rarely, of a directory whose subtree sorts after a sibling's), not
 * the tree. Full-path order is not plain depth-first order: "a-b" and its subtree sort
 * before "a/x" ('-' < '/'), so each directory's names are sorted together with "name/"
 * keys standing for the subtrees, and a subtree is walked when its key comes up.
 *
 * The walk itself is synchronous (walkTreeSync): a backup runs it on a worker thread
 * (walk-tree-in-worker.ts) while the main thread plans and writes the catalog; walkTree and
 * scanTree run it in the calling thread.
 *
 * Trouble with one entry is a warning and the walk goes on; only a missing data directory,
 * an abort or an unexpected internal error stops it.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { resolve } from 'node:path';
import { BackupError, throwIfAborted } from '../errors.js';
import { compareUtf8 } from './compare-utf8.js';
import { fsPath, hasEscapedBytes, nameFromBytes, nameToBytes } from './name-bytes.js';
import type { ExcludeMatcher } from './exclude-matcher.js';
import type { TreeEntry } from './tree-entry.js';
import { entryFromStat } from './entry-from-stat.js';

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

/** One name of a directory being walked: the entry itself, or (key ending in "/") the subtree below it. */
interface Item {
  key: string;
  entry?: TreeEntry;
  /** For a subtree: the directory's absolute path and its names, read when its entry came up. */
  dir?: { rel: string; abs: string; names: string[] };
}

/** What walkTreeSync reports, in the order it finds it (all synchronous calls). */
export interface WalkSink {
  /** An entry, in full-path UTF-8 byte order (the data directory first, as ""). */
  entry(e: TreeEntry): void;
  /** A path whose contents could not be read, before any entry that sorts after it. */
  unreadable(path: string): void;
  warning(w: ScanWarning): void;
}

/** The options of walkTreeSync: those of ScanOptions that change what is walked. */
export type WalkSyncOptions = Pick<ScanOptions, 'exclude' | 'oneFileSystem' | 'signal'>;

/**
 * Walks the tree under `root` synchronously, telling `sink` what it finds in path order.
 * Throws DATA_DIR_MISSING when root is not a directory, ABORTED when the signal has fired
 * (checked before each directory is listed).
 */
export function walkTreeSync(root: string, opts: WalkSyncOptions, sink: WalkSink): void {
  const rootAbs = resolve(root);
  const exclude = opts.exclude ?? (() => false);
  const warn = (path: string, code: ScanWarning['code'], message: string) => sink.warning({ path, code, message });
  const missingRoot = (why: string, cause?: unknown) =>
    new BackupError('DATA_DIR_MISSING', `data directory ${rootAbs} ${why}; fix "data" in the config`, { cause, subject: rootAbs });

  // The data directory itself may be a symlink to a directory: follow it.
  let rootStat: BigIntStats;
  try {
    rootStat = statSync(rootAbs, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw missingRoot('does not exist', err);
    throw missingRoot(`cannot be examined (${(err as Error).message})`, err);
  }
  if (!rootStat.isDirectory()) throw missingRoot('is not a directory');

  /**
   * The names in a directory (a name that is not valid UTF-8 keeps its bytes, see
   * name-bytes.ts), or why there are none (reported; an unreadable one is recorded by the caller).
   */
  const listNames = (rel: string, abs: string): string[] | 'vanished' | 'unreadable' => {
    throwIfAborted(opts.signal);
    try {
      // synchronous: the walk has its own thread, and a thread-pool round trip only adds latency.
      // Names come as strings, which costs half of a Buffer each; a listing with U+FFFD in it
      // may hold bytes that are not UTF-8, so it is read again as bytes.
      const p = fsPath(abs);
      const names = readdirSync(p);
      return names.some((n) => n.includes('\ufffd')) ? readdirSync(p, { encoding: 'buffer' }).map(nameFromBytes) : names;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (rel === '') throw missingRoot('disappeared during the scan', err);
        warn(rel, 'vanished', 'directory disappeared during the scan; skipped');
        return 'vanished';
      }
      sink.unreadable(rel);
      warn(rel, 'unreadable-dir', `cannot list this directory (${code ?? (err as Error).message}); its previous backup is kept`);
      return 'unreadable';
    }
  };

  /** The sorted items of one directory: an entry per name, and a subtree item after each directory to descend into. */
  const itemsOf = (rel: string, abs: string, names: string[]): Item[] => {
    const items: Item[] = [];
    // fsPath for each child, without searching the whole path for escaped bytes each time
    const dirEscaped = hasEscapedBytes(abs);
    let denied = false;
    for (const name of names) {
      const childRel = join(rel, name);
      const childAbs = abs === '/' ? `/${name}` : `${abs}/${name}`;
      const childFs = dirEscaped || hasEscapedBytes(name) ? nameToBytes(childAbs) : childAbs;
      let st: BigIntStats;
      try {
        // synchronous: a thread-pool round trip costs more than the lstat itself
        st = lstatSync(childFs, { bigint: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          if (!exclude(childRel, false)) warn(childRel, 'vanished', 'disappeared during the scan; skipped');
        } else if (code === 'EACCES' || code === 'EPERM') {
          // no search permission on the directory: none of its entries can be examined
          if (!denied) {
            denied = true;
            sink.unreadable(rel);
            warn(rel, 'unreadable-dir', `cannot examine the entries of this directory (${code}); its previous backup is kept`);
          }
        } else {
          sink.unreadable(childRel);
          warn(childRel, 'unreadable-dir', `cannot be examined (${code ?? (err as Error).message}); its previous backup is kept`);
        }
        continue;
      }
      const isDir = st.isDirectory();
      if (exclude(childRel, isDir)) continue;
      if (isDir) {
        const entry = entryFromStat(childRel, 'dir', st);
        if (opts.oneFileSystem && st.dev !== rootStat.dev) items.push({ key: name, entry });
        else items.push({ key: name, entry, dir: { rel: childRel, abs: childAbs, names: [] } });
      } else if (st.isFile()) {
        items.push({ key: name, entry: entryFromStat(childRel, 'file', st) });
      } else if (st.isSymbolicLink()) {
        let target: Buffer;
        try {
          target = readlinkSync(childFs, { encoding: 'buffer' });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // EINVAL: no longer a symlink (replaced between lstat and readlink)
          if (code === 'ENOENT' || code === 'EINVAL') warn(childRel, 'vanished', 'symlink disappeared during the scan; skipped');
          else {
            sink.unreadable(childRel);
            warn(childRel, 'unreadable-dir', `cannot read this symlink (${code ?? (err as Error).message}); its previous backup is kept`);
          }
          continue;
        }
        items.push({ key: name, entry: entryFromStat(childRel, 'symlink', st, nameFromBytes(target)) });
      } else if (st.isFIFO()) {
        items.push({ key: name, entry: entryFromStat(childRel, 'fifo', st) });
      } else if (st.isCharacterDevice()) {
        items.push({ key: name, entry: entryFromStat(childRel, 'chardev', st) });
      } else if (st.isBlockDevice()) {
        items.push({ key: name, entry: entryFromStat(childRel, 'blockdev', st) });
      } else if (!st.isSocket()) {
        warn(childRel, 'special', 'is a special file tar cannot store; skipped');
      }
    }
    // a directory's subtree sorts right after "name/": after "name-x" and "name.x", before "name0"
    const withSubtrees: Item[] = [];
    for (const it of items) {
      withSubtrees.push(it);
      if (it.dir) withSubtrees.push({ key: `${it.key}/`, dir: it.dir });
    }
    withSubtrees.sort((x, y) => compareUtf8(x.key, y.key));
    return withSubtrees;
  };

  const rootNames = listNames('', rootAbs);
  if (rootNames === 'vanished') return;
  sink.entry(entryFromStat('', 'dir', rootStat));
  if (rootNames === 'unreadable') return;
  // one frame per directory being walked: its sorted items and the next one to take
  const stack: Array<{ items: Item[]; next: number }> = [{ items: itemsOf('', rootAbs, rootNames), next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.items.length) {
      stack.pop();
      continue;
    }
    const it = top.items[top.next++];
    if (it.key.endsWith('/')) {
      // the subtree of a directory whose entry came up earlier (and was listed then)
      const d = it.dir!;
      if (d.names.length > 0) stack.push({ items: itemsOf(d.rel, d.abs, d.names), next: 0 });
      d.names = [];
      continue;
    }
    if (it.dir) {
      // listed when its entry comes up: one that vanished has no entry, an unreadable one no subtree
      const names = listNames(it.dir.rel, it.dir.abs);
      if (names === 'vanished') {
        it.dir.names = [];
        continue;
      }
      it.dir.names = names === 'unreadable' ? [] : names;
    }
    sink.entry(it.entry!);
  }
}

/**
 * Walks the tree under `root` in the calling thread, calling `onEntry` for every recorded
 * entry in full-path UTF-8 byte order (the data directory first, as ""), and `onUnreadable`
 * for each path whose contents could not be read, before any entry that sorts after it.
 * Rejects with DATA_DIR_MISSING when root is not a directory, ABORTED on abort. A backup
 * walks in a worker thread instead (walkTreeInWorker, same contract).
 */
export function walkTree(root: string, opts: ScanOptions, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): Promise<void> {
  return new Promise((done) => {
    const sink = callerSink(opts, onEntry, onUnreadable);
    walkTreeSync(root, opts, sink);
    sink.end();
    done();
  });
}

/**
 * The WalkSink a walk's caller gets findings through: entries to `onEntry`, counted for
 * onProgress (a call every PROGRESS_EVERY entries, and one with the total at `end`),
 * unreadable paths to `onUnreadable`, warnings to onWarning.
 */
export function callerSink(opts: Pick<ScanOptions, 'onProgress' | 'onWarning'>, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): WalkSink & { end(): void } {
  let recorded = 0;
  let next = PROGRESS_EVERY;
  return {
    entry(e) {
      onEntry(e);
      if (++recorded >= next) {
        next += PROGRESS_EVERY;
        opts.onProgress?.(recorded);
      }
    },
    unreadable: onUnreadable,
    warning: (w) => opts.onWarning?.(w),
    end: () => opts.onProgress?.(recorded),
  };
}

/** Scans the whole tree into memory (walkTree collected): for tests and small trees; runs stream instead. */
export async function scanTree(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const entries: TreeEntry[] = [];
  const unreadableDirs: string[] = [];
  await walkTree(root, opts, (e) => entries.push(e), (p) => unreadableDirs.push(p));
  unreadableDirs.sort(compareUtf8);
  return { entries, unreadableDirs };
}

function join(dirRel: string, name: string): string {
  return dirRel === '' ? name : `${dirRel}/${name}`;
}
