/** Replaces the snapshot state (what change detection compares against); a run reads it in order with scan-store's snapshotInOrder. */
import type { TreeEntry } from '../scan/tree-entry.js';
import type { Db } from './open-catalog.js';
import { nameColumn } from './name-column.js';

const SNAPSHOT_COLUMNS = 'path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid, link_target';

/** True when a snapshot is recorded (cheap: reads one row). */
export function hasSnapshot(db: Db): boolean {
  return db.prepare('SELECT 1 FROM snapshot LIMIT 1').get() !== undefined;
}

/** Files in the snapshot (the data as of the latest archive) and their total size in bytes. */
export function snapshotTotals(db: Db): { files: number; bytes: number } {
  const r = db.prepare("SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes FROM snapshot WHERE type = 'file'").get() as { files: number; bytes: number };
  return { files: r.files, bytes: r.bytes };
}

/** Forgets the snapshot: the next run is a full. */
export function clearSnapshot(db: Db): void {
  db.prepare('DELETE FROM snapshot').run();
}

/** Replaces the whole snapshot. Call inside the transaction that commits the archive it describes. */
export function replaceSnapshot(db: Db, entries: Iterable<TreeEntry>): void {
  db.prepare('DELETE FROM snapshot').run();
  const insert = db.prepare(
    `INSERT INTO snapshot (${SNAPSHOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const e of entries) insertRow(insert, e);
}

function insertRow(stmt: { run(...params: unknown[]): unknown }, e: TreeEntry): void {
  const m = split(e.mtimeNs);
  const c = split(e.ctimeNs);
  stmt.run(nameColumn(e.path), e.type, e.mode, e.size, m.s, m.nsec, c.s, c.nsec, e.dev, e.ino, e.uid, e.gid, e.linkTarget === undefined ? null : nameColumn(e.linkTarget));
}

const NS = 1_000_000_000n;

/** Seconds (rounded down) and nanoseconds 0–999,999,999 of a nanosecond timestamp: both fit SQLite's 64-bit integers for any time a file system holds. */
function split(ns: bigint): { s: bigint; nsec: bigint } {
  const nsec = ((ns % NS) + NS) % NS;
  return { s: (ns - nsec) / NS, nsec };
}
