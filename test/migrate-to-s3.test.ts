/**
 * `backup migrate --to-s3` end to end through the real binary: a 10-archive vault history on
 * the bundled server (some archives with local copies, some without) moves to a bucket on
 * the bundled server's S3 side and on moto_server. Proved here: local copies are used and
 * the rest retrieved (exit 4 while jobs run, jobs reused), one object per archive, every
 * point restores exactly from the bucket alone, status/cost/check/prune/run work on the
 * bucket afterwards and a lost state directory is rebuilt from the bucket's fresh catalog
 * snapshot; killed with SIGKILL at seeded random instants (seed printed; set
 * MIGRATE_KILL_SEED to replay) the reruns finish with no duplicate object and no open
 * multipart upload; --delete-source deletes only vault archives past the 90-day minimum
 * (their upload dates moved 100 days back in the catalog, no clock waited on) until
 * --allow-early-delete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CreateBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeJobCommand, GetJobOutputCommand, GlacierClient, InitiateJobCommand } from '@aws-sdk/client-glacier';
import { startGlacierLocal, type GlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { startMotoServer } from './helpers/moto-server.js';
import { BIN, runCli } from './helpers/run-cli.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';
import { awsEnv } from './helpers/aws-env.js';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

interface World {
  root: string;
  data: string;
  stateDir: string;
  config: string;
  server: GlacierLocal;
  env: NodeJS.ProcessEnv;
  vault: Record<string, unknown>;
  cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Rewrites the config's storage part (the rest stays). */
  storage(s: Record<string, unknown>): void;
}

/** A vault on the bundled server and a config using it; local copies on. */
async function world(t: { after(fn: () => unknown): void }): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'backup-migrate-'));
  const data = join(root, 'data');
  const stateDir = join(root, 'state');
  mkdirSync(data);
  const server = await startGlacierLocal({ dir: join(root, 'server') });
  const config = join(root, 'backup.json');
  const base = { data, set: 'mig', stateDir, archive: { blockSizeKiB: 64, fullEvery: 3, level: 1 } };
  const vault = { name: 'old-vault', endpoint: server.endpoint, partSizeMiB: 1, concurrency: 2, maxRetries: 3 };
  const env: NodeJS.ProcessEnv = awsEnv(server.credentials);
  const w: World = {
    root, data, stateDir, config, server, env, vault,
    cli: (...args) => runCli([...args, '--config', config], { env }),
    storage: (s) => writeFileSync(config, JSON.stringify({ ...base, ...s })),
  };
  w.storage({ vault });
  t.after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });
  return w;
}

/** Ten runs (fulls at 1, 5, 9); with `big`, a 6 MiB incompressible file in each full (multipart in S3). The tree after each, by seq. */
async function history(w: World, big: boolean): Promise<Map<number, Record<string, PathState>>> {
  assert.equal((await w.cli('vault', 'create')).code, 0);
  const trees = new Map<number, Record<string, PathState>>();
  writeFileSync(join(w.data, 'big.bin'), randomBytes(big ? 6 * MiB : 64 * 1024));
  mkdirSync(join(w.data, 'docs'));
  for (let i = 1; i <= 10; i++) {
    writeFileSync(join(w.data, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(i * 50));
    writeFileSync(join(w.data, 'a.txt'), `version ${i}\n`);
    if (i === 6) rmSync(join(w.data, 'docs', 'note-2.txt'));
    const r = await w.cli('run');
    assert.equal(r.code, 0, r.stderr);
    trees.set(i, snapshotTree(w.data));
  }
  return trees;
}

function catalog(w: World): Database.Database {
  return new Database(join(w.stateDir, 'catalog.db'));
}

/** Deletes the local copies of `seqs` (those archives must come from the vault). */
function dropLocalCopies(w: World, seqs: number[]): void {
  const db = catalog(w);
  for (const seq of seqs) {
    const p = db.prepare('SELECT local_path FROM archives WHERE seq = ?').pluck().get(seq) as string;
    rmSync(p);
  }
  db.close();
}

/** Data objects per seq in the bucket, and the open multipart uploads. */
async function bucketState(s3: S3Client): Promise<{ perSeq: Map<number, number>; snapshots: string[]; openUploads: number; keys: string[] }> {
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'moved', Prefix: 'nas/' }))).Contents ?? []).map((o) => o.Key!);
  const perSeq = new Map<number, number>();
  for (const k of keys) {
    const m = /^nas\/mig\/(\d{6})-L\d-/.exec(k);
    if (m) perSeq.set(Number(m[1]), (perSeq.get(Number(m[1])) ?? 0) + 1);
  }
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'moved' }));
  return { perSeq, snapshots: keys.filter((k) => k.startsWith('nas/mig/catalog/')), openUploads: (uploads.Uploads ?? []).length, keys };
}

/** Archive ids the vault holds, from an inventory-retrieval job (the server's inventory is always current). */
async function vaultIds(w: World): Promise<string[]> {
  const g = new GlacierClient({ endpoint: w.server.endpoint, region: 'us-east-1', credentials: w.server.credentials });
  try {
    const { jobId } = await g.send(new InitiateJobCommand({ accountId: '-', vaultName: 'old-vault', jobParameters: { Type: 'inventory-retrieval', Format: 'JSON' } }));
    while (!(await g.send(new DescribeJobCommand({ accountId: '-', vaultName: 'old-vault', jobId }))).Completed) await sleep(20);
    const out = await g.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'old-vault', jobId }));
    const inv = JSON.parse(await out.body!.transformToString()) as { ArchiveList: Array<{ ArchiveId: string }> };
    return inv.ArchiveList.map((a) => a.ArchiveId);
  } finally {
    g.destroy();
  }
}

/** Restores every point from the bucket alone (no local copies) and compares it with the tree it was taken from. */
async function restoreEveryPoint(w: World, trees: Map<number, Record<string, PathState>>): Promise<void> {
  rmSync(join(w.stateDir, 'archives'), { recursive: true, force: true });
  for (const [seq, tree] of trees) {
    const to = join(w.root, `restore-${seq}`);
    const r = await w.cli('restore', '--seq', String(seq), '--to', to, '--wait');
    assert.equal(r.code, 0, `restore --seq ${seq}: ${r.stderr}`);
    assert.deepEqual(snapshotTree(to), tree, `point ${seq} restores exactly from the bucket`);
  }
}

test('migrate --to-s3 (bucket on the bundled server): local copies used, the rest retrieved; every point restores from the bucket; --delete-source keeps the 90-day minimum', async (t) => {
  const w = await world(t);
  const trees = await history(w, false);
  dropLocalCopies(w, [2, 3, 5, 8, 10]);
  const vaultBefore = new Set(await vaultIds(w));
  // archives 1-4 went to the vault 100 days ago: past Glacier's 90-day minimum
  const db = catalog(w);
  const old = new Date(Date.now() - 100 * DAY).toISOString();
  db.prepare('UPDATE archives SET uploaded_at = ? WHERE seq <= 4').run(old);
  const oldIds = db.prepare('SELECT archive_id FROM archives WHERE seq <= 4').pluck().all() as string[];
  db.close();

  const s3 = new S3Client({ endpoint: w.server.endpoint, region: 'us-east-1', credentials: w.server.credentials, forcePathStyle: true });
  t.after(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'moved' }));
  w.storage({ migrate: { fromVault: w.vault }, s3: { bucket: 'moved', prefix: 'nas/', endpoint: w.server.endpoint, partSizeMiB: 5, maxRetries: 3 } });

  let r = await w.cli('migrate', '--to-s3', '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /would move 10 archive\(s\) \(.*\) from the vault to the bucket: 5 from local copies, 5 through Bulk retrieval jobs/);

  // during the migration a restore that needs a vault archive says what to do
  r = await w.cli('restore', '--seq', '3', '--to', join(w.root, 'early'), '--wait');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /archive [23] \(.*\) is still in the vault, not yet moved to s3:\/\/moved\/nas\/ .*"backup migrate --to-s3 --wait"/);

  r = await w.cli('migrate', '--to-s3');
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stdout, /migrate: 5 of 10 archive\(s\) moved \(5 from local copies, 0 retrieved\), .* retrieval jobs: 5 started, 0 reused; 5 waiting/);
  assert.match(r.stderr, /5 archive\(s\) wait on vault retrieval jobs .*run "backup migrate --to-s3" again later, or add --wait/);

  r = await w.cli('migrate', '--to-s3', '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /migrate: 5 of 5 archive\(s\) moved \(0 from local copies, 5 retrieved\), .* retrieval jobs: 0 started, 5 reused; 0 waiting/);
  assert.match(r.stdout, /every archive is in the bucket and so is a fresh catalog snapshot/);

  const b = await bucketState(s3);
  assert.deepEqual([...b.perSeq].sort((x, y) => x[0] - y[0]), Array.from({ length: 10 }, (_, i) => [i + 1, 1]), 'one object per archive');
  assert.equal(b.snapshots.length, 1, 'a fresh catalog snapshot, no vault snapshot copied');
  assert.equal(b.openUploads, 0);
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'moved', Key: b.keys.find((k) => k.startsWith('nas/mig/000001-'))! }))).StorageClass, 'DEEP_ARCHIVE');
  assert.deepEqual(new Set(await vaultIds(w)), vaultBefore, 'without --delete-source the vault keeps everything');

  // a second run has nothing left to move
  r = await w.cli('migrate', '--to-s3');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /migrate: 0 of 0 archive\(s\) moved/);

  // --delete-source: only the archives past 90 days; then --allow-early-delete the rest
  r = await w.cli('migrate', '--to-s3', '--delete-source');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /; 4 vault archive\(s\) deleted/);
  assert.match(r.stdout, /kept \d+ moved archive\(s\) in the vault: deleting them before 90 days is billed as early deletion/);
  let left = new Set(await vaultIds(w));
  for (const id of oldIds) assert.equal(left.has(id), false, 'archives past 90 days are deleted');
  assert.equal(left.size, vaultBefore.size - 4);
  r = await w.cli('migrate', '--to-s3', '--delete-source', '--allow-early-delete');
  assert.equal(r.code, 0, r.stderr);
  left = new Set(await vaultIds(w));
  assert.equal(left.size, 0, 'every moved archive and vault snapshot is gone from the vault');

  // the config names the bucket only: everything works on it
  w.storage({ s3: { bucket: 'moved', prefix: 'nas/', endpoint: w.server.endpoint, partSizeMiB: 5, maxRetries: 3 } });
  await restoreEveryPoint(w, trees);
  for (const cmd of [['status'], ['cost'], ['prune', '--dry-run'], ['check']]) {
    r = await w.cli(...cmd);
    assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
  }
  // disaster after the move: the bucket alone (its fresh catalog snapshot) rebuilds the catalog
  rmSync(w.stateDir, { recursive: true, force: true });
  r = await w.cli('catalog', 'rebuild', '--from-inventory');
  assert.equal(r.code, 0, r.stderr);
  r = await w.cli('restore', '--to', join(w.root, 'rebuilt'), '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshotTree(join(w.root, 'rebuilt')), trees.get(10));

  writeFileSync(join(w.data, 'after.txt'), 'after the move\n');
  r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await bucketState(s3)).perSeq.get(11), 1, 'the next run goes to the bucket');
});

test('migrate --to-s3 (bucket on moto_server) killed with SIGKILL at seeded random instants finishes on rerun: no duplicate object, no open upload, exact restores', async (t) => {
  const moto = await startMotoServer();
  t.after(() => moto.close());
  const w = await world(t);
  const trees = await history(w, true);
  dropLocalCopies(w, [1, 4, 6, 7]);
  await moto.createBucket('moved');
  // a bandwidth cap stretches the uploads over seconds, so the kills land inside them
  w.storage({ migrate: { fromVault: w.vault }, s3: { bucket: 'moved', prefix: 'nas/', endpoint: moto.endpoint, partSizeMiB: 5, maxRetries: 3, maxBytesPerSecond: 4 * MiB } });

  const seed = Number(process.env.MIGRATE_KILL_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`kill seed ${seed} (MIGRATE_KILL_SEED=${seed} replays it)`);
  const random = mulberry32(seed);
  // each kill lands after the k-th progress line (a job started, a download, an archive moved) and a further pause
  const kills: string[] = [];
  let killed = 0;
  // up to 3 kills that land while the migration runs; an attempt that finishes first has moved
  // everything (later attempts would have nothing left to cut), so the kills stop there
  let finished = false;
  while (killed < 3 && !finished) {
    const afterLines = 1 + Math.floor(random() * 3);
    const pauseMs = Math.floor(random() * 300);
    const child = spawn(process.execPath, [BIN, 'migrate', '--to-s3', '--wait', '--config', w.config], { env: { ...process.env, ...w.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    let lines = 0;
    let timer: NodeJS.Timeout | undefined;
    let last = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      lines += text.split('\n').length - 1;
      last = text.trim().split('\n').pop() ?? last;
      if (lines >= afterLines && !timer) timer = setTimeout(() => child.kill('SIGKILL'), pauseMs);
    });
    const code = await exited;
    clearTimeout(timer);
    if (code === null) killed++;
    else finished = true;
    kills.push(`after line ${afterLines} + ${pauseMs} ms (${code === null ? `killed after "${last.slice(0, 60)}"` : `finished first, exit ${code}`})`);
  }
  t.diagnostic(`kills: ${kills.join('; ')}`);
  assert.ok(killed >= 1, `no kill landed inside the migration: ${kills.join('; ')}`);

  const r = await w.cli('migrate', '--to-s3', '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /every archive is in the bucket/);
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: moto.credentials, forcePathStyle: true });
  t.after(() => s3.destroy());
  const b = await bucketState(s3);
  assert.deepEqual([...b.perSeq].sort((x, y) => x[0] - y[0]), Array.from({ length: 10 }, (_, i) => [i + 1, 1]), `one object per archive (${b.keys.join(' ')})`);
  assert.equal(b.openUploads, 0, 'no multipart upload left open');
  const db = catalog(w);
  assert.equal(db.prepare("SELECT COUNT(*) FROM archives WHERE store = 's3'").pluck().get(), 10);
  assert.equal(db.prepare('SELECT COUNT(*) FROM uploads').pluck().get(), 0);
  db.close();
  assert.deepEqual(readdirSync(join(w.stateDir, 'migrate')), [], 'no retrieved copy left behind');

  w.storage({ s3: { bucket: 'moved', prefix: 'nas/', endpoint: moto.endpoint, partSizeMiB: 5, maxRetries: 3 } });
  await restoreEveryPoint(w, trees);
});
