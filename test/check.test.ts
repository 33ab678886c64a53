/**
 * `backup check` (issue 9 §4) through the real binary: passes on a healthy state; finds a
 * flipped byte in a local copy, a local copy whose gzip CRC was fixed up after tampering
 * (the per-block hash catches what gzip cannot), a member list that disagrees with the
 * archive, a chain whose parent was deleted, and an archive missing from the vault's
 * listing; one line per problem, exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DeleteArchiveCommand, GlacierClient } from '@aws-sdk/client-glacier';
import { runCli } from './helpers/run-cli.js';
import { blockExtents, tamperStoredByte } from './helpers/tamper.js';
import { startOffsite } from './helpers/offsite.js';

interface Listed {
  archives: Array<{ seq: number; localPath: string }>;
}

async function world(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'backup-check-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const noise = randomBytes(400 * 1024);
  writeFileSync(join(data, 'noise.bin'), noise);
  writeFileSync(join(data, 'a.txt'), 'one\n');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'chk', stateDir: join(root, 'state'), archive: { blockSizeKiB: 128 } }));
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  assert.equal((await cli('run')).code, 0);
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(data, 'a.txt'), 'two\n');
  assert.equal((await cli('run')).code, 0);
  const list = JSON.parse((await cli('list', '--json')).stdout) as Listed;
  return { root, noise, cli, catalog: join(root, 'state', 'catalog.db'), copies: list.archives.map((a) => a.localPath) };
}

test('check passes on a healthy state: exit 0, every local copy verified', async (t) => {
  const w = await world(t);
  const r = await w.cli('check');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok: 2 archive\(s\) in the catalog, 2 local copies verified/m);
  const j = JSON.parse((await w.cli('check', '--json')).stdout) as { ok: boolean; problems: unknown[]; checked: { localCopies: number } };
  assert.deepEqual([j.ok, j.problems, j.checked.localCopies], [true, [], 2]);
});

test('check finds a flipped byte in a local copy', async (t) => {
  const w = await world(t);
  tamperStoredByte(w.copies[0], w.noise.subarray(200 * 1024, 200 * 1024 + 64), blockExtents(w.catalog, 1), false);
  const r = await w.cli('check');
  assert.equal(r.code, 1);
  const problems = r.stdout.split('\n').filter((l) => l.startsWith('set '));
  assert.equal(problems.length, 1, r.stdout);
  assert.match(problems[0], /^set chk archive 1: local copy .*: gzip block \d+ \(bytes \d+-\d+\) differs from the catalog$/);
});

test('check finds a local copy whose gzip CRC was fixed up after tampering (gzip -t passes)', async (t) => {
  const w = await world(t);
  tamperStoredByte(w.copies[0], w.noise.subarray(300 * 1024, 300 * 1024 + 64), blockExtents(w.catalog, 1), true);
  execFileSync('gzip', ['-t', w.copies[0]]);
  const r = await w.cli('check', '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ set: string; seq: number; what: string }> };
  assert.equal(j.ok, false);
  assert.equal(j.problems.length, 1);
  assert.equal(j.problems[0].set, 'chk');
  assert.equal(j.problems[0].seq, 1);
  assert.match(j.problems[0].what, /gzip block \d+ .*differs from the catalog/);
});

test('check finds a catalog member list that disagrees with the archive, and a chain whose parent is deleted', async (t) => {
  const w = await world(t);
  const db = new Database(w.catalog);
  db.prepare("UPDATE archive_files SET size = size + 1 WHERE seq = 2 AND path = 'a.txt'").run();
  db.prepare("UPDATE archives SET upload_state = 'deleted' WHERE seq = 1").run();
  db.close();
  const r = await w.cli('check');
  assert.equal(r.code, 1);
  const problems = r.stdout.split('\n').filter((l) => l.startsWith('set '));
  assert.equal(problems.length, 2, r.stdout);
  assert.match(problems[0], /^set chk archive 2: needs archive 1, which was deleted/);
  assert.match(problems[1], /^set chk archive 2: local copy .*: member \d+ is file "a\.txt" \(4 bytes .*\) in the archive but file "a\.txt" \(5 bytes/);
});

test('check.afterRun: a run verifies the local copies afterwards and a damaged one makes it exit 3 with a warning', async (t) => {
  const w = await world(t);
  const config = join(w.root, 'backup.json');
  const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  writeFileSync(config, JSON.stringify({ ...c, check: { afterRun: true } }));
  tamperStoredByte(w.copies[0], w.noise.subarray(200 * 1024, 200 * 1024 + 64), blockExtents(w.catalog, 1), true);
  writeFileSync(join(w.root, 'data', 'a.txt'), 'three\n');
  const r = await w.cli('run');
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout + r.stderr, /check: archive 1: local copy .*gzip block \d+ .*differs from the catalog/);
});

test('check compares the vault listing with the catalog: passes when they agree (catalog snapshots are known), finds an archive missing from the vault', async (t) => {
  const o = await startOffsite();
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(o.data, `f${i}.txt`), `v${i}\n`);
    const r = await o.cli('run');
    assert.equal(r.code, 0, r.stderr);
  }
  const before = await o.cli('check');
  assert.match(before.stdout, /vault not compared: no listing yet/);
  assert.equal(before.code, 0, before.stdout);

  assert.equal((await o.cli('inventory', 'request')).code, 0);
  assert.equal((await o.cli('inventory', 'fetch', '--wait')).code, 0);
  const healthy = await o.cli('check');
  assert.equal(healthy.code, 0, healthy.stdout);
  assert.match(healthy.stdout, /vault compared with its listing of /);

  // the archive disappears from the vault behind the catalog's back
  const list = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ seq: number; archiveId: string }> };
  const glacier = new GlacierClient({ endpoint: o.server.endpoint, region: o.server.region, credentials: o.server.credentials });
  await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'test-vault', archiveId: list.archives[0].archiveId }));
  glacier.destroy();
  assert.equal((await o.cli('inventory', 'request')).code, 0);
  await o.cli('inventory', 'fetch', '--wait');
  const r = await o.cli('check');
  assert.equal(r.code, 1, r.stdout);
  const problems = r.stdout.split('\n').filter((l) => l.startsWith('set '));
  assert.deepEqual(problems.length, 1, r.stdout);
  assert.match(problems[0], new RegExp(`^set offsite archive 1: missing from the vault listing of .* \\(archive ID ${list.archives[0].archiveId}\\)$`));
});
