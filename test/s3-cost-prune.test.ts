/**
 * Costs and minimum storage durations with S3, through the real binary on the bundled
 * server's S3 side: `cost` prices each object by the class it was stored in (DEEP_ARCHIVE
 * data with its per-object overhead, GLACIER_IR catalog snapshots), says DEEP_ARCHIVE has no
 * Expedited, and rounds money with a currency; `prune` and `archive delete` refuse deletions
 * inside DEEP_ARCHIVE's 180 days unless --allow-early-delete, and then report the charge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';

interface Listed {
  archives: Array<{ seq: number; archiveId: string; uploadState: string; storageClass: string | null }>;
}

type Money = { amount: number; currency: string };

interface S3Cost {
  backend: string;
  prices: { region: string; asOf: string };
  objects: number;
  byClass: Array<{ storageClass: string; objects: number; bytes: number; billableBytes: number; monthly: Money }>;
  overheadStandardBytes: number;
  monthlyStorage: Money;
  uploadRequestCost: Money;
  restoreLatest: { archives: number; Expedited: Money | null; Standard: Money; Bulk: Money };
}

test('S3 cost per class and the DEEP_ARCHIVE 180-day minimum in prune and archive delete', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 's3-cost-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  writeFileSync(
    config,
    JSON.stringify({
      data,
      set: 'costs',
      stateDir: join(root, 'state'),
      archive: { blockSizeKiB: 64, keepLocalCopy: false },
      s3: { bucket: 'backups', endpoint: 'local', storageClass: 'DEEP_ARCHIVE' },
      retention: { keepChains: 1, minChains: 1 },
    }),
  );
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  // two chains: full + incremental, then a new full
  writeFileSync(join(data, 'a.txt'), 'one\n');
  for (const args of [['run'], ['run'], ['run', '--full']]) {
    writeFileSync(join(data, 'b.txt'), `${args.join(' ')} ${Math.random()}\n`);
    const r = await cli(...args);
    assert.equal(r.code, 0, r.stderr);
  }
  const listed = JSON.parse((await cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(listed.archives.map((a) => a.storageClass), ['DEEP_ARCHIVE', 'DEEP_ARCHIVE', 'DEEP_ARCHIVE'], 'the class is recorded per archive');

  const c = await cli('cost', '--json');
  assert.equal(c.code, 0, c.stderr);
  const cost = JSON.parse(c.stdout) as S3Cost;
  assert.equal(cost.backend, 's3');
  assert.deepEqual([cost.prices.region, cost.prices.asOf], ['us-east-1', '2026-11']);
  const deep = cost.byClass.find((u) => u.storageClass === 'DEEP_ARCHIVE')!;
  const ir = cost.byClass.find((u) => u.storageClass === 'GLACIER_IR')!;
  assert.equal(deep.objects, 3);
  assert.equal(deep.billableBytes, deep.bytes + 3 * 32 * 1024, '32 KB in the class per object');
  assert.equal(cost.overheadStandardBytes, 3 * 8 * 1024, '8 KB at STANDARD per object');
  assert.equal(ir.objects, 3, 'one catalog snapshot per run, in GLACIER_IR');
  assert.ok(ir.billableBytes >= 3 * 128 * 1024, 'snapshots billed at least 128 KB each');
  assert.equal(cost.restoreLatest.archives, 1);
  assert.equal(cost.restoreLatest.Expedited, null, 'DEEP_ARCHIVE has no Expedited');
  // a few KiB: every figure rounds to nothing in cents, each with its currency
  for (const m of [cost.monthlyStorage, cost.uploadRequestCost, cost.restoreLatest.Standard, cost.restoreLatest.Bulk, deep.monthly]) assert.deepEqual(m, { amount: 0, currency: 'USD' });
  const human = await cli('cost');
  assert.match(human.stdout, /DEEP_ARCHIVE: 3 object\(s\)/);
  assert.match(human.stdout, /Expedited \(minutes\): not available/);
  assert.match(human.stdout, /S3 list prices of us-east-1 as of 2026-11/);

  // prune: the old chain is inside DEEP_ARCHIVE's 180 days: kept, with the charge named
  const kept = await cli('prune');
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stdout, /keeping chain 1 \(2 archives\): deleting it now would incur the early-deletion charge of about \$[\d.]+ \(DEEP_ARCHIVE: 180-day minimum\); "backup prune --allow-early-delete" deletes it anyway/);
  assert.ok((JSON.parse((await cli('list', '--json')).stdout) as Listed).archives.every((a) => a.uploadState === 'uploaded'));

  const pruned = await cli('prune', '--allow-early-delete');
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /deleting chain 1: archives 1, 2 .*early-deletion charge about \$/);

  // archive delete: refused in one line, then done with the flag and the charge reported
  const newest = listed.archives[2];
  const refused = await runCli(['archive', 'delete', '--config', config, '--', newest.archiveId]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /archive 3 \(.*\) was stored 0 day\(s\) ago; deleting it now costs the early-deletion charge, about \$[\d.]+ for the remaining 180 of the 180 days DEEP_ARCHIVE bills at least; add --allow-early-delete/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  const done = await runCli(['archive', 'delete', '--allow-early-delete', '--config', config, '--', newest.archiveId]);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /deleted archive 3 .* from offsite storage; early-deletion charge about \$/);

  const after = JSON.parse((await cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(after.archives.map((a) => a.uploadState), ['deleted', 'deleted', 'deleted']);
});
