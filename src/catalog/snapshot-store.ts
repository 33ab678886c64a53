/** Reads and replaces the snapshot state (what change detection compares against). */
import type { TreeEntry } from '../scan/tree-entry.js';
import { snapshotEntryEqual } from '../scan/plan-archive.js';
import type { Db } from './open-catalog.js';
import { nameColumn, nameFromColumn } from './name-column.js';

/** A snapshot row as an array (columns in SNAPSHOT_COLUMNS order), integers as BigInt. */
type SnapshotRow = [string | Buffer, TreeEntry['type'], bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, string | Buffer | null];
const SNAPSHOT_COLUMNS = 'path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid, link_target';

/** The snapshot as a map by path; empty when there has been no archive yet. */
export function loadSnapshot(db: Db): Map<string, TreeEntry> {
  // rows as arrays, not objects: half the time at 200,000 rows (no per-row property lookups by name)
  const rows = db.prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshot`).raw(true).safeIntegers(true).iterate() as IterableIterator<SnapshotRow>;
  const map = new Map<string, TreeEntry>();
  for (const r of rows) {
    const path = nameFromColumn(r[0]);
    const e: TreeEntry = {
      path,
      type: r[1],
      mode: Number(r[2]),
      size: Number(r[3]),
      mtimeNs: r[4] * NS + r[5],
      ctimeNs: r[6] * NS + r[7],
      dev: Number(r[8]),
      ino: Number(r[9]),
      uid: Number(r[10]),
      gid: Number(r[11]),
    };
    if (r[12] !== null) e.linkTarget = nameFromColumn(r[12]);
    map.set(path, e);
  }
  return map;
}

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

/**
 * Turns the snapshot `previous` (exactly what the table holds, as loadSnapshot read it) into
 * `entries`, writing only the rows that differ: an incremental run where little changed
 * rewrites little (200,000 files, nothing changed: no row written instead of 200,000
 * deleted and inserted again). Same result as replaceSnapshot. Call inside the transaction
 * that commits the archive it describes.
 */
export function updateSnapshot(db: Db, entries: Iterable<TreeEntry>, previous: ReadonlyMap<string, TreeEntry>): void {
  const upsert = db.prepare(`INSERT OR REPLACE INTO snapshot (${SNAPSHOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const kept: string[] = [];
  let stillThere = 0;
  for (const e of entries) {
    kept.push(e.path);
    const prev = previous.get(e.path);
    if (prev !== undefined) {
      stillThere++;
      if (prev === e || snapshotEntryEqual(prev, e)) continue;
    }
    insertRow(upsert, e);
  }
  if (stillThere === previous.size) return;
  const now = new Set(kept);
  const remove = db.prepare('DELETE FROM snapshot WHERE path = ?');
  for (const path of previous.keys()) if (!now.has(path)) remove.run(nameColumn(path));
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
