import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeEntry } from '../scan/tree-entry.js';
import { openCatalog } from './open-catalog.js';
import { loadSnapshot, replaceSnapshot, updateSnapshot } from './snapshot-store.js';

const entry = (path: string, type: TreeEntry['type'], extra: Partial<TreeEntry> = {}): TreeEntry => ({
  path, type, mode: 0o644, size: 10, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 1_700_000_000_123_456_789n, dev: 2049, ino: path.length + 100, uid: 1000, gid: 1000, ...extra,
});

test('updateSnapshot writing only the differences leaves the same snapshot as replacing it whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-store-'));
  try {
    const db = openCatalog(join(dir, 'catalog.db'));
    const before = [
      entry('', 'dir'),
      entry('a', 'file'),
      entry('b', 'file'),
      entry('c', 'symlink', { linkTarget: 'a' }),
      entry('d', 'dir'),
      entry('d/e', 'file'),
      entry('gone', 'file'),
    ];
    const after = [
      entry('', 'dir'),
      entry('a', 'file'), // unchanged
      entry('b', 'file', { mtimeNs: 1_800_000_000_000_000_001n }), // changed
      entry('c', 'symlink', { linkTarget: 'b' }), // new target
      entry('d', 'file'), // was a directory
      entry('new', 'file', { size: 99 }),
    ];
    db.transaction(() => replaceSnapshot(db, before))();
    const previous = loadSnapshot(db);
    db.transaction(() => updateSnapshot(db, after, previous))();
    const updated = loadSnapshot(db);
    db.transaction(() => replaceSnapshot(db, after))();
    assert.deepEqual(updated, loadSnapshot(db));
    assert.deepEqual([...updated.keys()].sort(), ['', 'a', 'b', 'c', 'd', 'new']);
    // nothing changed: nothing written, nothing removed
    db.transaction(() => updateSnapshot(db, after, loadSnapshot(db)))();
    assert.deepEqual(loadSnapshot(db), updated);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
