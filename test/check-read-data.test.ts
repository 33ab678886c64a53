/**
 * `backup check --read-data` (issue 9 §4) and `check` through the storage seam, through the
 * real binary: archives are read back from the stored copy (never the local one) on a vault
 * of the bundled server, on the bundled server's S3 side and on moto_server; a healthy
 * state passes; a stored object whose bytes were changed in the server's store is found;
 * warm-ups still pending exit 4, and the next invocation reuses them (the servers count the
 * requests that start retrievals); Ctrl-C while waiting exits 130 with the jobs kept;
 * --seq and --sample (with a printed, repeatable seed) read what they say; an encrypted
 * chain passes and a damaged age chunk is named; the bucket listing is compared at once.
 * Job and restore delays come from the servers' timing options (and the S3 side's movable
 * clock), so nothing races real time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startGlacierLocal, type GlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { TreeHasher } from '../src/treehash/tree-hash.js';
import { startOffsite, type Offsite } from './helpers/offsite.js';
import { startMotoServer } from './helpers/moto-server.js';
import { BIN, runCli, type CliResult } from './helpers/run-cli.js';
import { awsEnv } from './helpers/aws-env.js';

interface CheckJson {
  ok: boolean;
  problems: Array<{ set: string; seq: number | null; what: string }>;
  pending: Array<{ set: string; seq: number; jobId: string }>;
  checked: { listing: string | null; readData: { archives: number[]; seed: number | null; read: number; bytesRetrieved: number; jobsStarted: number; jobsReused: number } | null };
}

/** Every regular file below `dir`. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => join(dir, p)).filter((p) => statSync(p).isFile());
}

/** Backs up `runs` small states (each run changes one file; the first adds 200 KiB of noise). */
async function backUp(cli: (...a: string[]) => Promise<CliResult>, data: string, runs: number): Promise<void> {
  writeFileSync(join(data, 'noise.bin'), randomBytes(200 * 1024));
  for (let i = 0; i < runs; i++) {
    writeFileSync(join(data, `f${i}.txt`), `version ${i}\n`.repeat(100));
    const r = await cli('run');
    assert.equal(r.code, 0, r.stderr);
  }
}

function problemLines(r: CliResult): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('set '));
}

async function vaultWorld(t: { after(fn: () => Promise<void>): void }, opts: Parameters<typeof startOffsite>[0] = {}, runs = 2): Promise<Offsite> {
  const o = await startOffsite(opts);
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  await backUp((...a) => o.cli(...a), o.data, runs);
  return o;
}

test('vault: --read-data reads every archive from the vault (not the local copies), verifies it and leaves nothing in stateDir/retrieved; a stored archive changed in the server store is found', async (t) => {
  const o = await vaultWorld(t, { vault: { maxRetries: 1 } });
  const before = o.server.stats();
  // a Glacier job is in progress when started, however fast it then completes: without --wait, exit 4
  const started = await o.cli('check', '--read-data');
  assert.equal(started.code, 4, started.stdout + started.stderr);
  const r = await o.cli('check', '--read-data', '--json');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout) as CheckJson;
  const sizes = (JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ size: number }> }).archives.map((a) => a.size);
  assert.deepEqual([j.ok, j.problems, j.checked.readData?.archives, j.checked.readData?.read], [true, [], [1, 2], 2]);
  assert.equal(j.checked.readData?.bytesRetrieved, sizes[0] + sizes[1]);
  const after = o.server.stats();
  assert.equal(after.InitiateJob - (before.InitiateJob ?? 0), 2);
  assert.equal(after['GetJobOutput.bytesSent'] - (before['GetJobOutput.bytesSent'] ?? 0), sizes[0] + sizes[1]);
  assert.deepEqual(filesUnder(join(o.stateDir, 'retrieved')), []);
  // the jobs' output stays available: a second check reads again without a new job
  const human = await o.cli('check', '--read-data');
  assert.equal(human.code, 0, human.stdout + human.stderr);
  assert.match(human.stdout, /^ok: 2 archive\(s\) in the catalog, 2 local copies verified .*stored data: 2 archive\(s\) read back and verified .*0 retrieval\(s\) started, 2 reused/m);
  assert.equal(o.server.stats().InitiateJob - (before.InitiateJob ?? 0), 2);

  // a stored archive whose bytes were changed in the server's store is found: exit 1, one line naming the set and archive
  const list = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ seq: number; archiveId: string }> };
  const [chunk] = filesUnder(join(o.root, 'vault-server', 'archives', list.archives[0].archiveId)).filter((f) => !f.endsWith('.tree'));
  const bytes = readFileSync(chunk);
  bytes[bytes.length >> 1] ^= 0x01;
  writeFileSync(chunk, bytes);
  const tampered = await o.cli('check', '--read-data', '--wait');
  assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
  const lines = problemLines(tampered);
  assert.equal(lines.length, 1, tampered.stdout);
  assert.match(lines[0], /^set offsite archive 1: the stored copy \(.*\) does not read back intact: /);
  assert.deepEqual(filesUnder(join(o.stateDir, 'retrieved')), []);
  // the local copy is fine: check without --read-data does not look at the stored bytes
  assert.equal((await o.cli('check')).code, 0);
});

test('vault: pending retrievals exit 4 naming them; the next invocation reuses the jobs; Ctrl-C while waiting exits 130 and keeps them', async (t) => {
  const o = await vaultWorld(t, { jobDelaysMs: { Standard: 3_600_000, Bulk: 3_600_000 } });
  const first = await o.cli('check', '--read-data');
  assert.equal(first.code, 4, first.stdout + first.stderr);
  assert.equal(o.server.stats().InitiateJob, 2);
  assert.match(first.stdout, /^set offsite archive 1: retrieval pending \(Standard, requested /m);
  assert.match(first.stdout, /^set offsite archive 2: retrieval pending /m);
  assert.match(first.stdout, /2 retrieval\(s\) still in progress .*run the same command again later/);

  const second = await o.cli('check', '--read-data', '--json');
  assert.equal(second.code, 4);
  const j = JSON.parse(second.stdout) as CheckJson;
  assert.deepEqual([j.ok, j.pending.map((p) => p.seq), j.checked.readData?.jobsStarted, j.checked.readData?.jobsReused], [false, [1, 2], 0, 2]);
  assert.equal(o.server.stats().InitiateJob, 2, 'no retrieval paid twice');

  // --wait, then Ctrl-C once it waits: 130, the jobs stay recorded and are still reused
  const child = spawn(process.execPath, [BIN, 'check', '--read-data', '--wait', '--config', o.config], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!child.killed && /waiting for retrieval/.test(stderr)) child.kill('SIGINT');
    });
    child.on('close', (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  const third = await o.cli('check', '--read-data');
  assert.equal(third.code, 4);
  assert.equal(o.server.stats().InitiateJob, 2);
});

test('--seq reads exactly the archives named; --sample reads that share (at least one) and --seed repeats the same sample', async (t) => {
  const o = await vaultWorld(t, { jobDelaysMs: { Expedited: 1200 } }, 4);
  // --wait waits for the jobs (polling with backoff), then verifies
  const bySeq = await o.cli('check', '--read-data', '--seq', '2', '4', '--tier', 'Expedited', '--wait', '--json');
  assert.equal(bySeq.code, 0, bySeq.stdout + bySeq.stderr);
  const seq = JSON.parse(bySeq.stdout) as CheckJson;
  assert.deepEqual([seq.checked.readData?.archives, seq.checked.readData?.read], [[2, 4], 2]);
  assert.equal(o.server.stats().InitiateJob, 2);

  const sampled = await o.cli('check', '--read-data', '--sample', '50', '--wait');
  assert.equal(sampled.code, 0, sampled.stdout + sampled.stderr);
  const m = /^reading 2 stored archive\(s\) chosen with seed (\d+) \(the same sample again: --sample 50 --seed \1\): (\d) (\d)$/m.exec(sampled.stdout);
  assert.ok(m, sampled.stdout);
  const again = JSON.parse((await o.cli('check', '--read-data', '--sample', '50', '--seed', m[1], '--wait', '--json')).stdout) as CheckJson;
  assert.deepEqual(again.checked.readData?.archives, [Number(m[2]), Number(m[3])]);
  assert.equal(again.checked.readData?.seed, Number(m[1]));
  const one = JSON.parse((await o.cli('check', '--read-data', '--sample', '1', '--wait', '--json')).stdout) as CheckJson;
  assert.equal(one.checked.readData?.archives.length, 1);

  for (const bad of [['--sample', '0'], ['--seq', '9'], ['--seed', '3']]) {
    const r = await o.cli('check', ...(bad[0] === '--seed' ? [] : ['--read-data']), ...bad);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('encrypted chain: --read-data authenticates every age chunk and passes; a changed byte is named as an age chunk that does not authenticate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'check-s3-'));
  const server = await startGlacierLocal({ dir, s3MinPartSize: 1024 * 1024 });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await createBucket(server);
  const w = s3World(t, server, { storageClass: 'GLACIER' });
  const key = join(w.root, 'age.key');
  const gen = await w.cli('key', 'generate', '--out', key);
  assert.equal(gen.code, 0, gen.stderr);
  w.setConfig({ encryption: { recipients: [gen.stdout.trim()], identityFile: key } });
  await backUp(w.cli, w.data, 2);
  const ok = await w.cli('check', '--read-data', '--wait');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);

  // one byte of the stored object of archive 1, in the server's store
  const db = new Database(join(w.stateDir, 'catalog.db'), { readonly: true });
  const size = db.prepare('SELECT size FROM archives WHERE seq = 1').pluck().get() as number;
  db.close();
  const [file] = filesUnder(join(dir, 's3', 'data')).filter((f) => statSync(f).size === size);
  const bytes = readFileSync(file);
  bytes[bytes.length - 100] ^= 0x01;
  writeFileSync(file, bytes);
  const bad = await w.cli('check', '--read-data', '--wait');
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const lines = problemLines(bad);
  assert.equal(lines.length, 1, bad.stdout);
  assert.match(lines[0], /^set s3set archive 1: the stored copy \(pre\/s3set\/000001-L0-.*\): its tree hash is [0-9a-f]{64}, the catalog has [0-9a-f]{64}; age chunk \d+ \(plaintext offset \d+\) does not authenticate/);

  // the catalog agreeing with the changed bytes does not help: the chunk still fails authentication
  const hasher = new TreeHasher();
  hasher.update(bytes);
  const rw = new Database(join(w.stateDir, 'catalog.db'));
  rw.prepare('UPDATE archives SET tree_hash = ? WHERE seq = 1').run(hasher.digest());
  rw.close();
  const still = await w.cli('check', '--read-data', '--seq', '1', '--wait');
  assert.equal(still.code, 1, still.stdout + still.stderr);
  assert.match(problemLines(still)[0], /^set s3set archive 1: the stored copy .* cannot be read: .*chunk \d+ .*does not authenticate/);
});

test('S3 (bundled server): a restore still running exits 4 and is reused, not requested again; once the server clock passes it, the check reads and passes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'check-s3-'));
  let offset = 0;
  const server = await startGlacierLocal({ dir, clock: () => Date.now() + offset, restoreDelaysMs: { DEEP_ARCHIVE: { Standard: 12 * 3_600_000 } } });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await createBucket(server);
  const w = s3World(t, server, {});
  await backUp(w.cli, w.data, 2);
  const first = await w.cli('check', '--read-data');
  assert.equal(first.code, 4, first.stdout + first.stderr);
  assert.equal(server.stats().RestoreObject, 2);
  const second = await w.cli('check', '--read-data');
  assert.equal(second.code, 4);
  assert.equal(server.stats().RestoreObject, 2);
  offset += 13 * 3_600_000;
  const done = await w.cli('check', '--read-data', '--json');
  assert.equal(done.code, 0, done.stdout + done.stderr);
  const j = JSON.parse(done.stdout) as CheckJson;
  assert.deepEqual([j.checked.readData?.read, j.checked.readData?.jobsStarted, j.checked.readData?.jobsReused], [2, 0, 2]);
  assert.equal(server.stats().RestoreObject, 2);
});

test('S3 (moto_server): check lists the bucket at once; --read-data passes; an object deleted behind the catalog is missing, one line', async (t) => {
  const moto = await startMotoServer();
  t.after(() => moto.close());
  await moto.createBucket('backups');
  const w = s3World(t, { endpoint: moto.endpoint, credentials: moto.credentials }, {});
  await backUp(w.cli, w.data, 2);
  const healthy = await w.cli('check', '--read-data', '--wait');
  assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
  assert.match(healthy.stdout, /bucket compared with its listing of \d{4}-.*stored data: 2 archive\(s\) read back and verified/);

  const list = JSON.parse((await w.cli('list', '--json')).stdout) as { archives: Array<{ seq: number; archiveId: string }> };
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: moto.credentials, forcePathStyle: true });
  await s3.send(new DeleteObjectCommand({ Bucket: 'backups', Key: list.archives[1].archiveId }));
  s3.destroy();
  const r = await w.cli('check');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(problemLines(r), [`set s3set archive 2: missing from the bucket listing of ${/listing of (\S+)/.exec(r.stdout)?.[1] ?? ''} (archive ID ${list.archives[1].archiveId})`]);
});

async function createBucket(server: GlacierLocal): Promise<void> {
  const s3 = new S3Client({ endpoint: server.endpoint, region: server.region, credentials: server.credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
  s3.destroy();
}

/** A config storing into bucket "backups" (prefix pre/) of `peer`, keeping no local copies. */
function s3World(t: { after(fn: () => void): void }, peer: Pick<GlacierLocal, 'endpoint' | 'credentials'>, s3: Record<string, unknown>) {
  const root = mkdtempSync(join(tmpdir(), 'check-s3-world-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  const stateDir = join(root, 'state');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  let body: Record<string, unknown> = {
    data,
    set: 's3set',
    stateDir,
    archive: { blockSizeKiB: 64, keepLocalCopy: false },
    s3: { bucket: 'backups', prefix: 'pre/', endpoint: peer.endpoint, partSizeMiB: 5, concurrency: 2, maxRetries: 2, ...s3 },
  };
  writeFileSync(config, JSON.stringify(body));
  const env: NodeJS.ProcessEnv = awsEnv(peer.credentials);
  return {
    root,
    data,
    stateDir,
    cli: (...args: string[]) => runCli([...args, '--config', config], { env }),
    setConfig(extra: Record<string, unknown>) {
      body = { ...body, ...extra };
      writeFileSync(config, JSON.stringify(body));
    },
  };
}
