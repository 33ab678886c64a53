import { test } from 'node:test';
import assert from 'node:assert/strict';
import { treeAt } from './tree-at.js';
import { chainTo, targetArchive } from './plan-chain.js';

const m = (path: string, type: 'file' | 'dir' | 'symlink' = 'file', tarOffset = 0) => ({ path, type, mode: 0o644, size: 1, mtime: 1, tarOffset });

test('treeAt applies deletions recursively before the archive sets what it stores', () => {
  const tree = treeAt([
    { seq: 1, members: [m('', 'dir'), m('a', 'dir'), m('a/x'), m('a/y'), m('b')], deletions: [] },
    { seq: 2, members: [m('', 'dir'), m('c', 'dir'), m('c/x')], deletions: ['a', 'a/x', 'a/y'] },
    { seq: 3, members: [m('', 'dir'), m('c', 'dir'), m('b', 'dir'), m('b/z')], deletions: ['b'] },
  ]);
  assert.deepEqual([...tree.keys()].sort(), ['', 'b', 'b/z', 'c', 'c/x']);
  assert.equal(tree.get('c/x')?.seq, 2);
  assert.equal(tree.get('b')?.type, 'dir');
});

test('a file kept unchanged keeps pointing at the archive that stored it', () => {
  const tree = treeAt([
    { seq: 1, members: [m(''), m('f')], deletions: [] },
    { seq: 2, members: [m('')], deletions: [] },
  ]);
  assert.equal(tree.get('f')?.seq, 1);
});

const archives = [
  { seq: 1, level: 0, parentSeq: null, createdAt: '2026-11-01T02:00:00Z', uploadState: 'uploaded' },
  { seq: 2, level: 1, parentSeq: 1, createdAt: '2026-11-02T02:00:00Z', uploadState: 'uploaded' },
  { seq: 3, level: 2, parentSeq: 2, createdAt: '2026-11-03T02:00:00Z', uploadState: 'uploaded' },
  { seq: 4, level: 0, parentSeq: null, createdAt: '2026-11-04T02:00:00Z', uploadState: 'uploaded' },
];

test('targetArchive picks by sequence, by time and the latest', () => {
  assert.equal(targetArchive(archives, { seq: 2 }).seq, 2);
  assert.equal(targetArchive(archives, { at: new Date('2026-11-03T12:00:00Z') }).seq, 3);
  assert.equal(targetArchive(archives, { latest: true }).seq, 4);
  assert.throws(() => targetArchive(archives, { at: new Date('2026-10-01T00:00:00Z') }), /no backup was made at or before/);
  assert.throws(() => targetArchive(archives, { seq: 9 }), /no archive with sequence 9/);
});

test('chainTo walks back to the full archive and refuses a deleted link', () => {
  assert.deepEqual(chainTo(archives, archives[2]).map((a) => a.seq), [1, 2, 3]);
  assert.deepEqual(chainTo(archives, archives[3]).map((a) => a.seq), [4]);
  const broken = archives.map((a) => (a.seq === 2 ? { ...a, uploadState: 'deleted' } : a));
  assert.throws(() => chainTo(broken, broken[2]), /depends on archive 2, which is deleted/);
});
