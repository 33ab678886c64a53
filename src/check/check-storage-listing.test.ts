import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeDescription } from '../storage/archive-description.js';
import { storageListingProblems } from './check-storage-listing.js';

const H = (c: string) => c.repeat(64);
const describe = (set: string, seq: number) => encodeDescription({ kind: 'data', host: 'h', set, seq, level: seq === 1 ? 0 : 1, parentSeq: seq === 1 ? null : seq - 1, createdAt: new Date('2026-11-01T00:00:00Z'), fileName: `${set}-${seq}.tar.gz` });
const archive = (seq: number, over: Partial<{ uploadedAt: string; size: number; treeHash: string }> = {}) => ({ seq, archiveId: `id${seq}`, uploadState: 'uploaded', size: 100 * seq, treeHash: H(String(seq)), uploadedAt: '2026-11-01T00:00:00.000Z', ...over });

test('a listing that agrees with the catalog has no problems; catalog snapshots and other sets are not strangers', () => {
  const objects = [
    { archiveId: 'id1', description: describe('s', 1), size: 100, treeHash: H('1') },
    { archiveId: 'snap', description: 'backup/1 whatever', size: 5 },
    { archiveId: 'other', description: describe('t', 7), size: 9 },
  ];
  assert.deepEqual(storageListingProblems({ of: 'bucket', asOf: '2026-11-02T00:00:00.000Z', objects }, [archive(1)], 's', new Set(['snap'])), []);
});

test('missing, size or checksum mismatch, an orphan of this set and a foreign object are one problem each; an archive newer than the listing is not', () => {
  const objects = [
    { archiveId: 'id2', description: describe('s', 2), size: 201, treeHash: H('2') },
    { archiveId: 'id3', description: describe('s', 3), size: 300, treeHash: H('f') },
    { archiveId: 'orphan', description: describe('s', 9), size: 9 },
    { archiveId: 'foreign', description: 'holiday photos', size: 7 },
  ];
  const problems = storageListingProblems({ of: 'vault', asOf: '2026-11-02T00:00:00.000Z', objects }, [archive(1), archive(2), archive(3), archive(4, { uploadedAt: '2026-11-03T00:00:00.000Z' })], 's', new Set());
  assert.deepEqual(problems.map((p) => p.seq), [1, 2, 3, 9, null]);
  assert.match(problems[0].what, /^missing from the vault listing of 2026-11-02T00:00:00.000Z \(archive ID id1\)$/);
  assert.match(problems[1].what, /^differs in the vault listing .*: 201 bytes, .*; the catalog has 200 bytes/);
  assert.match(problems[2].what, /^differs in the vault listing .*tree hash f{64}; the catalog has 300 bytes, 3{64}$/);
  assert.match(problems[3].what, /unknown to the catalog: data archive s-9\.tar\.gz \(archive ID orphan\)/);
  assert.match(problems[4].what, /^in the vault listing of .* but not stored by backup: foreign \(7 bytes, description "holiday photos"\)/);
});

test('a bucket listing without tree hashes is compared by size alone', () => {
  const objects = [{ archiveId: 'id1', description: describe('s', 1), size: 100 }];
  assert.deepEqual(storageListingProblems({ of: 'bucket', asOf: '2026-11-02T00:00:00.000Z', objects }, [archive(1)], 's', new Set()), []);
});
