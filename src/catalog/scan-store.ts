/**
 * A run's scan kept in the catalog while its archive is written (tables scan_dirs and
 * scan_files, see migrations 7 and 8), members and deletions of the archive being written,
 * and the snapshot read in path order: together they let a run stream a tree of any size
 * with memory for one batch. Rows are written in batches, each batch one transaction of
 * prepared statements; nothing here is visible as an archive until commitArchive applies it.
 * scan_files has the snapshot's shape, so a full commit makes it the snapshot by renaming it.
 */
import type { ArchivedMember } from '../archive/archived-member.js';
import { decodeDumpdir, encodeDumpdir } from '../archive/dumpdir-body.js';
import type { TreeEntry } from '../scan/tree-entry.js';
import type { Db } from './open-catalog.js';
import { nameColumn, nameFromColumn } from './name-column.js';
import { compareUtf8 } from '../scan/compare-utf8.js';

/** Rows per transaction. */
const BATCH = 5000;
const NS = 1_000_000_000n;
const ENTRY_COLUMNS = 'path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid, link_target';
/** The columns of scan_files and of the snapshot. */
const ROW_COLUMNS = `${ENTRY_COLUMNS}, nlink, dev_major, dev_minor`;

/**
 * Before a run writes archive `seq`: drops the scan tables' rows and any members or
 * deletions recorded under `seq` or later by a run that died before its commit.
 */
export function discardUncommitted(db: Db, seq: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM scan_dirs').run();
    db.prepare('DELETE FROM scan_files').run();
    db.prepare('DELETE FROM archive_files WHERE seq >= ?').run(seq);
    db.prepare('DELETE FROM archive_deletions WHERE seq >= ?').run(seq);
  })();
}

/**
 * Collects rows and writes them `size` at a time, each batch in one transaction, one
 * prepared INSERT per row. (Statements of many rows were measured: no faster, as SQLite's
 * own work per row dominates, and the flat arrays of values they need cost page faults.
 * So were fewer bound values per row, and members recorded as a narrow row (path, tar
 * offset) and written from scan_files by one INSERT … SELECT at the commit: the same CPU,
 * SQLite's B-tree insert being most of it, and that part moved to the end of the run.)
 *
 * A batch commits without waiting for the disk (synchronous NORMAL, the connection's own
 * level restored after it): its rows count for nothing until commitArchive, whose
 * transaction runs at the connection's level and so syncs the write-ahead log with every
 * batch before it, and the next run discards the rows of a run that died before then. In
 * WAL mode SQLite stays consistent after a crash or power loss at NORMAL (only the last
 * batches may be lost). At FULL each batch waited on this thread for an fsync, some 80 in
 * a full run of 200,000 files.
 */
class Batcher<T> {
  private rows: T[] = [];
  private readonly write: (rows: T[]) => void;
  /** The connection's synchronous level (FULL, see open-catalog.ts). */
  private readonly durable: number;

  constructor(private readonly db: Db, private readonly size: number, insertOne: (row: T) => void) {
    this.write = db.transaction((rows: T[]) => {
      for (const r of rows) insertOne(r);
    });
    this.durable = db.pragma('synchronous', { simple: true }) as number;
  }

  add(row: T): void {
    this.rows.push(row);
    if (this.rows.length >= this.size) this.flush();
  }

  flush(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    // inside a caller's transaction (where the level cannot change) the batch is part of it
    if (this.db.inTransaction) return this.write(rows);
    this.db.pragma('synchronous = NORMAL');
    try {
      this.write(rows);
    } finally {
      this.db.pragma(`synchronous = ${this.durable}`);
    }
  }
}

/** The nanoseconds 0–999,999,999 of a nanosecond timestamp. */
function nsecOf(ns: bigint): bigint {
  return ((ns % NS) + NS) % NS;
}

/** Whole seconds (rounded down) of a nanosecond timestamp whose nanoseconds are `nsec`. */
function secondsOf(ns: bigint, nsec: bigint): number {
  return Number((ns - nsec) / NS);
}

/** A name column's value for an optional name. */
function optionalName(name: string | undefined): string | Buffer | null {
  return name === undefined ? null : nameColumn(name);
}

/** The entry whose ENTRY_COLUMNS values start at `r[i]` (a raw row). */
function entryFromRow(r: unknown[], i: number): TreeEntry {
  const e: TreeEntry = {
    path: nameFromColumn(r[i] as string | Buffer),
    type: r[i + 1] as TreeEntry['type'],
    mode: r[i + 2] as number,
    size: r[i + 3] as number,
    mtimeNs: BigInt(r[i + 4] as number) * NS + BigInt(r[i + 5] as number),
    ctimeNs: BigInt(r[i + 6] as number) * NS + BigInt(r[i + 7] as number),
    dev: r[i + 8] as number,
    ino: r[i + 9] as number,
    uid: r[i + 10] as number,
    gid: r[i + 11] as number,
  };
  if (r[i + 12] !== null) e.linkTarget = nameFromColumn(r[i + 12] as string | Buffer);
  return e;
}

/** Writes a run's scan and the members and deletions of archive `seq` as they are decided. */
export class ScanRecorder {
  private readonly dirs: Batcher<{ ord: number; changed: boolean; body: Buffer; entry: TreeEntry }>;
  /** Rows of scan_files: the files to store and the changed directories. */
  private readonly files: Batcher<TreeEntry>;
  private readonly deletions: Batcher<string>;
  private readonly members: Batcher<ArchivedMember>;

  constructor(db: Db, seq: number, batch = BATCH) {
    // each row binds its values directly: no array per row
    const dir = db.prepare(`INSERT INTO scan_dirs (ord, changed, dumpdir, ${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.dirs = new Batcher(db, batch, ({ ord, changed, body, entry: e }) => {
      const mn = nsecOf(e.mtimeNs);
      const cn = nsecOf(e.ctimeNs);
      dir.run(ord, changed ? 1 : 0, body, nameColumn(e.path), e.type, e.mode, e.size, secondsOf(e.mtimeNs, mn), Number(mn), secondsOf(e.ctimeNs, cn), Number(cn), e.dev, e.ino, e.uid, e.gid, optionalName(e.linkTarget));
    });
    const file = db.prepare(`INSERT INTO scan_files (${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.files = new Batcher(db, batch, (e) => {
      const mn = nsecOf(e.mtimeNs);
      const cn = nsecOf(e.ctimeNs);
      file.run(nameColumn(e.path), e.type, e.mode, e.size, secondsOf(e.mtimeNs, mn), Number(mn), secondsOf(e.ctimeNs, cn), Number(cn), e.dev, e.ino, e.uid, e.gid, optionalName(e.linkTarget), e.nlink ?? null, e.devMajor ?? null, e.devMinor ?? null);
    });
    const del = db.prepare('INSERT INTO archive_deletions (seq, path) VALUES (?, ?)');
    this.deletions = new Batcher(db, batch, (p) => del.run(seq, nameColumn(p)));
    const member = db.prepare(
      `INSERT INTO archive_files (seq, path, type, mode, size, mtime, tar_offset, link_target, uid, gid, uname, gname, dev_major, dev_minor)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.members = new Batcher(db, batch, (m) =>
      member.run(seq, nameColumn(m.path), m.type, m.mode, m.size, m.mtime, m.tarOffset, optionalName(m.linkTarget), m.uid ?? null, m.gid ?? null, m.uname ?? null, m.gname ?? null, m.devMajor ?? null, m.devMinor ?? null),
    );
  }

  /**
   * A directory of the scan with its dumpdir body; `changed`: its snapshot row differs from
   * the previous one (always, in a full run), so the commit writes it to the snapshot.
   */
  dir(ord: number, changed: boolean, body: Buffer, entry: TreeEntry): void {
    this.dirs.add({ ord, changed, body, entry });
    if (changed) this.files.add(entry);
  }

  /** A non-directory this archive stores. */
  file(e: TreeEntry): void {
    this.files.add(e);
  }

  deleted(path: string): void {
    this.deletions.add(path);
  }

  member(m: ArchivedMember): void {
    this.members.add(m);
  }

  /** Writes what is still batched. */
  flush(): void {
    this.dirs.flush();
    this.files.flush();
    this.deletions.flush();
    this.members.flush();
  }
}

/** The scanned directories with their dumpdir bodies, in path order, read a page at a time. */
export function* scannedDirs(db: Db, page = 1000): Generator<{ entry: TreeEntry; body: Buffer }> {
  const stmt = db.prepare(`SELECT ord, dumpdir, ${ENTRY_COLUMNS} FROM scan_dirs WHERE ord > ? ORDER BY ord LIMIT ?`).raw(true);
  for (let after = -1; ; ) {
    const rows = stmt.all(after, page) as unknown[][];
    for (const r of rows) yield { entry: entryFromRow(r, 2), body: r[1] as Buffer };
    if (rows.length < page) return;
    after = rows[rows.length - 1][0] as number;
  }
}

/** The non-directories the archive stores, in path order, a page at a time. */
export function scannedFiles(db: Db, page = 1000): Generator<TreeEntry> {
  return inPathOrder(db, `SELECT ${ROW_COLUMNS} FROM scan_files WHERE type != 'dir' AND`, page, (r) => {
    const e = entryFromRow(r, 0);
    if (r[13] !== null) e.nlink = r[13] as number;
    if (r[14] !== null) e.devMajor = r[14] as number;
    if (r[15] !== null) e.devMinor = r[15] as number;
    return e;
  });
}

/**
 * Every name of a file with several names that the archive stores. One name can be new while
 * the others are unchanged: its directory was renamed (which leaves the file's ctime alone),
 * or it is stored again after it was torn (markUntrusted). Stored alone, that name would be
 * restored (by GNU tar too) as an inode of its own while the other names kept the old one:
 * the link broken, and after a torn read the other names holding the torn content. So each
 * unchanged name of such an inode (in the snapshot, not in scan_files, not deleted by archive
 * `seq`, and not `carried` from under an unreadable directory) is added to scan_files from
 * its snapshot row (unchanged: the same identity) with the stored name's link count, and
 * flagged Y in its directory's listing; the writer makes every name after the first a hard
 * link. Returns the names added.
 */
export function storeOtherNames(db: Db, seq: number, carried: (path: string) => boolean): string[] {
  const linked = db.prepare("SELECT dev, ino, MAX(nlink) FROM scan_files WHERE nlink > 1 AND type != 'dir' GROUP BY dev, ino").raw(true).all() as Array<[number, number, number]>;
  if (linked.length === 0) return [];
  const nlinkOf = new Map(linked.map(([dev, ino, nlink]) => [`${dev}:${ino}`, nlink]));
  const stored = db.prepare('SELECT 1 FROM scan_files WHERE path = ?').pluck();
  const deleted = db.prepare('SELECT 1 FROM archive_deletions WHERE seq = ? AND path = ?').pluck();
  const rows: unknown[][] = [];
  // the snapshot has no index by inode: one pass over it (only when a stored file has several names)
  for (const r of db.prepare(`SELECT ${ROW_COLUMNS} FROM snapshot WHERE type != 'dir' AND (nlink > 1 OR nlink IS NULL)`).raw(true).iterate() as Iterable<unknown[]>) {
    const nlink = nlinkOf.get(`${r[8] as number}:${r[9] as number}`);
    if (nlink === undefined || stored.get(r[0]) !== undefined || deleted.get(seq, r[0]) !== undefined) continue;
    const path = nameFromColumn(r[0] as string | Buffer);
    if (carried(path)) continue;
    r[13] = nlink;
    rows.push(r);
  }
  if (rows.length === 0) return [];
  const added = rows.map((r) => nameFromColumn(r[0] as string | Buffer));
  const byParent = new Map<string, Set<string>>();
  for (const path of added) {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    byParent.set(parent, (byParent.get(parent) ?? new Set()).add(path.slice(slash + 1)));
  }
  const insert = db.prepare(`INSERT INTO scan_files (${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const listing = db.prepare('SELECT dumpdir FROM scan_dirs WHERE ord = ?').pluck();
  const relist = db.prepare('UPDATE scan_dirs SET dumpdir = ? WHERE ord = ?');
  const dirs = db.prepare('SELECT ord, path FROM scan_dirs').raw(true).all() as Array<[number, string | Buffer]>;
  db.transaction(() => {
    for (const r of rows) insert.run(...r);
    for (const [ord, p] of dirs) {
      const names = byParent.get(nameFromColumn(p));
      if (!names) continue;
      const entries = decodeDumpdir(listing.get(ord) as Buffer).map((e) => (names.has(e.name) && e.flag === 'N' ? { ...e, flag: 'Y' as const } : e));
      relist.run(encodeDumpdir(entries), ord);
    }
  })();
  return added;
}

/**
 * Gives scanned files an identity no file has (times -1 s + 999,999,999 ns, inode and device
 * 0), so the next run stores them again if they are there and records their deletion if not:
 * for files left out or torn (changed, vanished or unreadable while read).
 */
export function markUntrusted(db: Db, paths: readonly string[]): void {
  const stmt = db.prepare('UPDATE scan_files SET mtime_s = -1, mtime_nsec = 999999999, ctime_s = -1, ctime_nsec = 999999999, ino = 0, dev = 0 WHERE path = ?');
  db.transaction(() => {
    for (const p of paths) stmt.run(nameColumn(p));
  })();
}

/**
 * Makes the snapshot what the scan found. For a full archive the scan's rows are the
 * snapshot: the snapshot table is dropped and scan_files renamed to it (no row is copied)
 * and created anew. For an incremental one the deleted paths of archive `seq` go and the
 * changed rows are written (unchanged rows are not touched). Call inside the transaction
 * that commits the archive: SQLite's schema changes are transactional, so a crash leaves the
 * old snapshot and the scan, or the new snapshot.
 */
export function applyScan(db: Db, a: { seq: number; full: boolean }): void {
  if (a.full) {
    // scan_files is created anew from its own definition as the catalog holds it (migration 8)
    const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'scan_files'").get() as { sql: string };
    db.exec(`DROP TABLE snapshot; ALTER TABLE scan_files RENAME TO snapshot; ${sql}`);
  } else {
    db.prepare('DELETE FROM snapshot WHERE path IN (SELECT path FROM archive_deletions WHERE seq = ?)').run(a.seq);
    db.prepare(`INSERT OR REPLACE INTO snapshot (${ROW_COLUMNS}) SELECT ${ROW_COLUMNS} FROM scan_files`).run();
    db.prepare('DELETE FROM scan_files').run();
  }
  db.prepare('DELETE FROM scan_dirs').run();
}

/** The snapshot in path order (compareUtf8, the order of the scan), read a page at a time. */
export function snapshotInOrder(db: Db, page = 2000): Generator<TreeEntry> {
  return inPathOrder(db, `SELECT ${ENTRY_COLUMNS} FROM snapshot WHERE`, page, (r) => entryFromRow(r, 0));
}

/**
 * The rows `select` (a SELECT whose first column is the path, ending in WHERE or AND) gives,
 * decoded, in path order (compareUtf8, the order of the scan), read a page at a time so that
 * other statements can run between pages. Names stored as TEXT come in the table's order
 * (BINARY collation is UTF-8 byte order); the few stored as BLOBs (not valid UTF-8) sort
 * after every TEXT in SQLite, so they are read first and merged in.
 */
function* inPathOrder(db: Db, select: string, page: number, decode: (r: unknown[]) => TreeEntry): Generator<TreeEntry> {
  const blobs = (db.prepare(`${select} path >= x'' ORDER BY path`).raw(true).all() as unknown[][]).map(decode);
  blobs.sort((x, y) => compareUtf8(x.path, y.path));
  let b = 0;
  const first = db.prepare(`${select} path < x'' ORDER BY path LIMIT ?`).raw(true);
  const next = db.prepare(`${select} path > ? AND path < x'' ORDER BY path LIMIT ?`).raw(true);
  for (let after: unknown = null; ; ) {
    const rows = (after === null ? first.all(page) : next.all(after, page)) as unknown[][];
    for (const r of rows) {
      const e = decode(r);
      while (b < blobs.length && compareUtf8(blobs[b].path, e.path) < 0) yield blobs[b++];
      yield e;
    }
    if (rows.length < page) break;
    after = rows[rows.length - 1][0];
  }
  while (b < blobs.length) yield blobs[b++];
}
