import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeEntry } from '../scan/tree-entry.js';
import { compareUtf8 } from '../scan/compare-utf8.js';
import { openCatalog } from './open-catalog.js';
import { replaceSnapshot } from './snapshot-store.js';
import { snapshotInOrder } from './scan-store.js';

const entry = (path: string, type: TreeEntry['type'], extra: Partial<TreeEntry> = {}): TreeEntry => ({
  path, type, mode: 0o644, size: 10, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: -1n, dev: 2049, ino: path.length + 100, uid: 1000, gid: 1000, ...extra,
});

test('the snapshot reads back in scan order, page by page, with names that are not UTF-8 (stored as BLOBs) merged in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-store-'));
  try {
    const db = openCatalog(join(dir, 'catalog.db'));
    // \udcff stands for the byte 0xff (not UTF-8): a BLOB, which SQLite sorts after every TEXT
    const paths = ['', 'a', 'a-b', 'a/x', 'a/\udcff', 'b\udcfe', 'b', 'ba', 'c', 'é', '\u{1F600}', '\uffff'];
    const entries = paths.map((p) => entry(p, p === '' || p === 'a' ? 'dir' : 'file', p === 'c' ? { type: 'symlink', linkTarget: 'to-\udcff' } : {}));
    db.transaction(() => replaceSnapshot(db, entries))();
    const sorted = [...entries].sort((x, y) => compareUtf8(x.path, y.path));
    for (const page of [1, 2, 5, 100]) assert.deepEqual([...snapshotInOrder(db, page)], sorted, `pages of ${page}`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
