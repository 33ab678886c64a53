/**
 * Test support for the archive layer: scans a directory with lstat into TreeEntry records
 * through the scanner's own stat → entry mapping (scan/entry-from-stat.ts), and plans an
 * archive against the previous step by path, type, size, mtime, ctime, inode and link
 * target, the way GNU tar's --listed-incremental decides. Independent of the scanner's walk
 * (excludes, warnings, concurrency) so archive tests pin the format, not the walk.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchivePlan, DumpdirFlag, PlannedDir } from '../../scan/archive-plan.js';
import { entryFromStat, entryTypeOf } from '../../scan/entry-from-stat.js';
import { fsPath, nameFromBytes, nameToBytes } from '../../scan/name-bytes.js';
import type { TreeEntry } from '../../scan/tree-entry.js';

const byBytes = (a: string, b: string) => Buffer.compare(nameToBytes(a), nameToBytes(b));

/** Every entry under `root` (itself as ""), in full-path byte order; names that are not UTF-8 come escaped, as the scanner gives them. */
export function scanEntries(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string) => {
    const abs = fsPath(rel ? join(root, rel) : root);
    const st = lstatSync(abs, { bigint: true });
    const type = entryTypeOf(st);
    if (!type) return;
    out.push(entryFromStat(rel, type, st, type === 'symlink' ? nameFromBytes(readlinkSync(abs, { encoding: 'buffer' })) : undefined));
    if (type === 'dir') for (const name of readdirSync(abs, { encoding: 'buffer' })) walk(rel ? `${rel}/${nameFromBytes(name)}` : nameFromBytes(name));
  };
  walk('');
  return out.sort((a, b) => byBytes(a.path, b.path));
}

/** Plans an archive of `current`: level 0 when `previous` is null, else an incremental against it. */
export function planTree(current: TreeEntry[], previous: ReadonlyMap<string, TreeEntry> | null): ArchivePlan {
  const dirs: PlannedDir[] = [];
  const listings = new Map<string, PlannedDir['listing']>();
  const files: TreeEntry[] = [];
  for (const e of current) {
    let flag: DumpdirFlag = 'D';
    if (e.type === 'dir') {
      const listing: PlannedDir['listing'] = [];
      listings.set(e.path, listing);
      dirs.push({ entry: e, listing });
    } else {
      const p = previous?.get(e.path);
      const same = !!p && p.type === e.type && p.size === e.size && p.mtimeNs === e.mtimeNs && p.ctimeNs === e.ctimeNs && p.ino === e.ino && p.linkTarget === e.linkTarget;
      flag = same ? 'N' : 'Y';
      if (flag === 'Y') files.push(e);
    }
    if (e.path === '') continue;
    const slash = e.path.lastIndexOf('/');
    listings.get(slash < 0 ? '' : e.path.slice(0, slash))!.push({ name: e.path.slice(slash + 1), flag });
  }
  const now = new Map(current.map((e) => [e.path, e.type]));
  const deleted = previous ? [...previous.values()].filter((p) => p.path !== '' && now.get(p.path) !== p.type).map((p) => p.path) : [];
  const bytes = files.reduce((n, f) => n + f.size, 0);
  return {
    level: previous ? 1 : 0,
    dirs,
    files,
    deleted,
    snapshot: current,
    counts: { added: 0, changed: files.length, unchanged: 0, deleted: deleted.length, bytes },
    added: [],
    changed: files.map((f) => f.path),
  };
}
