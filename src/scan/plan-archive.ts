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
 *   its old paths are deleted.
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

/** Plans one archive: dumpdir listings, the files to store, deletions, the next snapshot and counts. */
export function planArchive(input: PlanInput): ArchivePlan {
  const incremental = input.level > 0 && input.previous !== null;
  const previous: ReadonlyMap<string, TreeEntry> = incremental ? input.previous! : new Map();
  const current = input.current.entries;
  if (current.length === 0 || current[0].path !== '') {
    throw new BackupError('INTERNAL', 'planArchive: the scan has no entry for the data directory itself');
  }

  const carried = incremental ? carriedOver(current, input.current.unreadableDirs, previous) : new Set<TreeEntry>();
  const merged = carried.size === 0 ? current : mergeSorted(current, [...carried].sort((a, b) => compareUtf8(a.path, b.path)));

  const dirs: PlannedDir[] = [];
  const listings = new Map<string, PlannedDir['listing']>();
  const files: TreeEntry[] = [];
  const snapshot: TreeEntry[] = [];
  const counts = { added: 0, changed: 0, unchanged: 0, deleted: 0, bytes: 0 };
  const added: string[] = [];
  const changed: string[] = [];
  // previous entries seen again here with the same type: when that is all of them, nothing was deleted
  let seenAgain = 0;

  for (const e of merged) {
    const isCarried = carried.has(e);
    let listing: PlannedDir['listing'] | undefined;
    let name = '';
    if (e.path !== '') {
      const slash = e.path.lastIndexOf('/');
      listing = listings.get(slash === -1 ? '' : e.path.slice(0, slash));
      name = e.path.slice(slash + 1);
      if (!listing) {
        // a carried entry whose parent is no longer a directory here has nowhere to go
        if (isCarried) continue;
        throw new BackupError('INTERNAL', `planArchive: ${e.path} has no parent directory in the scan`);
      }
    }
    snapshot.push(e);
    const prev = isCarried ? e : previous.get(e.path);
    if (prev !== undefined && prev.type === e.type) seenAgain++;
    let flag: DumpdirFlag;
    if (e.type === 'dir') {
      flag = 'D';
      const own: PlannedDir['listing'] = [];
      listings.set(e.path, own);
      dirs.push({ entry: e, listing: own });
    } else {
      flag = prev !== undefined && (isCarried || snapshotEntryEqual(prev, e)) ? 'N' : 'Y';
      if (flag === 'Y') {
        files.push(e);
        counts.bytes += e.size;
      }
    }
    // names are appended in full-path byte order, which is name byte order among siblings
    listing?.push({ name, flag });
    if (e.path === '') continue;
    if (prev === undefined) added.push(e.path);
    else if (prev.type !== e.type || flag === 'Y') changed.push(e.path);
    else counts.unchanged++;
  }

  const deleted: string[] = [];
  if (incremental && seenAgain < previous.size) {
    const now = new Map<string, TreeEntry['type']>();
    for (const e of snapshot) now.set(e.path, e.type);
    for (const p of previous.values()) {
      if (p.path !== '' && now.get(p.path) !== p.type) deleted.push(p.path);
    }
    deleted.sort(compareUtf8);
  }
  counts.added = added.length;
  counts.changed = changed.length;
  counts.deleted = deleted.length;

  return { level: input.level, dirs, files, deleted, snapshot, counts, added, changed };
}

/** Previous entries at or below an unreadable path that this scan could not see. */
function carriedOver(current: TreeEntry[], unreadable: string[], previous: ReadonlyMap<string, TreeEntry>): Set<TreeEntry> {
  const carried = new Set<TreeEntry>();
  if (unreadable.length === 0) return carried;
  const roots = new Set(unreadable);
  const seen = new Set<string>();
  for (const e of current) seen.add(e.path);
  for (const p of previous.values()) {
    if (!seen.has(p.path) && atOrBelowAny(p.path, roots)) carried.add(p);
  }
  return carried;
}

function atOrBelowAny(path: string, roots: ReadonlySet<string>): boolean {
  if (roots.has('') || roots.has(path)) return true;
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    if (roots.has(path.slice(0, i))) return true;
  }
  return false;
}

function mergeSorted(a: TreeEntry[], b: TreeEntry[]): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareUtf8(a[i].path, b[j].path) <= 0 ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
