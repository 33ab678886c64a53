/**
 * glacier-local keeps its state in the data directory: archives, multipart uploads in
 * progress and jobs survive a restart, and a restart cleans up after a crash.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { treeHash } from '../src/treehash/tree-hash.js';
import { MiB, pattern, startTestServer } from './glacier-local-helpers.js';

const part = (c: GlacierClient, uploadId: string, data: Buffer, start: number, size: number) => {
  const body = data.subarray(start, start + size);
  return c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'keep', uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum: treeHash(body) }));
};

async function retrieve(c: GlacierClient, archiveId: string): Promise<Buffer> {
  const { jobId } = await c.send(new InitiateJobCommand({ accountId: '-', vaultName: 'keep', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' } }));
  const out = await c.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'keep', jobId }));
  return Buffer.from(await out.body!.transformToByteArray());
}

test('archives, an upload in progress and a pending job survive a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glacier-local-persist-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let now = Date.now();
  const opts = { dir, clock: () => now, jobDelaysMs: { Standard: 1200 } };

  const single = pattern(1500, 1);
  const big = pattern(3 * MiB + 77, 2);
  let s = await startTestServer(opts);
  let c = s.client;
  await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'keep' }));
  const a1 = (await c.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'keep', body: single, checksum: treeHash(single), archiveDescription: 'single' }))).archiveId!;
  const { uploadId } = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'keep', partSize: String(MiB), archiveDescription: 'resumed' }));
  await part(c, uploadId!, big, 0, MiB);
  await part(c, uploadId!, big, 3 * MiB, MiB);
  const { jobId } = await c.send(new InitiateJobCommand({ accountId: '-', vaultName: 'keep', jobParameters: { Type: 'archive-retrieval', ArchiveId: a1 } }));
  assert.equal((await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'keep', jobId }))).StatusCode, 'InProgress');
  await s.cleanup();
  await s.gl.close(); // closing twice is harmless

  s = await startTestServer(opts);
  t.after(() => s.cleanup());
  c = s.client;
  assert.deepEqual((await c.send(new ListVaultsCommand({ accountId: '-' }))).VaultList!.map((v) => v.VaultName), ['keep']);
  assert.equal((await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'keep' }))).NumberOfArchives, 1);
  assert.ok((await retrieve(c, a1)).equals(single));

  const uploads = await c.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'keep' }));
  assert.deepEqual(uploads.UploadsList!.map((u) => [u.MultipartUploadId, u.ArchiveDescription, u.PartSizeInBytes]), [[uploadId, 'resumed', MiB]]);
  const parts = await c.send(new ListPartsCommand({ accountId: '-', vaultName: 'keep', uploadId }));
  assert.deepEqual(parts.Parts!.map((p) => p.RangeInBytes), [`0-${MiB - 1}`, `${3 * MiB}-${big.length - 1}`]);
  await part(c, uploadId!, big, MiB, MiB);
  await part(c, uploadId!, big, 2 * MiB, MiB);
  const done = await c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'keep', uploadId, archiveSize: String(big.length), checksum: treeHash(big) }));
  assert.ok((await retrieve(c, done.archiveId!)).equals(big));

  const job = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'keep', jobId }));
  assert.equal(job.StatusCode, 'InProgress', 'the clock has not moved: the job is still running after the restart');
  now += 1300;
  assert.equal((await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'keep', jobId }))).StatusCode, 'Succeeded');
  const out = await c.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'keep', jobId }));
  assert.ok(Buffer.from(await out.body!.transformToByteArray()).equals(single));
});

test('a restart finishes a completion interrupted before its files moved and removes orphaned files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glacier-local-recover-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const data = pattern(2 * MiB + 9, 3);
  let s = await startTestServer({ dir });
  let c = s.client;
  await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'keep' }));
  const { uploadId } = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'keep', partSize: String(MiB) }));
  for (let start = 0; start < data.length; start += MiB) await part(c, uploadId!, data, start, MiB);
  const done = await c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'keep', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
  await s.cleanup();

  // as if the process died after recording the archive but before moving the upload's files
  await rename(join(dir, 'archives', done.archiveId!), join(dir, 'uploads', uploadId!));
  // and left debris behind
  await writeFile(join(dir, 'tmp', 'half-received'), 'x');
  await mkdir(join(dir, 'archives', 'never-recorded'));
  await mkdir(join(dir, 'uploads', 'never-recorded'));

  s = await startTestServer({ dir });
  t.after(() => s.cleanup());
  c = s.client;
  assert.ok((await retrieve(c, done.archiveId!)).equals(data));
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'archives')), [done.archiveId]);
  assert.deepEqual(await readdir(join(dir, 'uploads')), []);
});
