/**
 * `retention.afterRun` through the real binary: after a successful run the same prune as
 * `backup prune` runs (whole chains, minChains, nothing inside the minimum storage duration),
 * its result in the run log and the summary line; a prune that fails leaves the backup good
 * and the run exits 3 (completed with warnings), never 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { localWorld } from './helpers/local-world.js';
import { startOffsite } from './helpers/offsite.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

interface Listed {
  archives: Array<{ seq: number; uploadState: string; localPath: string | null }>;
}
const retention = { retention: { keepChains: 1, minChains: 1, afterRun: true } };

test('local copies: the run that starts a new chain prunes the older chain, says so in its log and summary, and the latest point still restores', async (t) => {
  const w = localWorld({ archive: { fullEvery: 1 }, ...retention });
  t.after(w.done);
  const summaries: string[] = [];
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(w.data, `f${i}.txt`), `v${i}\n`);
    const r = await w.cli('run', '--json');
    assert.equal(r.code, 0, r.stderr);
    summaries.push((JSON.parse(r.stdout) as { summary: string }).summary);
  }
  assert.match(summaries[0], /; pruned nothing(;|$)/);
  assert.match(summaries[2], /^run #3 ok: level 0 \(full\).*; pruned 2 archives of 1 chain \(\d[^)]*\)(;|$)/);
  const listed = JSON.parse((await w.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(listed.archives.map((a) => `${a.seq}:${a.uploadState}`), ['1:deleted', '2:deleted', '3:none']);
  const log = readFileSync(join(w.stateDir, 'logs', readdirSync(join(w.stateDir, 'logs')).filter((n) => n.startsWith('run-000003-'))[0]), 'utf8');
  assert.match(log, /INFO retention: deleting chain 1: archives 1, 2 /);
  assert.match(log, /INFO retention: pruned 2 archives of 1 chain .*; keeping 1 chain\(s\)/);
  const to = join(w.root, 'restored');
  assert.equal((await w.cli('restore', '--to', to)).code, 0);
  assert.deepEqual(snapshotTree(to), snapshotTree(w.data));
});

test('vault: chains inside the minimum storage duration are kept; once old enough they are deleted; a delete the vault refuses makes the run exit 3 with the backup recorded', async (t) => {
  const o = await startOffsite({ archive: { fullEvery: 1 }, vault: { uploadCatalog: false, maxRetries: 0 }, extra: retention });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  const run = async (i: number) => {
    writeFileSync(join(o.data, `f${i}.txt`), `v${i}\n`);
    return o.cli('run');
  };
  for (let i = 0; i < 2; i++) assert.equal((await run(i)).code, 0);
  const third = await run(2);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /retention: keeping chain 1 \(2 archives\): deleting it now would incur the early-deletion charge/);
  assert.match(third.stdout, /; pruned nothing\n/);
  assert.equal(o.server.stats().DeleteArchive ?? 0, 0);

  // the archives of chain 1 now look 400 days old: past any minimum storage duration
  const age = (seqs: number[]) => {
    const db = new Database(join(o.stateDir, 'catalog.db'));
    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    db.prepare(`UPDATE archives SET created_at = ?, uploaded_at = ? WHERE seq IN (${seqs.join(',')})`).run(old, old);
    db.close();
  };
  age([1, 2, 3]);
  o.server.setFaults([{ operation: 'DeleteArchive', kind: 'error500' }]);
  const refused = await run(3);
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /warning: retention after the run failed, the backup itself is complete \(the next run or "backup prune" tries again\): DeleteArchive/);
  assert.match(refused.stdout, /run #4 completed with warnings: level 1 \(incremental\).*; prune FAILED \(see the run log\)/);
  let listed = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(listed.archives.map((a) => `${a.seq}:${a.uploadState}`), ['1:uploaded', '2:uploaded', '3:uploaded', '4:uploaded'], 'the run\'s archive is recorded; nothing is forgotten that the vault kept');

  o.server.setFaults([]);
  const next = await run(4);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /; pruned 2 archives of 1 chain/);
  listed = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(listed.archives.filter((a) => a.uploadState === 'deleted').map((a) => a.seq), [1, 2]);
  for (const a of listed.archives.filter((x) => x.seq <= 2)) assert.equal(a.localPath === null || !existsSync(a.localPath), true);
});
