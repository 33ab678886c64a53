import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDumpdir, encodeDumpdir } from './dumpdir-body.js';
import { isBackupError } from '../errors.js';

test('entries are sorted by raw UTF-8 bytes, not by JavaScript string order', () => {
  // U+FFFD is EF BF BD in UTF-8 and sorts before an emoji (F0 …), though its UTF-16 unit
  // 0xFFFD sorts after the emoji's surrogate 0xD83D; "B" < "b" < "é" by bytes as well
  const names = ['😀', '\uFFFD', 'é', 'b', 'B', 'a-b', 'a.b'];
  assert.deepEqual([...names].sort(), ['B', 'a-b', 'a.b', 'b', 'é', '😀', '\uFFFD']);
  const body = encodeDumpdir(names.map((name) => ({ name, flag: 'Y' as const })));
  assert.deepEqual(
    decodeDumpdir(body).map((e) => e.name),
    ['B', 'a-b', 'a.b', 'b', 'é', '\uFFFD', '😀'],
  );
});

test('each entry is flag, name, NUL; the body ends with one extra NUL', () => {
  const body = encodeDumpdir([
    { name: 'sub', flag: 'D' },
    { name: 'kept', flag: 'N' },
    { name: 'new', flag: 'Y' },
  ]);
  assert.equal(body.toString('latin1'), 'Nkept\0Ynew\0Dsub\0\0');
  assert.deepEqual(encodeDumpdir([]), Buffer.from([0]));
  assert.deepEqual(decodeDumpdir(Buffer.from([0])), []);
});

test('decoding gives back the listing and ignores padding after the final NUL', () => {
  const listing = [
    { name: 'a', flag: 'Y' as const },
    { name: 'héllo wörld ✓.txt', flag: 'N' as const },
    { name: 'z', flag: 'D' as const },
  ];
  const padded = Buffer.concat([encodeDumpdir(listing), Buffer.alloc(100)]);
  assert.deepEqual(decodeDumpdir(padded), listing);
});

test('names with a slash or NUL are refused when encoding; rename entries are refused when decoding', () => {
  assert.throws(() => encodeDumpdir([{ name: 'a/b', flag: 'Y' }]), RangeError);
  assert.throws(() => encodeDumpdir([{ name: '', flag: 'Y' }]), RangeError);
  assert.throws(
    () => decodeDumpdir(Buffer.from('Rold\0Tnew\0\0', 'latin1')),
    (err) => isBackupError(err, 'ARCHIVE_CORRUPT'),
  );
  assert.throws(
    () => decodeDumpdir(Buffer.from('Yunterminated', 'latin1')),
    (err) => isBackupError(err, 'ARCHIVE_CORRUPT'),
  );
});
