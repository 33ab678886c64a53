import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeEntry } from '../scan/tree-entry.js';
import type { ArchivedMember } from '../archive/archived-member.js';
import Database from 'better-sqlite3';
import { catalogIntegrity, openCatalog, type Db } from './open-catalog.js';
import { archiveDeletions, archiveMembers, commitArchive, type NewArchive } from './archive-store.js';
import { discardUncommitted, ScanRecorder, scannedDirs, scannedFiles, snapshotInOrder } from './scan-store.js';
import { migrations } from './migrations.js';

const entry = (path: string, type: TreeEntry['type'], extra: Partial<TreeEntry> = {}): TreeEntry => ({
  path, type, mode: 0o644, size: 10, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: -1n, dev: 2049, ino: path.length + 100, uid: 1000, gid: 1000, ...extra,
});

/** Files of every kind the scan records, in scan order: names not UTF-8, times before 1970 and past 2262, hard links, devices. */
const files: TreeEntry[] = [
  entry('a/f', 'file', { nlink: 2, size: 2 ** 40 }),
  entry('a/fifo', 'fifo', { mode: 0o600 }),
  entry('a/link', 'symlink', { linkTarget: 'to-\udcff' }),
  entry('a/null', 'chardev', { devMajor: 1, devMinor: 3 }),
  entry('a/old', 'file', { nlink: 1, mtimeNs: -1_234_567_890_123n, ctimeNs: 0n }),
  entry('a/\udcfe', 'file', { nlink: 1, mtimeNs: 10_000_000_000_000_000_000n }),
  entry('b', 'file', { nlink: 1, mtimeNs: 999_999_999n, ctimeNs: 1_000_000_000n }),
];

function withCatalog(fn: (db: Db) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'scan-store-'));
  try {
    const db = openCatalog(join(dir, 'catalog.db'));
    try {
      fn(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the scan, members and deletions read back exactly as recorded, whatever the batch size', () => {
  withCatalog((db) => {
    for (const batch of [1, 2, 3, files.length, 1000]) {
      discardUncommitted(db, 1);
      const rec = new ScanRecorder(db, 1, batch);
      const dirs = [entry('', 'dir', { mode: 0o755 }), entry('a', 'dir', { mode: 0o700, ctimeNs: 5n })];
      dirs.forEach((d, i) => rec.dir(i, i === 0, Buffer.from(`body ${i}`), d));
      for (const f of files) rec.file(f);
      const members: ArchivedMember[] = files.map((f, i) => ({ path: f.path, type: f.type, mode: f.mode, size: f.size, mtime: 1_700_000_000, tarOffset: i * 1024, uid: 0, gid: 0, uname: 'root', gname: 'root' }));
      members[2] = { ...members[2], linkTarget: 'to-\udcff' };
      members[3] = { path: 'a/null', type: 'chardev', mode: 0o644, size: 0, mtime: 0, tarOffset: 3072, devMajor: 1, devMinor: 3 };
      for (const m of members) rec.member(m);
      rec.deleted('gone');
      rec.deleted('gone-\udcfd');
      rec.flush();
      assert.deepEqual([...scannedDirs(db, 1)].map((d) => [d.entry, d.body.toString()]), dirs.map((d, i) => [d, `body ${i}`]), `dirs, batches of ${batch}`);
      for (const page of [1, 2, 1000]) {
        assert.deepEqual([...scannedFiles(db, page)], files, `files, batches of ${batch}, pages of ${page}`);
      }
      assert.deepEqual(archiveMembers(db, 1), members, `members, batches of ${batch}`);
      assert.deepEqual(archiveDeletions(db, 1).sort(), ['gone', 'gone-\udcfd'], `deletions, batches of ${batch}`);
    }
  });
});

/** The columns of a table, as SQLite describes them (name, type, not null, default, key). */
const columnsOf = (db: Db, table: string) => db.pragma(`table_info(${table})`);

const record = (seq: number): NewArchive['record'] => ({
  seq, level: seq === 1 ? 0 : 1, parentSeq: seq === 1 ? null : seq - 1, chainSeq: 1, createdAt: '2026-01-01T00:00:00.000Z', fileName: `a${seq}.tar.gz`,
  size: 1, rawSize: 1, treeHash: 'h', blockSize: 1, fileCount: 1, stagedPath: null, localPath: null, uploadState: 'none', description: null, runId: null,
});

/** Records a scan (directory '' and `files`) as archive `seq` and commits it. */
function commitScan(db: Db, seq: number, full: boolean, files: TreeEntry[], opts: { deleted?: string[]; untrusted?: string[] } = {}): void {
  discardUncommitted(db, seq);
  const rec = new ScanRecorder(db, seq, 2);
  rec.dir(0, full, Buffer.alloc(0), entry('', 'dir', { mode: 0o755 }));
  for (const f of files) rec.file(f);
  for (const p of opts.deleted ?? []) rec.deleted(p);
  rec.flush();
  commitArchive(db, { record: record(seq), members: [], blocks: [], deleted: [], scan: { full, untrusted: opts.untrusted ?? [] } });
}

const snapshotRow = (e: TreeEntry): TreeEntry => ({ path: e.path, type: e.type, mode: e.mode, size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, dev: e.dev, ino: e.ino, uid: e.uid, gid: e.gid, ...(e.linkTarget === undefined ? {} : { linkTarget: e.linkTarget }) });

test('a full commit makes the scan the snapshot (scan_files renamed), keeps both tables in one shape, and incrementals apply over it', () => {
  withCatalog((db) => {
    const fresh = { snapshot: columnsOf(db, 'snapshot'), scan: columnsOf(db, 'scan_files') };
    assert.deepEqual(fresh.scan, fresh.snapshot);
    for (const seq of [1, 2]) {
      commitScan(db, seq, true, files);
      assert.deepEqual([...snapshotInOrder(db, 2)], [entry('', 'dir', { mode: 0o755 }), ...files].map(snapshotRow), `after full ${seq}`);
      assert.deepEqual(columnsOf(db, 'snapshot'), fresh.snapshot, `snapshot's columns after full ${seq}`);
      assert.deepEqual(columnsOf(db, 'scan_files'), fresh.scan, `scan_files' columns after full ${seq}`);
      assert.deepEqual([...scannedFiles(db)], [], 'the scan is emptied');
    }
    // an incremental: one file changed, one deleted, one torn while read, the directory unchanged
    const changed = { ...files[0], size: 3 };
    commitScan(db, 3, false, [changed, files[6]], { deleted: ['a/fifo'], untrusted: ['b'] });
    const untrusted = { ...snapshotRow(files[6]), mtimeNs: -1n, ctimeNs: -1n, ino: 0, dev: 0 };
    assert.deepEqual([...snapshotInOrder(db)], [entry('', 'dir', { mode: 0o755 }), changed, ...files.slice(2, 6), untrusted].map(snapshotRow));
    assert.equal(catalogIntegrity(db).length, 0);
  });
});

test('migration 8 keeps the snapshot of a catalog at schema 7 and drops a scan left by a dead run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scan-store-migrate-'));
  try {
    const path = join(dir, 'catalog.db');
    const old = new Database(path);
    for (const m of migrations.slice(0, 7)) old.exec(m);
    old.pragma('user_version = 7');
    old.prepare(`INSERT INTO snapshot (path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid, link_target) VALUES ('a', 'symlink', 511, 0, -2, 5, 1700000000, 999999999, 1, 2, 3, 4, 'b')`).run();
    old.prepare(`INSERT INTO scan_files (path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid) VALUES ('x', 'file', 420, 1, 1, 1, 1, 1, 1, 1, 1, 1)`).run();
    old.prepare(`INSERT INTO scan_dirs (ord, changed, dumpdir, path, type, mode, size, mtime_s, mtime_nsec, ctime_s, ctime_nsec, dev, ino, uid, gid) VALUES (0, 1, x'', '', 'dir', 493, 0, 1, 1, 1, 1, 1, 1, 1, 1)`).run();
    old.close();
    const db = openCatalog(path);
    try {
      assert.equal(db.pragma('user_version', { simple: true }), migrations.length);
      assert.deepEqual([...snapshotInOrder(db)], [{ path: 'a', type: 'symlink', mode: 511, size: 0, mtimeNs: -1_999_999_995n, ctimeNs: 1_700_000_000_999_999_999n, dev: 1, ino: 2, uid: 3, gid: 4, linkTarget: 'b' }]);
      assert.deepEqual([...scannedFiles(db)], []);
      assert.deepEqual([...scannedDirs(db)], []);
      assert.deepEqual(columnsOf(db, 'scan_files'), columnsOf(db, 'snapshot'));
      commitScan(db, 1, true, files);
      assert.equal([...snapshotInOrder(db)].length, files.length + 1);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('batches leave the connection at its synchronous level (FULL), so the commit is durable; inside a transaction a batch is part of it', () => {
  withCatalog((db) => {
    const level = () => db.pragma('synchronous', { simple: true });
    assert.equal(level(), 2);
    discardUncommitted(db, 1);
    const rec = new ScanRecorder(db, 1, 1);
    for (const f of files.slice(0, 3)) rec.file(f);
    assert.equal(level(), 2);
    assert.equal([...scannedFiles(db)].length, 3);
    assert.throws(() =>
      db.transaction(() => {
        for (const f of files.slice(3)) rec.file(f);
        assert.equal([...scannedFiles(db)].length, files.length);
        throw new Error('rolled back');
      })(),
    );
    assert.equal(level(), 2);
    assert.deepEqual([...scannedFiles(db)], files.slice(0, 3));
  });
});
