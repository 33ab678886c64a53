/**
 * Change detection: from this scan and the previous snapshot, what the next archive holds.
 * Pure: no I/O, same input → same plan.
 *
 * Rules (the GNU tar --listed-incremental scheme, with the snapshot as the only reference):
 * - Level 0, or no previous snapshot: every non-directory is stored (Y).
 * - Otherwise a non-directory is unchanged (N) only when the same path is in the previous
 *   snapshot with an identical identity (snapshotEntryEqual). The time of the last backup
 *   plays no part, so files copied in with old preserved mtimes are caught by ctime/inode.
 * - A renamed directory needs nothing special: paths under its new name are new, so Y;
 *   its old paths are deleted. (A file there with other names outside it takes those
 *   along once the plan is recorded: storeOtherNames in catalog/scan-store.ts.)
 * - Every directory is a dumpdir member listing its names (Y/N for non-directories, D for
 *   subdirectories) sorted by raw bytes, so GNU tar removes what is no longer there.
 * - Deleted: every previous path that is gone or whose type changed, each one listed.
 * - Paths under an unreadable directory (ScanResult.unreadableDirs) that the previous
 *   snapshot had are kept: listed N/D, carried into the new snapshot, not deleted. A level-0
 *   archive has no earlier archive to point to, so there they are simply absent.
 */
import { BackupError } from '../errors.js';
import { compareUtf8 } from './compare-utf8.js';
import type { ScanResult } from './scan-tree.js';
import type { ArchivePlan, DumpdirFlag, PlannedDir } from './archive-plan.js';
import type { TreeEntry } from './tree-entry.js';

/** What planArchive compares. */
export interface PlanInput {
  current: ScanResult;
  /** The snapshot recorded with the previous archive of the chain, by path; null when there is none. Ignored at level 0. */
  previous: ReadonlyMap<string, TreeEntry> | null;
  level: number;
}

/** True when two records of the same path describe the same unchanged thing (nothing to store again). */
export function snapshotEntryEqual(a: TreeEntry, b: TreeEntry): boolean {
  return (
    a.type === b.type &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.linkTarget === b.linkTarget
  );
}

/** Where the planner's decisions go, as they are made. */
export interface PlanSink {
  /** Every entry of the next snapshot, in path order (carried ones included), with what was decided for it. */
  entry?(e: TreeEntry, d: { status: 'added' | 'changed' | 'unchanged'; stored: boolean; carried: boolean }): void;
  /**
   * A directory whose listing is complete, after everything below it (so in post-order);
   * `ord` numbers directories in path order (0 is the data directory). `changed`: its
   * snapshot record differs from the previous one.
   */
  dir(d: PlannedDir & { ord: number; changed: boolean }): void;
  /** A previous path that is gone or whose type changed, in path order. */
  deleted(path: string): void;
}

/**
 * The planner, streaming: `push` the scanned entries in path order (compareUtf8), say which
 * paths were `unreadable` before pushing anything that sorts after them, then `end`. The
 * previous snapshot comes as an iterator in the same order and is read as far as the scan
 * has come, so memory holds the listings of the open directories, not the tree.
 */
export class ArchivePlanner {
  readonly counts = { added: 0, changed: 0, unchanged: 0, deleted: 0, bytes: 0 };
  /** Entries of the next snapshot so far. */
  entries = 0;
  private readonly previous: Iterator<TreeEntry> | null;
  private prevHead: TreeEntry | undefined;
  private readonly unreadableRoots = new Set<string>();
  private readonly open: Array<PlannedDir & { ord: number; changed: boolean }> = [];
  private dirs = 0;
  private started = false;

  constructor(
    previous: Iterable<TreeEntry> | null,
    readonly level: number,
    private readonly sink: PlanSink,
  ) {
    this.previous = level > 0 && previous ? previous[Symbol.iterator]() : null;
    this.advance();
  }

  /** A path whose contents could not be read: what the previous snapshot had at and below it is kept. */
  unreadable(path: string): void {
    this.unreadableRoots.add(path);
  }

  /** Whether `path` is at or below a path that could not be read (what the snapshot had there is kept as it was). */
  keeps(path: string): boolean {
    return atOrBelowAny(path, this.unreadableRoots);
  }

  /** The next scanned entry; entries come in path order, the data directory ("") first. */
  push(e: TreeEntry): void {
    if (!this.started) {
      if (e.path !== '') throw new BackupError('INTERNAL', 'planArchive: the scan has no entry for the data directory itself');
      this.started = true;
    }
    while (this.prevHead !== undefined && compareUtf8(this.prevHead.path, e.path) < 0) this.unseen();
    let prev: TreeEntry | undefined;
    if (this.prevHead !== undefined && this.prevHead.path === e.path) {
      prev = this.prevHead;
      this.advance();
    }
    if (prev !== undefined && prev.type !== e.type && e.path !== '') this.deletedPath(prev.path);
    this.place(e, prev, false);
  }

  /** After the last entry: the rest of the previous snapshot, then the open directories. */
  end(): void {
    if (!this.started) throw new BackupError('INTERNAL', 'planArchive: the scan has no entry for the data directory itself');
    while (this.prevHead !== undefined) this.unseen();
    while (this.open.length > 0) this.close();
  }

  private advance(): void {
    const r = this.previous?.next();
    this.prevHead = r && !r.done ? r.value : undefined;
  }

  /** A previous entry the scan did not see: carried when it is under an unreadable path, otherwise deleted. */
  private unseen(): void {
    const p = this.prevHead!;
    this.advance();
    if (p.path === '') return;
    if (atOrBelowAny(p.path, this.unreadableRoots) && this.place(p, p, true)) return;
    this.deletedPath(p.path);
  }

  private deletedPath(path: string): void {
    this.counts.deleted++;
    this.sink.deleted(path);
  }

  private close(): void {
    this.sink.dir(this.open.pop()!);
  }

  /** Records one entry of the next snapshot; false when it has no parent directory (only a carried entry may not). */
  private place(e: TreeEntry, prev: TreeEntry | undefined, carried: boolean): boolean {
    // A directory is complete once the order has passed its subtree ("dir/…"), which is not
    // when the first path outside it comes: "a-b" and its subtree sort between "a" and "a/x".
    // The open ones complete last in, first out ("a-b/" sorts before "a/").
    while (this.open.length > 0) {
      const top = this.open[this.open.length - 1].entry.path;
      if (isBelow(e.path, top) || compareUtf8(e.path, `${top}/`) < 0) break;
      this.close();
    }
    let parent: PlannedDir | undefined;
    let name = '';
    if (e.path !== '') {
      const slash = e.path.lastIndexOf('/');
      const parentPath = slash === -1 ? '' : e.path.slice(0, slash);
      // the nearest open directory of that path (above it, only directories waiting for their subtrees)
      for (let i = this.open.length - 1; i >= 0 && parent === undefined; i--) if (this.open[i].entry.path === parentPath) parent = this.open[i];
      if (parent === undefined) {
        // a carried entry whose parent is no longer a directory here has nowhere to go
        if (carried) return false;
        throw new BackupError('INTERNAL', `planArchive: ${e.path} has no parent directory in the scan`);
      }
      name = e.path.slice(slash + 1);
    }
    this.entries++;
    let flag: DumpdirFlag;
    let stored = false;
    if (e.type === 'dir') {
      flag = 'D';
      this.open.push({ entry: e, listing: [], ord: this.dirs++, changed: !carried && (prev === undefined || !snapshotEntryEqual(prev, e)) });
    } else {
      flag = prev !== undefined && (carried || snapshotEntryEqual(prev, e)) ? 'N' : 'Y';
      if (flag === 'Y') {
        stored = true;
        this.counts.bytes += e.size;
      }
    }
    parent?.listing.push({ name, flag });
    let status: 'added' | 'changed' | 'unchanged' = 'unchanged';
    if (e.path !== '') {
      if (prev === undefined) status = 'added';
      else if (prev.type !== e.type || flag === 'Y') status = 'changed';
      this.counts[status]++;
    }
    this.sink.entry?.(e, { status, stored, carried });
    return true;
  }
}

/** Plans one archive in memory (the streaming planner collected): dumpdir listings, the files to store, deletions, the next snapshot and counts. */
export function planArchive(input: PlanInput): ArchivePlan {
  const incremental = input.level > 0 && input.previous !== null;
  const previous = incremental ? [...input.previous!.values()].sort((a, b) => compareUtf8(a.path, b.path)) : null;
  const dirs: PlannedDir[] = [];
  const files: TreeEntry[] = [];
  const snapshot: TreeEntry[] = [];
  const deleted: string[] = [];
  const added: string[] = [];
  const changed: string[] = [];
  const planner = new ArchivePlanner(previous, input.level, {
    entry(e, d) {
      snapshot.push(e);
      if (d.stored) files.push(e);
      if (d.status === 'added') added.push(e.path);
      else if (d.status === 'changed') changed.push(e.path);
    },
    dir(d) {
      dirs[d.ord] = { entry: d.entry, listing: d.listing };
    },
    deleted(path) {
      deleted.push(path);
    },
  });
  if (incremental) for (const p of input.current.unreadableDirs) planner.unreadable(p);
  for (const e of input.current.entries) planner.push(e);
  planner.end();
  return { level: input.level, dirs, files, deleted, snapshot, counts: { ...planner.counts }, added, changed };
}

/** True when `path` is strictly below the directory `dir` ("" is the data directory). */
function isBelow(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.length > dir.length && path.charCodeAt(dir.length) === 0x2f && path.startsWith(dir);
}

function atOrBelowAny(path: string, roots: ReadonlySet<string>): boolean {
  if (roots.size === 0) return false;
  if (roots.has('') || roots.has(path)) return true;
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    if (roots.has(path.slice(0, i))) return true;
  }
  return false;
}
