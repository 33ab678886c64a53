/**
 * Retention and cost through the real binary: prune deletes whole chains only, from the
 * vault and the local copies, skips Glacier early-deletion charges unless allowed, and
 * never breaks the chains it keeps; cost reports storage, requests and restore estimates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

interface Listed {
  archives: Array<{ seq: number; level: number; chainSeq: number; uploadState: string; localPath: string | null }>;
}

test('prune keeps the newest chains, skips early deletions unless allowed, then deletes whole chains from vault and disk', async (t) => {
  const o = await startOffsite({ archive: { fullEvery: 1 }, vault: { uploadCatalog: false }, extra: { retention: { keepChains: 1, minChains: 1 } } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  // three chains of two archives each: full, incremental
  for (let i = 0; i < 6; i++) {
    writeFileSync(join(o.data, `file-${i}.txt`), `version ${i}\n`);
    assert.equal((await o.cli('run')).code, 0);
  }
  const before = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(before.archives.map((a) => a.level), [0, 1, 0, 1, 0, 1]);

  const dry = await o.cli('prune', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /early-deletion charge/);
  const plain = await o.cli('prune');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(o.server.stats().DeleteArchive ?? 0, 0, 'archives younger than 90 days are kept without --allow-early-delete');

  const r = await o.cli('prune', '--allow-early-delete');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(o.server.stats().DeleteArchive, 4, 'two whole chains deleted from the vault');
  const after = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  const deleted = after.archives.filter((a) => a.uploadState === 'deleted').map((a) => a.seq);
  assert.deepEqual(deleted, [1, 2, 3, 4]);
  for (const a of before.archives.filter((x) => x.seq <= 4)) assert.equal(existsSync(a.localPath!), false, `local copy of ${a.seq} removed`);

  // the kept chain still restores, and a point inside a pruned chain is refused clearly
  const to = join(o.root, 'latest');
  assert.equal((await o.cli('restore', '--to', to)).code, 0);
  assert.deepEqual(snapshotTree(to), snapshotTree(o.data));
  const gone = await o.cli('restore', '--to', join(o.root, 'old'), '--seq', '2');
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no archive with sequence 2/);
});

test('cost estimates storage, upload requests and restoring the latest point per tier', async (t) => {
  const o = await startOffsite({ vault: { uploadCatalog: false } });
  t.after(() => o.close());
  writeFileSync(join(o.data, 'a.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
  assert.equal((await o.cli('vault', 'create')).code, 0);
  assert.equal((await o.cli('run')).code, 0);
  const r = await o.cli('cost', '--json');
  assert.equal(r.code, 0, r.stderr);
  type Money = { amount: number; currency: string };
  const est = JSON.parse(r.stdout) as { backend: string; storedBytes: number; archives: number; uploadRequests: number; monthlyStorage: Money; restoreLatest: { bytes: number; Standard: Money; Bulk: Money; Expedited: Money } };
  assert.equal(est.backend, 'glacier');
  assert.equal(est.archives, 1);
  assert.ok(est.storedBytes > 0);
  assert.ok(est.uploadRequests >= 1);
  assert.deepEqual(est.monthlyStorage, { amount: 0, currency: 'USD' }, 'money in cents with its currency');
  // 3 MiB: an Expedited job alone is $0.01; Standard and Bulk round to nothing
  assert.deepEqual([est.restoreLatest.Expedited.amount, est.restoreLatest.Standard.amount, est.restoreLatest.Bulk.amount], [0.01, 0, 0]);
  const human = await o.cli('cost');
  assert.match(human.stdout, /\$/);
});
