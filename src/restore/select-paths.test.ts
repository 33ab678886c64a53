import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathFilter, selectNodes } from './select-paths.js';
import type { TreeNode } from './tree-at.js';

const n = (path: string, type: TreeNode['type'] = 'file'): TreeNode => ({ path, type, mode: 0o644, size: 0, mtime: 0, tarOffset: 0, seq: 1 });
const tree = new Map(['', 'a', 'a/b', 'a/b/c.jpg', 'a/b/d.txt', 'e.jpg'].map((p) => [p, n(p, p === '' || p === 'a' || p === 'a/b' ? 'dir' : 'file')]));

test('without globs every node is restored', () => {
  assert.equal(selectNodes(tree, undefined).length, 6);
});

test('a glob selects matching files and the directories leading to them', () => {
  const got = selectNodes(tree, pathFilter(['**/*.jpg'])).map((x) => x.path).sort();
  assert.deepEqual(got, ['', 'a', 'a/b', 'a/b/c.jpg', 'e.jpg']);
});

test('a directory path selects everything below it', () => {
  const got = selectNodes(tree, pathFilter(['a/b/'])).map((x) => x.path).sort();
  assert.deepEqual(got, ['', 'a', 'a/b', 'a/b/c.jpg', 'a/b/d.txt']);
});

test('a glob that matches nothing selects nothing', () => {
  assert.deepEqual(selectNodes(tree, pathFilter(['zzz'])), []);
});
