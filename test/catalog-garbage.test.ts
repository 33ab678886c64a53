/**
 * Regression test for issue 9 §5 (a garbage catalog.db): every command names the broken
 * catalog and suggests `backup catalog rebuild --from-inventory`, and that command works:
 * it keeps the broken file under another name, asks the vault for an inventory when none is
 * recorded, and rebuilds the catalog from the archives in the vault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';

test('a garbage catalog.db: the suggested catalog rebuild moves it aside, keeps it, and rebuilds from the vault', async (t) => {
  const o = await startOffsite();
  t.after(() => o.close());
  writeFileSync(join(o.data, 'a.txt'), 'first\n');
  assert.equal((await o.cli('vault', 'create')).code, 0);
  assert.equal((await o.cli('run')).code, 0);
  writeFileSync(join(o.data, 'a.txt'), 'second\n');
  assert.equal((await o.cli('run')).code, 0);

  const garbage = 'this is not a database\n'.repeat(200);
  writeFileSync(join(o.stateDir, 'catalog.db'), garbage);
  const list = await o.cli('list');
  assert.equal(list.code, 1);
  assert.match(list.stderr, /^backup: catalog .*catalog\.db is unusable: file is not a database; restore it with "backup catalog rebuild --from-inventory"\n$/);

  const rebuild = await o.cli('catalog', 'rebuild', '--from-inventory', '--wait');
  assert.equal(rebuild.code, 0, rebuild.stderr);
  assert.match(rebuild.stderr, /catalog .*catalog\.db is unusable \(file is not a database\); kept it as .*catalog\.db\.broken-\d{8}T\d{6}Z and rebuilding into a new one/);
  assert.match(rebuild.stdout, /catalog rebuilt from the newest catalog snapshot: 2 archives/);
  const kept = readdirSync(o.stateDir).filter((n) => n.startsWith('catalog.db.broken-'));
  assert.equal(kept.length, 1);
  assert.equal(readFileSync(join(o.stateDir, kept[0]), 'utf8'), garbage, 'the broken file is kept as it was');
  const listed = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ seq: number }> };
  assert.deepEqual(listed.archives.map((a) => a.seq), [1, 2]);
});
