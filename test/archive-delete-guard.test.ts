/**
 * Regression (issue 9 §2): `archive delete` of a mid-chain archive left nightly runs
 * reporting "ok" on a chain that could no longer be restored. Now it is refused unless
 * --force; forced, the chain is marked broken, `status` says so and the next run starts a
 * new full, saying why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite, type Offsite } from './helpers/offsite.js';
import { runCli } from './helpers/run-cli.js';

/** `archive delete [flags] -- ID`: archive IDs, like Glacier's, may begin with '-' (the config comes from BACKUP_CONFIG so nothing follows the ID). */
function deleteArchive(o: Offsite, id: string, ...flags: string[]) {
  return runCli(['archive', 'delete', ...flags, '--', id], { env: { ...o.env, BACKUP_CONFIG: o.config } });
}

interface Listed {
  archives: Array<{ seq: number; level: number; chainSeq: number; archiveId: string; uploadState: string }>;
}

test('archive delete refuses an archive later ones depend on; --force marks the chain broken and the next run is a full', async (t) => {
  const o = await startOffsite({ vault: { uploadCatalog: false } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(o.data, `file-${i}.txt`), `version ${i}\n`);
    const r = await o.cli('run');
    assert.equal(r.code, 0, r.stderr);
  }
  const list = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(list.archives.map((a) => a.level), [0, 1, 2]);
  const mid = list.archives[1];

  const refused = await deleteArchive(o, mid.archiveId);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /archive 2 \(.*\) is needed by later archive\(s\) 3 of its chain.*--force/);
  assert.equal(o.server.stats().DeleteArchive ?? 0, 0, 'nothing deleted');
  assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');

  // the vault bills every archive for 90 days: deleting a young one is refused on its own grounds too
  const young = await deleteArchive(o, mid.archiveId, '--force');
  assert.equal(young.code, 2);
  assert.match(young.stderr, /early-deletion charge, about \$[\d.]+ for the remaining 90 of the 90 days a vault bills at least; add --allow-early-delete/);
  assert.equal(o.server.stats().DeleteArchive ?? 0, 0, 'nothing deleted');

  const forced = await deleteArchive(o, mid.archiveId, '--force', '--allow-early-delete');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /marked broken/);
  assert.equal(o.server.stats().DeleteArchive, 1);

  const status = await o.cli('status');
  assert.match(status.stdout, /current chain: BROKEN \(archive 2 .* was deleted/);
  const statusJson = JSON.parse((await o.cli('status', '--json')).stdout) as { chain: { broken: string | null } };
  assert.match(statusJson.chain.broken ?? '', /archive 2/);

  const next = await o.cli('run');
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout + next.stderr, /level 0 \(full: the current chain is broken \(archive 2/);
  const after = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.equal(after.archives.at(-1)!.level, 0);
  assert.doesNotMatch((await o.cli('status')).stdout, /BROKEN/);
});

test('deleting the newest archive of the current chain needs no --force but still makes the next run a full', async (t) => {
  const o = await startOffsite({ vault: { uploadCatalog: false } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(o.data, `file-${i}.txt`), `version ${i}\n`);
    assert.equal((await o.cli('run')).code, 0);
  }
  const list = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  const r = await deleteArchive(o, list.archives[1].archiveId, '--allow-early-delete');
  assert.equal(r.code, 0, r.stderr);
  const next = await o.cli('run');
  assert.equal(next.code, 0, next.stderr);
  const after = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(after.archives.map((a) => a.level), [0, 1, 0]);
});
