/**
 * Fault injection as the AWS SDK observes it: each kind fails a request when the
 * client does not retry, and is overcome by the SDK's own retries when it does
 * (errors 500/503, throttling, 408, connection resets). Reset-after-commit shows why
 * CompleteMultipartUpload is idempotent.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
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
import { expectGlacierError, MiB, pattern, sdkError, startTestServer } from './glacier-local-helpers.js';
import type { TestServer } from './glacier-local-helpers.js';

let s: TestServer;
let once: GlacierClient; // no retries
let retrying: GlacierClient; // the SDK's standard retries, 3 attempts
let vaultNo = 0;
let vault: string;

before(async () => {
  s = await startTestServer();
  once = s.client;
  retrying = s.clientWith({ maxAttempts: 3 });
});
after(() => s.cleanup());
beforeEach(async () => {
  s.gl.setFaults([]);
  vault = `faults-${++vaultNo}`;
  await once.send(new CreateVaultCommand({ accountId: '-', vaultName: vault }));
});

const delta = (before: Record<string, number>, key: string) => (s.gl.stats()[key] ?? 0) - (before[key] ?? 0);

async function initiate(): Promise<string> {
  return (await once.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: vault, partSize: String(MiB) }))).uploadId!;
}

function putPart(c: GlacierClient, uploadId: string, body: Buffer, start = 0) {
  return c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: vault, uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum: treeHash(body) }));
}

test('error500: ServiceUnavailableException 500 without retries; retried by the SDK, the part is stored once', async () => {
  const uploadId = await initiate();
  const body = pattern(MiB, 1);
  s.gl.setFaults([{ operation: 'UploadMultipartPart', kind: 'error500', nth: [1, 2] }]);
  await expectGlacierError(putPart(once, uploadId, body), 'ServiceUnavailableException', 500);
  const before = s.gl.stats();
  const ok = await putPart(retrying, uploadId, body);
  assert.equal(ok.$metadata.attempts, 2);
  assert.equal(delta(before, 'UploadMultipartPart'), 2);
  assert.equal(delta(before, 'UploadMultipartPart.fault.error500'), 1);
  const parts = await once.send(new ListPartsCommand({ accountId: '-', vaultName: vault, uploadId }));
  assert.deepEqual(parts.Parts!.map((p) => p.SHA256TreeHash), [treeHash(body)]);
});

test('error503: 503 without retries; the SDK retries until it passes', async () => {
  s.gl.setFaults([{ operation: 'DescribeVault', kind: 'error503', nth: [1, 2, 3] }]);
  const err = await sdkError(once.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault })));
  assert.equal(err.$metadata.httpStatusCode, 503);
  const ok = await retrying.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault }));
  assert.equal(ok.$metadata.attempts, 3);
});

test('throttle: ThrottlingException 400, which the SDK classifies as throttling and retries', async () => {
  s.gl.setFaults([{ operation: 'ListVaults', kind: 'throttle', nth: [1, 2] }]);
  await expectGlacierError(once.send(new ListVaultsCommand({ accountId: '-' })), 'ThrottlingException', 400, /Rate exceeded/);
  const ok = await retrying.send(new ListVaultsCommand({ accountId: '-' }));
  assert.equal(ok.$metadata.attempts, 2);
});

test('timeout408: RequestTimeoutException 408 for an upload; the retry stores the archive once', async () => {
  const body = pattern(200_000, 2);
  s.gl.setFaults([{ operation: 'UploadArchive', kind: 'timeout408', nth: [1, 2] }]);
  await expectGlacierError(
    once.send(new UploadArchiveCommand({ accountId: '-', vaultName: vault, body, checksum: treeHash(body) })),
    'RequestTimeoutException',
    408,
  );
  const ok = await retrying.send(new UploadArchiveCommand({ accountId: '-', vaultName: vault, body, checksum: treeHash(body) }));
  assert.equal(ok.$metadata.attempts, 2);
  assert.equal((await once.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault }))).NumberOfArchives, 1);
});

test('reset mid-request: the part upload fails with a network error and nothing is stored; a retry succeeds', async () => {
  const uploadId = await initiate();
  const body = pattern(MiB, 3);
  s.gl.setFaults([{ operation: 'UploadMultipartPart', kind: 'reset', nth: [1, 2] }]);
  const before = s.gl.stats();
  const err = await sdkError(putPart(once, uploadId, body));
  assert.match(`${(err as { code?: string }).code} ${err.message}`, /ECONNRESET|EPIPE|socket hang up/);
  assert.ok(delta(before, 'UploadMultipartPart.bytesReceived') < body.length);
  assert.deepEqual((await once.send(new ListPartsCommand({ accountId: '-', vaultName: vault, uploadId }))).Parts, []);
  const ok = await putPart(retrying, uploadId, body);
  assert.equal(ok.$metadata.attempts, 2);
  assert.equal((await once.send(new ListPartsCommand({ accountId: '-', vaultName: vault, uploadId }))).Parts!.length, 1);
});

test('reset mid-response: GetJobOutput delivers headers and half the body, then the connection drops', async () => {
  const data = pattern(2 * MiB + 100, 4);
  const { archiveId } = await once.send(new UploadArchiveCommand({ accountId: '-', vaultName: vault, body: data, checksum: treeHash(data) }));
  const { jobId } = await once.send(new InitiateJobCommand({ accountId: '-', vaultName: vault, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
  s.gl.setFaults([{ operation: 'GetJobOutput', kind: 'reset', nth: [1] }]);
  const before = s.gl.stats();
  const out = await once.send(new GetJobOutputCommand({ accountId: '-', vaultName: vault, jobId }));
  assert.equal(out.status, 200);
  await assert.rejects(out.body!.transformToByteArray());
  assert.equal(delta(before, 'GetJobOutput.bytesSent'), Math.floor(data.length / 2));
  const again = await once.send(new GetJobOutputCommand({ accountId: '-', vaultName: vault, jobId }));
  assert.ok(Buffer.from(await again.body!.transformToByteArray()).equals(data));
});

test('reset after commit: CompleteMultipartUpload took effect but its response was lost; repeating it returns the same archive', async () => {
  const data = pattern(MiB + 10, 5);
  const complete = (c: GlacierClient, uploadId: string) =>
    c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: vault, uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));

  const first = await initiate();
  await putPart(once, first, data.subarray(0, MiB));
  await putPart(once, first, data.subarray(MiB), MiB);
  s.gl.setFaults([{ operation: 'CompleteMultipartUpload', kind: 'reset', nth: [1] }]);
  await sdkError(complete(once, first));
  const uploads = await once.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: vault }));
  assert.ok(!uploads.UploadsList!.some((u) => u.MultipartUploadId === first), 'the upload was completed');
  const repeated = await complete(once, first);
  assert.ok(repeated.archiveId);
  assert.equal((await complete(once, first)).archiveId, repeated.archiveId);

  // the SDK's own retry does the same
  const second = await initiate();
  await putPart(once, second, data.subarray(0, MiB));
  await putPart(once, second, data.subarray(MiB), MiB);
  s.gl.setFaults([{ operation: 'CompleteMultipartUpload', kind: 'reset', nth: [1] }]);
  const retried = await complete(retrying, second);
  assert.equal(retried.$metadata.attempts, 2);
  assert.equal((await once.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault }))).NumberOfArchives, 2);
});

test('delay: the response comes late, so a client timeout shorter than the delay fires', async () => {
  s.gl.setFaults([{ operation: 'ListVaults', kind: 'delay', delayMs: 1500, nth: [1] }]);
  const impatient = s.clientWith({ requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true } });
  const err = await sdkError(impatient.send(new ListVaultsCommand({ accountId: '-' })));
  assert.equal(err.name, 'TimeoutError');
  impatient.destroy();
  s.gl.setFaults([{ operation: 'ListVaults', kind: 'delay', delayMs: 50 }]);
  const ok = await once.send(new ListVaultsCommand({ accountId: '-' }));
  assert.ok(ok.VaultList!.length > 0);
  assert.ok((s.gl.stats()['ListVaults.fault.delay'] ?? 0) >= 2);
});

test("a seeded rate on '*' fails some requests reproducibly; retries ride them out", async () => {
  const patient = s.clientWith({ maxAttempts: 10, retryMode: 'standard' });
  s.gl.setFaults([{ operation: '*', kind: 'error500', rate: 0.3, seed: 42 }]);
  const before = s.gl.stats();
  for (let i = 0; i < 15; i++) await patient.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault }));
  const faults = delta(before, 'faults');
  assert.ok(faults > 0, 'some requests failed');
  assert.equal(delta(before, 'DescribeVault'), 15 + faults);
  patient.destroy();
});
