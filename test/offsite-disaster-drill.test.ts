/**
 * The full disaster drill: back up a 10-step history into the vault, lose the state
 * directory (catalog, local copies, everything), rebuild the catalog from the vault's
 * inventory, then restore the latest point and a middle point and compare them exactly.
 * Also the fallback: with no catalog snapshot in the vault, the archive list is rebuilt
 * from the archive descriptions alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';
import { historySteps } from './helpers/history-steps.js';

for (const withSnapshots of [true, false]) {
  test(`after losing the state directory, the catalog is rebuilt from the ${withSnapshots ? 'newest catalog snapshot' : 'archive descriptions'} and restores match`, async (t) => {
    const o = await startOffsite({ archive: { fullEvery: 5 }, vault: { uploadCatalog: withSnapshots } });
    t.after(() => o.close());
    assert.equal((await o.cli('vault', 'create')).code, 0);
    const expected: Array<Record<string, PathState>> = [];
    for (const [i, step] of historySteps.entries()) {
      step(o.data);
      await new Promise((r) => setTimeout(r, 20));
      const r = await o.cli('run');
      assert.equal(r.code, 0, `run ${i + 1}: ${r.stderr}`);
      expected.push(snapshotTree(o.data));
    }

    rmSync(o.stateDir, { recursive: true, force: true });

    const req = await o.cli('inventory', 'request');
    assert.equal(req.code, 0, req.stderr);
    const rb = await o.cli('catalog', 'rebuild', '--from-inventory', '--wait');
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, withSnapshots ? /from the newest catalog snapshot: 10 archives/ : /from the archive descriptions: 10 archives/);

    for (const k of [10, 6, 3]) {
      const to = join(o.root, `restore-${k}`);
      const r = await o.cli('restore', '--seq', String(k), '--to', to, '--wait');
      assert.equal(r.code, 0, `restore ${k}: ${r.stderr}`);
      assert.deepEqual(snapshotTree(to), expected[k - 1], `restore at step ${k}`);
    }
    // and backups go on: the next run works against the rebuilt catalog
    const next = await o.cli('run');
    assert.equal(next.code, 0, next.stderr);
  });
}
