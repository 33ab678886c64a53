import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitArchive, getArchive } from '../catalog/archive-store.js';
import { openCatalog } from '../catalog/open-catalog.js';
import { memoryJournal } from '../storage/memory-journal.js';
import { encodeDescription, type ArchiveDescription } from '../storage/archive-description.js';
import { memoryBackend } from '../storage/memory-backend.js';
import { MiB, treeHash } from '../treehash/tree-hash.js';
import { migrateToS3, type MigrateOptions } from './migrate-to-s3.js';

const opts: MigrateOptions = { tier: 'Bulk', wait: false, deleteSource: false, allowEarlyDelete: false, dryRun: false };

/** A catalog with three archives in a (cold) vault: 1 with a good local copy, 2 with a damaged one, 3 with none. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-unit-'));
  const db = openCatalog(join(dir, 'catalog.db'));
  const vault = memoryBackend({ cold: true });
  const bucket = memoryBackend();
  const created = new Date('2026-11-01T00:00:00.000Z');
  for (const seq of [1, 2, 3]) {
    const bytes = randomBytes(MiB + 1000 * seq);
    const fileName = `s-00000${seq}-L${seq - 1}.tar.gz`;
    const path = join(dir, fileName);
    writeFileSync(path, bytes);
    const meta: ArchiveDescription = { kind: 'data', host: 'h', set: 's', seq, level: seq - 1, parentSeq: seq === 1 ? null : seq - 1, createdAt: created, fileName };
    const stored = await vault.put({ path, meta, expectedBytes: bytes.length, journal: memoryJournal(), signal: new AbortController().signal });
    if (seq === 2) writeFileSync(path, Buffer.concat([bytes.subarray(0, 10), Buffer.from('x'), bytes.subarray(11)]));
    if (seq === 3) rmSync(path);
    commitArchive(db, {
      record: {
        seq, level: seq - 1, parentSeq: seq === 1 ? null : seq - 1, chainSeq: 1, createdAt: created.toISOString(), fileName, size: bytes.length, rawSize: bytes.length,
        treeHash: treeHash(bytes), blockSize: MiB, fileCount: 1, stagedPath: null, localPath: path, uploadState: 'uploaded', archiveId: stored.id,
        description: encodeDescription(meta), runId: null, store: 'glacier',
      },
      members: [], blocks: [], deleted: [],
    });
  }
  const snapshots: string[] = [];
  const deps = {
    // the vault's 90-day minimum storage duration (the memory backend has none)
    db, source: () => Promise.resolve({ ...vault, info: { ...vault.info, minimumStorageDays: 90 } }), target: () => Promise.resolve(bucket), workDir: join(dir, 'migrate'), set: 's',
    signal: new AbortController().signal, now: () => new Date('2026-11-29T00:00:00.000Z'), log: () => {},
    uploadSnapshot: () => {
      snapshots.push('snap');
      return Promise.resolve('snap');
    },
  };
  return { dir, db, vault, bucket, deps, snapshots, done: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('migration: a verified local copy goes at once, a damaged one is retrieved instead; jobs start for all and are reused; nothing switches before its upload verified', async (t) => {
  const w = await setup();
  t.after(w.done);
  const vaultIds = [1, 2, 3].map((seq) => getArchive(w.db, seq)!.archiveId!);

  let s = await migrateToS3(w.deps, opts);
  assert.deepEqual(s.moved.map((m) => [m.seq, m.from]), [[1, 'local']]);
  assert.equal(s.jobsStarted, 2);
  assert.equal(s.pending, 2);
  assert.equal(s.complete, false);
  assert.equal(getArchive(w.db, 1)!.store, 'memory');
  assert.equal(getArchive(w.db, 1)!.archiveId, w.bucket.ids()[0]);
  assert.equal(getArchive(w.db, 2)!.store, 'glacier');

  // the bucket fails a part of archive 2's upload: it stays recorded in the vault
  w.bucket.failPart(0);
  await assert.rejects(migrateToS3(w.deps, opts));
  assert.equal(getArchive(w.db, 2)!.store, 'glacier');
  assert.equal(getArchive(w.db, 2)!.archiveId, vaultIds[1]);

  s = await migrateToS3(w.deps, opts);
  assert.deepEqual(s.moved.map((m) => [m.seq, m.from]), [[2, 'retrieved'], [3, 'retrieved']]);
  assert.equal(s.jobsStarted, 0);
  assert.equal(s.jobsReused, 2);
  assert.equal(s.complete, true);
  assert.deepEqual(w.snapshots, ['snap']);
  assert.equal(w.bucket.ids().length, 3, 'one object per archive');
  for (const seq of [1, 2, 3]) assert.ok(w.bucket.ids().includes(getArchive(w.db, seq)!.archiveId!));

  // deleting the vault copies waits for the 90-day minimum (uploads recorded 2026-11-01, now 2026-11-29)
  s = await migrateToS3(w.deps, { ...opts, deleteSource: true });
  assert.equal(s.deleted, 0);
  assert.deepEqual(s.keptYoung.map((k) => k.freeFrom), Array(3).fill('2027-01-30T00:00:00.000Z'));
  assert.deepEqual(w.vault.ids().sort(), [...vaultIds].sort());
  s = await migrateToS3({ ...w.deps, now: () => new Date('2027-01-30T00:00:00.000Z') }, { ...opts, deleteSource: true });
  assert.equal(s.deleted, 3);
  assert.deepEqual(w.vault.ids(), []);
});
