/**
 * Regression test for issue 9 §5 (a garbage catalog.db): every command names the broken
 * catalog and suggests `backup catalog rebuild --from-inventory`, and that command works:
 * it keeps the broken file under another name, asks the vault for an inventory when none is
 * recorded, and rebuilds the catalog from the archives in the vault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';
import { runCli } from './helpers/run-cli.js';

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

test('a garbage catalog.db with nothing offsite: the message names the rebuild from the local copies (it named --from-inventory, which needs a vault), and that rebuild works', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'catalog-garbage-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'a.txt'), 'first\n');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ data, stateDir: join(root, 'state') }));
  assert.equal((await runCli(['run', '-q', '-c', config])).code, 0);
  writeFileSync(join(root, 'state', 'catalog.db'), 'this is not a database\n'.repeat(200));
  const run = await runCli(['run', '-q', '-c', config]);
  assert.equal(run.code, 1);
  const localDir = join(root, 'state', 'archives');
  assert.equal(run.stderr, `backup: catalog ${join(root, 'state', 'catalog.db')} is unusable: file is not a database; rebuild it from the local copies with "backup catalog rebuild --from-archives ${localDir}"\n`);
  const rebuild = await runCli(['catalog', 'rebuild', '--from-archives', localDir, '-q', '-c', config]);
  assert.equal(rebuild.code, 0, rebuild.stderr);
  assert.equal((await runCli(['run', '-q', '-c', config])).code, 0);
});
