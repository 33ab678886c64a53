/**
 * Not-found through the real binary: what the user names and does not exist is bad usage
 * (NOT_FOUND, exit 2); what the vault or bucket no longer holds in the middle of a command is
 * a failure (exit 1), never "bad usage". An object deleted behind the catalog's back does not
 * stop a prune (deleting is idempotent); a bucket deleted behind its back fails it with exit 1
 * and the catalog forgets nothing it did not delete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteArchiveCommand, GlacierClient } from '@aws-sdk/client-glacier';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { startOffsite } from './helpers/offsite.js';
import { runCli } from './helpers/run-cli.js';
import { awsEnv } from './helpers/aws-env.js';

interface Listed {
  archives: Array<{ seq: number; uploadState: string; archiveId: string | null }>;
}
interface JsonError {
  error: { code: string; exitCode: number; message: string };
}

const retention = { retention: { keepChains: 1, minChains: 1 } };

test('an archive deleted from the vault behind the catalog\'s back: prune still deletes its chain (exit 0); a seq the user names that does not exist is exit 2', async (t) => {
  const o = await startOffsite({ archive: { fullEvery: 1 }, vault: { uploadCatalog: false }, extra: retention });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(o.data, `f${i}.txt`), `v${i}\n`);
    assert.equal((await o.cli('run')).code, 0);
  }
  const before = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  const glacier = new GlacierClient({ endpoint: o.server.endpoint, region: o.server.region, credentials: o.server.credentials });
  t.after(() => glacier.destroy());
  await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'test-vault', archiveId: before.archives[1].archiveId! }));

  const r = await o.cli('prune', '--allow-early-delete');
  assert.equal(r.code, 0, r.stderr);
  const after = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(after.archives.filter((a) => a.uploadState === 'deleted').map((a) => a.seq), [1, 2]);

  const missing = await o.cli('restore', '--to', join(o.root, 'r'), '--seq', '99', '--json');
  assert.equal(missing.code, 2);
  assert.equal((JSON.parse(missing.stderr) as JsonError).error.code, 'NOT_FOUND');
});

test('regression: a bucket deleted behind the catalog\'s back fails prune with exit 1 (storage not found), not exit 2, and the catalog keeps the archives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prune-404-'));
  const server = await startGlacierLocal({ dir: join(dir, 'server') });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const data = join(dir, 'data');
  mkdirSync(data);
  const config = join(dir, 'backup.json');
  writeFileSync(
    config,
    JSON.stringify({
      data,
      set: 'gone',
      stateDir: join(dir, 'state'),
      archive: { blockSizeKiB: 64, keepLocalCopy: false, fullEvery: 1 },
      s3: { bucket: 'backups', prefix: 'pre/', endpoint: server.endpoint, partSizeMiB: 5, concurrency: 2, maxRetries: 1, uploadCatalog: false },
      ...retention,
    }),
  );
  const env = awsEnv(server.credentials);
  const cli = (...args: string[]) => runCli([...args, '--config', config], { env });
  const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, forcePathStyle: true });
  t.after(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(data, `f${i}.txt`), `v${i}\n`);
    const r = await cli('run');
    assert.equal(r.code, 0, r.stderr);
  }
  for (const o of (await s3.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: 'backups', Key: o.Key! }));
  await s3.send(new DeleteBucketCommand({ Bucket: 'backups' }));

  const r = await cli('prune', '--allow-early-delete', '--json');
  assert.equal(r.code, 1, r.stderr);
  const e = JSON.parse(r.stderr) as JsonError;
  assert.equal(e.error.exitCode, 1);
  assert.equal(e.error.code, 'VAULT_NOT_FOUND');
  assert.match(e.error.message, /bucket backups does not exist/);
  const listed = JSON.parse((await cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(listed.archives.filter((a) => a.uploadState === 'deleted').map((a) => a.seq), [], 'nothing is forgotten that storage did not delete');
});
