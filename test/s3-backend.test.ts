/**
 * The S3 backend end to end through the real binary, against the bundled server's S3 side
 * and against moto_server: full + incremental into DEEP_ARCHIVE (a GET before a restore is
 * refused by both), exact restores (whole and --path) after RestoreObject, status and cost,
 * the state directory lost then `catalog rebuild` (snapshot in GLACIER_IR, no waiting) and an
 * exact restore again, and a run killed with SIGKILL mid-upload finished by the next run
 * with no second object and no open upload left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { listArchives } from '../src/catalog/archive-store.js';
import { openCatalog, type Db } from '../src/catalog/open-catalog.js';
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { startMotoServer } from './helpers/moto-server.js';
import { BIN, runCli } from './helpers/run-cli.js';
import { snapshotTree } from './helpers/tree-snapshot.js';
import { awsEnv } from './helpers/aws-env.js';

const MiB = 1024 * 1024;

interface Peer {
  name: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

const peers: Array<[string, () => Promise<Peer>]> = [
  [
    'the bundled server',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 's3-peer-'));
      const server = await startGlacierLocal({ dir });
      return { name: 'bundled', endpoint: server.endpoint, credentials: server.credentials, close: async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
  [
    'moto_server',
    async () => {
      const m = await startMotoServer();
      return { name: 'moto', endpoint: m.endpoint, credentials: m.credentials, close: () => m.close() };
    },
  ],
];

for (const [label, start] of peers) {
  test(`S3 on ${label}: full + incremental in DEEP_ARCHIVE, restores, status, cost, lost state dir rebuilt without waiting`, async (t) => {
    const peer = await start();
    t.after(() => peer.close());
    const w = world(peer);
    t.after(() => rmSync(w.root, { recursive: true, force: true }));
    const s3 = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', credentials: peer.credentials, forcePathStyle: true });
    t.after(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));

    writeFileSync(join(w.data, 'a.txt'), 'alpha\n');
    mkdirSync(join(w.data, 'docs'));
    writeFileSync(join(w.data, 'docs', 'big.bin'), randomBytes(6 * MiB));
    let r = await w.cli('run');
    assert.equal(r.code, 0, r.stderr);
    const first = snapshotTree(w.data);
    writeFileSync(join(w.data, 'a.txt'), 'alpha, changed\n');
    writeFileSync(join(w.data, 'docs', 'new.txt'), 'new file\n');
    r = await w.cli('run');
    assert.equal(r.code, 0, r.stderr);
    const second = snapshotTree(w.data);

    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? [];
    const data = keys.filter((k) => /^pre\/s3set\/\d{6}-L\d-/.test(k.Key!)).map((k) => k.Key!).sort();
    assert.equal(data.length, 2, JSON.stringify(keys.map((k) => k.Key)));
    assert.match(data[0], /^pre\/s3set\/000001-L0-/);
    assert.match(data[1], /^pre\/s3set\/000002-L1-/);
    const h = await s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: data[0] }));
    assert.equal(h.StorageClass, 'DEEP_ARCHIVE');
    assert.match(h.Metadata?.backup ?? '', /^backup\/1 \{"kind":"data"/);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'backups', Key: data[0] })), (e: Error) => e.name === 'InvalidObjectState');
    const snaps = keys.filter((k) => k.Key!.startsWith('pre/s3set/catalog/'));
    assert.ok(snaps.length >= 1);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: snaps[0].Key! }))).StorageClass, 'GLACIER_IR');

    r = await w.cli('status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /s3: s3:\/\/backups\/pre\/ \(DEEP_ARCHIVE/);
    assert.equal((await w.cli('cost')).code, 0);

    // local copies off: every restore reads from the bucket; Expedited is refused for DEEP_ARCHIVE
    r = await w.cli('restore', '--to', join(w.root, 'x'), '--tier', 'Expedited', '--wait');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /DEEP_ARCHIVE, which has no Expedited retrieval/);
    r = await w.cli('restore', '--to', join(w.root, 'r1'));
    assert.equal(r.code, 4, r.stderr);
    r = await w.cli('restore', '--to', join(w.root, 'r1'), '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotTree(join(w.root, 'r1')), second);
    r = await w.cli('restore', '--seq', '1', '--to', join(w.root, 'r0'), '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotTree(join(w.root, 'r0')), first);
    r = await w.cli('restore', '--to', join(w.root, 'rp'), '--path', 'docs/new.txt', '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(snapshotTree(join(w.root, 'rp'))).filter((p) => p.endsWith('.txt')), ['docs/new.txt']);

    // disaster: the state directory is gone; the bucket alone rebuilds the catalog, at once
    rmSync(w.stateDir, { recursive: true, force: true });
    r = await w.cli('catalog', 'rebuild', '--from-inventory');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /from the newest catalog snapshot: 2 archives/);
    r = await w.cli('restore', '--to', join(w.root, 'r2'), '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotTree(join(w.root, 'r2')), second);
  });

  test(`S3 on ${label}: a run killed with SIGKILL mid-upload is finished by the next run, with one object and no open upload`, async (t) => {
    const peer = await start();
    t.after(() => peer.close());
    const w = world(peer, { maxBytesPerSecond: 2 * MiB });
    t.after(() => rmSync(w.root, { recursive: true, force: true }));
    const s3 = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', credentials: peer.credentials, forcePathStyle: true });
    t.after(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
    writeFileSync(join(w.data, 'big.bin'), randomBytes(16 * MiB));

    const child = spawn(process.execPath, [BIN, 'run', '--config', w.config], { env: { ...process.env, ...w.env }, stdio: 'ignore' });
    // wait until the catalog has committed the archive while its paced upload (8 s at the cap)
    // is still under way, then kill the run without warning. A kill before the commit would
    // rightly discard the archive, so the test waits for the commit, not for a fixed time.
    for (let i = 0; committedArchives(w.stateDir) === 0; i++) {
      assert.ok(i < 2400, `the run never committed its archive (${lastCatalogError})`);
      await sleep(25);
    }
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'backups' }))).Uploads?.length, 1, 'the upload is still open at the kill');
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));

    const r = await w.cli('run');
    assert.equal(r.code, 0, r.stderr);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []).map((k) => k.Key!).filter((k) => /\/\d{6}-L\d-/.test(k));
    assert.equal(keys.length, 2, `one object per archive: ${keys.join(', ')}`);
    assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'backups' }))).Uploads ?? [], []);
    const restored = await w.cli('restore', '--seq', '1', '--to', join(w.root, 'r'), '--wait');
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(snapshotTree(join(w.root, 'r')), snapshotTree(w.data));
  });
}

let lastCatalogError = '';
/** Archives the catalog has committed so far (0 while it does not exist yet). */
function committedArchives(stateDir: string): number {
  let db: Db | undefined;
  try {
    db = openCatalog(join(stateDir, 'catalog.db'), { readonly: true });
    return listArchives(db).length;
  } catch (err) {
    lastCatalogError = String(err);
    return 0;
  } finally {
    db?.close();
  }
}

/** A temp root with data, state and a config pointing at the peer's bucket. */
function world(peer: Peer, s3: Record<string, unknown> = {}) {
  const root = mkdtempSync(join(tmpdir(), `s3-${peer.name}-`));
  const data = join(root, 'data');
  const stateDir = join(root, 'state');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  writeFileSync(
    config,
    JSON.stringify({
      data,
      set: 's3set',
      stateDir,
      archive: { blockSizeKiB: 64, keepLocalCopy: false, level: 1 },
      s3: { bucket: 'backups', prefix: 'pre/', endpoint: peer.endpoint, partSizeMiB: 5, concurrency: 2, maxRetries: 3, ...s3 },
    }),
  );
  const env: NodeJS.ProcessEnv = awsEnv(peer.credentials);
  return { root, data, stateDir, config, env, cli: (...args: string[]) => runCli([...args, '--config', config], { env }) };
}
