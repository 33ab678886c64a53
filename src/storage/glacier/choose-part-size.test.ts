import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MiB } from '../../treehash/tree-hash.js';
import { MAX_PARTS, choosePartSize } from './upload-archive.js';

test('the configured part size is kept while the archive fits in 10,000 parts', () => {
  assert.equal(choosePartSize(0, 32), 32 * MiB);
  assert.equal(choosePartSize(10_000 * 32 * MiB, 32), 32 * MiB);
  assert.equal(choosePartSize(5 * MiB, 1), MiB);
});

test('the part size doubles to the smallest power of two that fits 10,000 parts', () => {
  assert.equal(choosePartSize(10_000 * 32 * MiB + 1, 32), 64 * MiB);
  assert.equal(choosePartSize(2 ** 40, 1), 128 * MiB); // 1 TiB: 1 MiB × 10,000 is too small; 128 MiB × 8192 fits
  for (const bytes of [1, 12_345 * MiB, 3e12, 39e12]) {
    const p = choosePartSize(bytes, 1);
    assert.ok(Math.ceil(bytes / p) <= MAX_PARTS);
    assert.ok(p === MiB || Math.ceil(bytes / (p / 2)) > MAX_PARTS, `${bytes}: ${p} is not the smallest`);
  }
});

test('archives beyond 10,000 × 4 GiB and invalid configured sizes are refused', () => {
  assert.throws(() => choosePartSize(10_000 * 4096 * MiB + 1, 32), /10,000 parts of 4 GiB/);
  assert.throws(() => choosePartSize(1, 3), /power of two/);
  assert.throws(() => choosePartSize(1, 8192), /power of two/);
});
