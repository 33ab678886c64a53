/**
 * Interrupted uploads: a `backup run` killed with SIGKILL mid-upload leaves everything the
 * next run needs; the next run resumes the multipart upload, sends only the parts the vault
 * lacks, and the vault ends with exactly one archive for that backup. And a run under 10%
 * injected failures (500s, throttling, resets) with 4 parts in flight still succeeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { BIN } from './helpers/run-cli.js';
import { startOffsite } from './helpers/offsite.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

const MiB = 1024 * 1024;

async function vaultArchives(o: Awaited<ReturnType<typeof startOffsite>>) {
  assert.equal((await o.cli('inventory', 'request')).code, 0);
  const f = await o.cli('inventory', 'fetch', '--wait', '--json');
  assert.equal(f.code, 0, f.stderr);
  return JSON.parse(f.stdout) as { archives: number; matched: number; unknownInVault: unknown[]; missingFromVault: unknown[] };
}

test('a run killed mid-upload is resumed by the next run, sending only the missing parts, with no duplicate archive', async (t) => {
  const o = await startOffsite({
    archive: { keepLocalCopy: false },
    vault: { uploadCatalog: false, concurrency: 2 },
    // slow parts so the kill lands mid-upload
    faults: [{ operation: 'UploadMultipartPart', kind: 'delay', rate: 1, delayMs: 250 }],
  });
  t.after(() => o.close());
  for (let i = 0; i < 3; i++) writeFileSync(join(o.data, `photo-${i}.jpg`), randomBytes(4 * MiB));
  assert.equal((await o.cli('vault', 'create')).code, 0);

  const child = spawn(process.execPath, [BIN, 'run', '--config', o.config], { env: { ...process.env, ...o.env }, stdio: 'ignore' });
  const catalog = join(o.stateDir, 'catalog.db');
  let journaled = 0;
  let committed = 0;
  for (let i = 0; i < 600 && (journaled < 4 || committed < 1); i++) {
    await sleep(50);
    if (!existsSync(catalog)) continue;
    try {
      const db = new Database(catalog, { readonly: true, fileMustExist: true });
      journaled = (db.prepare('SELECT COUNT(*) AS n FROM upload_parts').get() as { n: number }).n;
      committed = (db.prepare('SELECT COUNT(*) AS n FROM archives').get() as { n: number }).n;
      db.close();
    } catch {
      // the catalog is being created
    }
  }
  assert.ok(journaled >= 4 && committed === 1, 'the archive was committed and parts were journaled before the kill');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));

  const partsBefore = o.server.stats().UploadMultipartPart ?? 0;
  o.server.setFaults([]);
  const r = await o.cli('run');
  assert.equal(r.code, 0, r.stderr);
  const sentAfter = (o.server.stats().UploadMultipartPart ?? 0) - partsBefore;

  const list = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ seq: number; size: number; uploadState: string }> };
  const first = list.archives.find((a) => a.seq === 1);
  assert.ok(first);
  const parts = Math.ceil(first.size / MiB);
  assert.ok(list.archives.every((a) => a.uploadState === 'uploaded'));
  // the second run also made its own (small, single-request) incremental; the resumed upload sent only what was missing
  assert.ok(sentAfter <= parts - journaled, `resumed upload sent ${sentAfter} parts; ${journaled} of ${parts} were already acknowledged`);

  const inv = await vaultArchives(o);
  assert.equal(inv.unknownInVault.length, 0, 'no archive in the vault that the catalog does not know (no duplicate)');
  assert.equal(inv.archives, list.archives.length);
  assert.equal(inv.matched, list.archives.length);

  const to = join(o.root, 'restored');
  const rs = await o.cli('restore', '--to', to, '--wait');
  assert.equal(rs.code, 0, rs.stderr);
  assert.deepEqual(snapshotTree(to), snapshotTree(o.data));
});

test('a backup under 10% injected failures with 4 parts in flight uploads byte-identical archives', async (t) => {
  const o = await startOffsite({
    archive: { keepLocalCopy: false },
    vault: { concurrency: 4 },
    faults: [
      { operation: 'UploadMultipartPart', kind: 'error500', rate: 0.04, seed: 1 },
      { operation: 'UploadMultipartPart', kind: 'throttle', rate: 0.03, seed: 2 },
      { operation: 'UploadMultipartPart', kind: 'reset', rate: 0.03, seed: 3 },
      { operation: 'GetJobOutput', kind: 'error503', rate: 0.1, seed: 4 },
    ],
  });
  t.after(() => o.close());
  for (let i = 0; i < 3; i++) writeFileSync(join(o.data, `raw-${i}.bin`), randomBytes(3 * MiB));
  writeFileSync(join(o.data, 'notes.txt'), 'some text\n'.repeat(1000));
  assert.equal((await o.cli('vault', 'create')).code, 0);
  const r = await o.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.ok((o.server.stats().faults ?? 0) > 0, 'faults were injected');
  const to = join(o.root, 'restored');
  const rs = await o.cli('restore', '--to', to, '--wait');
  assert.equal(rs.code, 0, rs.stderr);
  assert.deepEqual(snapshotTree(to), snapshotTree(o.data));
});
