/**
 * Catalog snapshots (issue 9 §2): one is uploaded per run, and only the newest
 * `vault.keepCatalogSnapshots` are kept; the kept ones count as known in `inventory fetch`,
 * `check` and `cost`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';

test('catalog snapshots are pruned to the newest few and count as known in inventory fetch, check and cost', async (t) => {
  const o = await startOffsite({ vault: { keepCatalogSnapshots: 2 } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(o.data, `f${i}.txt`), `v${i}\n`);
    const r = await o.cli('run');
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(o.server.stats().DeleteArchive, 2, 'the two oldest of four snapshots deleted');

  assert.equal((await o.cli('inventory', 'request')).code, 0);
  const f = await o.cli('inventory', 'fetch', '--wait', '--json');
  assert.equal(f.code, 0, f.stderr);
  const rec = JSON.parse(f.stdout) as { archives: number; unknownInVault: unknown[]; matched: number };
  assert.equal(rec.archives, 6, 'four data archives and two snapshots in the vault');
  assert.deepEqual(rec.unknownInVault, [], 'the kept snapshots are known');
  assert.equal(rec.matched, 4);

  const check = await o.cli('check');
  assert.equal(check.code, 0, check.stdout);
  const cost = JSON.parse((await o.cli('cost', '--json')).stdout) as { archives: number };
  assert.equal(cost.archives, 6);
});
