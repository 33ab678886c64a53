import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatArchiveName, newChainId, parseArchiveName } from './archive-name.js';
import { chooseLevel } from './choose-level.js';

test('archive names round-trip and sort in chain order', () => {
  const n = { set: 'photos-2', seq: 12, level: 1, createdAt: new Date('2026-11-23T02:00:00Z') };
  const name = formatArchiveName(n);
  assert.equal(name, 'photos-2-000012-L1-20261123T020000Z.tar.gz');
  assert.deepEqual(parseArchiveName(name), n);
  assert.equal(parseArchiveName('notes.txt'), null);
  const a = formatArchiveName({ ...n, seq: 9 });
  assert.ok(a < name);
  const chained = { ...n, chainId: '3f9ac2b1' };
  assert.equal(formatArchiveName(chained), 'photos-2-000012-L1-20261123T020000Z-3f9ac2b1.tar.gz');
  assert.deepEqual(parseArchiveName(formatArchiveName(chained)), chained);
  assert.match(newChainId(), /^[0-9a-f]{8}$/);
  const sealed = { ...chained, encrypted: true };
  assert.equal(formatArchiveName(sealed), 'photos-2-000012-L1-20261123T020000Z-3f9ac2b1.tar.gz.age');
  assert.deepEqual(parseArchiveName(formatArchiveName(sealed)), sealed);
});

test('chooseLevel starts a full chain when needed and otherwise goes one level deeper', () => {
  assert.equal(chooseLevel({ latest: undefined, full: false, fullEvery: 3, hasSnapshot: false }).level, 0);
  assert.deepEqual(chooseLevel({ latest: { seq: 5, level: 1 }, full: false, fullEvery: 3, hasSnapshot: true }), { level: 2, parentSeq: 5 });
  assert.equal(chooseLevel({ latest: { seq: 5, level: 3 }, full: false, fullEvery: 3, hasSnapshot: true }).level, 0);
  assert.equal(chooseLevel({ latest: { seq: 5, level: 1 }, full: true, fullEvery: 3, hasSnapshot: true }).level, 0);
  assert.equal(chooseLevel({ latest: { seq: 5, level: 1 }, full: false, fullEvery: 3, hasSnapshot: false }).level, 0);
  assert.equal(chooseLevel({ latest: { seq: 5, level: 0 }, full: false, fullEvery: 0, hasSnapshot: true }).level, 0);
  assert.deepEqual(chooseLevel({ latest: { seq: 5, level: 1 }, full: false, fullEvery: 3, hasSnapshot: true, broken: 'archive 4 was deleted' }), { level: 0, parentSeq: null, reason: 'the current chain is broken (archive 4 was deleted)' });
});

test('turning encryption on or off starts a new full chain: a chain never mixes', () => {
  const on = chooseLevel({ latest: { seq: 5, level: 1 }, full: false, fullEvery: 3, hasSnapshot: true, encryptionChanged: 'on' });
  assert.deepEqual(on, { level: 0, parentSeq: null, reason: 'encryption was turned on (a chain never mixes plain and encrypted archives)' });
  assert.equal(chooseLevel({ latest: { seq: 5, level: 1 }, full: false, fullEvery: 3, hasSnapshot: true, encryptionChanged: 'off' }).level, 0);
});

test('a name with a sequence or level no catalog can hold is not an archive name (catalog rebuild --from-archives failed with an internal "datatype mismatch")', () => {
  assert.equal(parseArchiveName('photos-99999999999999999999-L0-20261123T020000Z-3f9ac2b1.tar.gz'), null);
  assert.equal(parseArchiveName('photos-000012-L99999999999999999999-20261123T020000Z-3f9ac2b1.tar.gz'), null);
});
