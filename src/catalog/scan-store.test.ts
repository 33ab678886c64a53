import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeEntry } from '../scan/tree-entry.js';
import type { ArchivedMember } from '../archive/archived-member.js';
import { openCatalog, type Db } from './open-catalog.js';
import { archiveDeletions, archiveMembers } from './archive-store.js';
import { discardUncommitted, ScanRecorder, scannedDirs, scannedFiles } from './scan-store.js';

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
        assert.deepEqual([...scannedFiles(db, page)].map(({ id: _id, ...e }) => e), files, `files, batches of ${batch}, pages of ${page}`);
      }
      assert.deepEqual(archiveMembers(db, 1), members, `members, batches of ${batch}`);
      assert.deepEqual(archiveDeletions(db, 1).sort(), ['gone', 'gone-\udcfd'], `deletions, batches of ${batch}`);
    }
  });
});
