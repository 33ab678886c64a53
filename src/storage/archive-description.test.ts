import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESCRIPTION_PREFIX, MAX_DESCRIPTION_LENGTH, decodeDescription, encodeDescription, type ArchiveDescription } from './archive-description.js';

const base: ArchiveDescription = {
  kind: 'data',
  host: 'nas',
  set: 'photos',
  seq: 12,
  level: 1,
  parentSeq: 11,
  createdAt: new Date('2026-11-23T02:30:00.000Z'),
  fileName: 'photos-000012-L1.tar.gz',
  treeHash: 'ab'.repeat(32),
  size: 123456,
};

const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);

test('a description round-trips every field and names the tool and format version', () => {
  const s = encodeDescription(base);
  assert.ok(s.startsWith(DESCRIPTION_PREFIX));
  assert.ok(printable(s));
  const d = decodeDescription(s);
  assert.deepEqual(d, { ...base, version: 1, truncated: false });
});

test('a full backup has a null parent and tree hash and size may be omitted (pipelined uploads)', () => {
  const { treeHash: _t, size: _s, ...rest } = base;
  const s = encodeDescription({ ...rest, level: 0, parentSeq: null });
  const d = decodeDescription(s)!;
  assert.equal(d.parentSeq, null);
  assert.equal(d.treeHash, undefined);
  assert.equal(d.size, undefined);
});

test('a catalog snapshot is marked as such', () => {
  assert.equal(decodeDescription(encodeDescription({ ...base, kind: 'catalog' }))?.kind, 'catalog');
});

test('non-ASCII host and file names are escaped to printable ASCII and decode back', () => {
  const d = { ...base, host: 'büro-π-日本', fileName: 'fotos-é.tar.gz' };
  const s = encodeDescription(d);
  assert.ok(printable(s), s);
  assert.ok(s.includes('\\u00fc'));
  const back = decodeDescription(s)!;
  assert.equal(back.host, d.host);
  assert.equal(back.fileName, d.fileName);
});

test('long host and file names are shortened to fit 1024 characters and marked as cut', () => {
  const d = { ...base, host: 'h'.repeat(900), fileName: 'f'.repeat(900) };
  const s = encodeDescription(d);
  assert.ok(s.length <= MAX_DESCRIPTION_LENGTH, `length ${s.length}`);
  assert.ok(printable(s));
  const back = decodeDescription(s)!;
  assert.equal(back.truncated, true);
  assert.ok(back.host.endsWith('~'));
  assert.equal(back.set, base.set);
  assert.equal(back.seq, base.seq);
  assert.equal(back.treeHash, base.treeHash);
});

test('escaped non-ASCII names that overflow are shortened without splitting characters', () => {
  const s = encodeDescription({ ...base, host: '日'.repeat(400), fileName: '本'.repeat(400) });
  assert.ok(s.length <= MAX_DESCRIPTION_LENGTH, `length ${s.length}`);
  assert.ok(printable(s));
  assert.equal(decodeDescription(s)?.truncated, true);
});

test('a set name too long for any description is refused with a message naming the setting', () => {
  assert.throws(() => encodeDescription({ ...base, set: 's'.repeat(1000) }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /shorter `set`/.test(e.message));
});

test('the longest configurable set name (64 chars) with a long host still fits', () => {
  const s = encodeDescription({ ...base, set: 'S'.repeat(64), host: 'x'.repeat(253), fileName: `${'S'.repeat(64)}-000012-L1.tar.gz` });
  assert.ok(s.length <= MAX_DESCRIPTION_LENGTH);
  assert.equal(decodeDescription(s)?.truncated, false);
});

test('foreign and malformed descriptions decode to null', () => {
  for (const s of ['', 'my photos 2019', '/home/me/backup.tar', 'backup/1 not json', 'backup/1 {"kind":"other"}', `backup/1 ${JSON.stringify({ kind: 'data', host: 'h', set: 's', seq: -1, level: 0, parent: null, created: '2026-01-01T00:00:00Z', file: 'f' })}`, null, undefined]) {
    assert.equal(decodeDescription(s), null, String(s));
  }
});

test('an invalid tree hash is refused at encode time', () => {
  assert.throws(() => encodeDescription({ ...base, treeHash: 'XYZ' }), /tree hash/);
});
