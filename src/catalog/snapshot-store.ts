/** Reads and replaces the snapshot state (what change detection compares against). */
import type { TreeEntry } from '../scan/tree-entry.js';
import type { Db } from './open-catalog.js';

interface SnapshotRow {
  path: string;
  type: TreeEntry['type'];
  mode: bigint;
  size: bigint;
  mtime_ns: bigint;
  ctime_ns: bigint;
  dev: bigint;
  ino: bigint;
  uid: bigint;
  gid: bigint;
  link_target: string | null;
}

/** The snapshot as a map by path; empty when there has been no archive yet. */
export function loadSnapshot(db: Db): Map<string, TreeEntry> {
  const rows = db.prepare('SELECT * FROM snapshot').safeIntegers(true).iterate() as IterableIterator<SnapshotRow>;
  const map = new Map<string, TreeEntry>();
  for (const r of rows) {
    map.set(r.path, {
      path: r.path,
      type: r.type,
      mode: Number(r.mode),
      size: Number(r.size),
      mtimeNs: r.mtime_ns,
      ctimeNs: r.ctime_ns,
      dev: Number(r.dev),
      ino: Number(r.ino),
      uid: Number(r.uid),
      gid: Number(r.gid),
      ...(r.link_target === null ? {} : { linkTarget: r.link_target }),
    });
  }
  return map;
}

/** True when a snapshot is recorded (cheap: reads one row). */
export function hasSnapshot(db: Db): boolean {
  return db.prepare('SELECT 1 FROM snapshot LIMIT 1').get() !== undefined;
}

/** Replaces the whole snapshot. Call inside the transaction that commits the archive it describes. */
export function replaceSnapshot(db: Db, entries: Iterable<TreeEntry>): void {
  db.prepare('DELETE FROM snapshot').run();
  const insert = db.prepare(
    'INSERT INTO snapshot (path, type, mode, size, mtime_ns, ctime_ns, dev, ino, uid, gid, link_target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const e of entries) {
    insert.run(e.path, e.type, e.mode, e.size, e.mtimeNs, e.ctimeNs, e.dev, e.ino, e.uid, e.gid, e.linkTarget ?? null);
  }
}
