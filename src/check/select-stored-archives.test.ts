import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePercent, parseSeed, selectStoredArchives } from './select-stored-archives.js';
import { isBackupError } from '../errors.js';

const archives = [
  ...Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, archiveId: `id${i + 1}`, uploadState: 'uploaded' })),
  { seq: 21, archiveId: null, uploadState: 'pending' },
  { seq: 22, archiveId: 'id22', uploadState: 'deleted' },
];

test('all: every uploaded archive, in sequence order, none pending or deleted', () => {
  assert.deepEqual(selectStoredArchives(archives, { kind: 'all' }).map((a) => a.seq), Array.from({ length: 20 }, (_, i) => i + 1));
});

test('--seq names exactly those archives; one not stored offsite or unknown is a usage error', () => {
  assert.deepEqual(selectStoredArchives(archives, { kind: 'seqs', seqs: [7, 3] }).map((a) => a.seq), [3, 7]);
  assert.throws(() => selectStoredArchives(archives, { kind: 'seqs', seqs: [21] }), (e) => isBackupError(e, 'USAGE') && /upload is pending/.test(e.message));
  assert.throws(() => selectStoredArchives(archives, { kind: 'seqs', seqs: [22] }), (e) => isBackupError(e, 'USAGE') && /deleted/.test(e.message));
  assert.throws(() => selectStoredArchives(archives, { kind: 'seqs', seqs: [99] }), (e) => isBackupError(e, 'USAGE') && /no archive 99/.test(e.message));
});

test('--sample: that percentage rounded up, at least one, the same seed gives the same sample, seeds differ', () => {
  const pick = (percent: number, seed: number) => selectStoredArchives(archives, { kind: 'sample', percent, seed }).map((a) => a.seq);
  assert.equal(pick(10, 1).length, 2);
  assert.equal(pick(1, 1).length, 1);
  assert.equal(pick(100, 5).length, 20);
  assert.equal(pick(12, 3).length, 3);
  assert.deepEqual(pick(25, 42), pick(25, 42));
  const samples = new Set(Array.from({ length: 10 }, (_, seed) => pick(25, seed).join(',')));
  assert.ok(samples.size > 5, [...samples].join(' | '));
  for (const s of pick(50, 9)) assert.ok(s >= 1 && s <= 20);
  assert.equal(new Set(pick(50, 9)).size, 10);
});

test('--sample and --seed values are checked', () => {
  assert.equal(parsePercent('5'), 5);
  assert.equal(parsePercent('2.5%'), 2.5);
  for (const bad of ['0', '101', 'x', '-3', '']) assert.throws(() => parsePercent(bad), (e) => isBackupError(e, 'USAGE'));
  assert.equal(parseSeed('4294967295'), 4294967295);
  for (const bad of ['4294967296', '-1', '1.5', 'abc']) assert.throws(() => parseSeed(bad), (e) => isBackupError(e, 'USAGE'));
});
