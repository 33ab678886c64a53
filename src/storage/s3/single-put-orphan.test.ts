/**
 * A single-request upload whose response was lost (the bundled server's `lostResponse`
 * fault) leaves its key in the journal: put() with that journal adopts the stored object
 * without sending it again, and abortUpload() of that journal id (an archive the catalog
 * never committed) deletes the object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config-schema.js';
import { startGlacierLocal } from '../../glacier-local/start-glacier-local.js';
import { memoryJournal } from '../memory-journal.js';
import { createS3Client, openS3, SINGLE_PUT } from './s3-backend.js';

const cfg: S3Config = {
  bucket: 'orphans',
  prefix: 'pre/',
  region: 'us-east-1',
  storageClass: 'DEEP_ARCHIVE',
  catalogStorageClass: 'GLACIER_IR',
  partSizeMiB: 5,
  concurrency: 1,
  maxRetries: 0,
  uploadCatalog: false,
  restoreDays: 1,
};

/** The bundled server with the bucket created, an S3 client and the backend on it; all closed after the test. */
async function bucketOnLocalServer(t: { after(fn: () => Promise<void>): void }, prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const server = await startGlacierLocal({ dir });
  const client = createS3Client(cfg, { endpoint: server.endpoint, credentials: server.credentials });
  const backend = openS3(cfg, { endpoint: server.endpoint, credentials: server.credentials, pollMs: 5, retry: { baseMs: 1, maxMs: 5 } }, client);
  t.after(async () => {
    await backend.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  await client.send(new CreateBucketCommand({ Bucket: cfg.bucket }));
  return { dir, server, client, backend };
}

test('a lost PutObject response: the journal names the key; put adopts the object, abortUpload deletes it', async (t) => {
  const { dir, server, client, backend } = await bucketOnLocalServer(t, 's3-single-put-');
  const keys = async () => ((await client.send(new ListObjectsV2Command({ Bucket: cfg.bucket }))).Contents ?? []).map((o) => o.Key!);
  const path = join(dir, 'a.tar.gz');
  await writeFile(path, 'archive bytes');
  const meta = { kind: 'data' as const, host: 'h', set: 's', seq: 1, level: 0, parentSeq: null, createdAt: new Date(0), fileName: 's-000001-L0.tar.gz' };
  const journal = memoryJournal();

  server.setFaults([{ operation: 'PutObject', kind: 'lostResponse' }]);
  await assert.rejects(backend.put({ path, meta, expectedBytes: 13, journal, signal: new AbortController().signal }));
  const [key] = await keys();
  assert.ok(key);
  assert.equal(journal.state()?.uploadId, `${SINGLE_PUT}${key}`);

  server.setFaults([]);
  const stored = await backend.put({ path, meta, expectedBytes: 13, journal, signal: new AbortController().signal });
  assert.equal(stored.id, key);
  assert.equal(stored.requests, 0, 'adopted, not sent again');

  await backend.abortUpload(`${SINGLE_PUT}${key}`);
  assert.deepEqual(await keys(), []);
  await backend.abortUpload(`${SINGLE_PUT}${key}`); // idempotent
});

test('a lost CreateMultipartUpload response: the next put aborts the upload nothing recorded, so no upload stays open', async (t) => {
  const { dir, server, client, backend } = await bucketOnLocalServer(t, 's3-lost-create-');
  const path = join(dir, 'b.tar.gz');
  const size = 6 * 1024 * 1024 + 3; // two parts of 5 MiB
  await writeFile(path, Buffer.alloc(size, 7));
  const meta = { kind: 'data' as const, host: 'h', set: 's', seq: 2, level: 0, parentSeq: null, createdAt: new Date(0), fileName: 's-000002-L0.tar.gz' };
  const journal = memoryJournal();

  server.setFaults([{ operation: 'CreateMultipartUpload', kind: 'lostResponse' }]);
  await assert.rejects(backend.put({ path, meta, expectedBytes: size, journal, signal: new AbortController().signal }));
  assert.equal(journal.state(), null, 'the journal never learnt the upload id');
  assert.equal((await backend.listUploads()).length, 1, 'S3 holds the upload the lost response created');

  server.setFaults([]);
  const stored = await backend.put({ path, meta, expectedBytes: size, journal, signal: new AbortController().signal });
  assert.equal(stored.size, size);
  assert.deepEqual(await backend.listUploads(), []);
  const objects = (await client.send(new ListObjectsV2Command({ Bucket: cfg.bucket }))).Contents ?? [];
  assert.deepEqual(objects.map((o) => o.Key), [stored.id]);
});
