/**
 * glacier-local jobs through @aws-sdk/client-glacier: archive retrieval (whole and
 * ranged, with tree-hash checksums where Glacier gives them), GetJobOutput ranges,
 * DescribeJob/ListJobs, inventories (JSON, CSV, range inventory), job delays and
 * output expiry, and the inventory's refresh lag.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import type { GlacierClient, JobParameters } from '@aws-sdk/client-glacier';
import { isTreeHashAligned, treeHash } from '../src/treehash/tree-hash.js';
import { expectGlacierError, MiB, pattern, startTestServer } from './glacier-local-helpers.js';
import type { TestServer } from './glacier-local-helpers.js';

async function upload(c: GlacierClient, vaultName: string, body: Buffer, description?: string): Promise<string> {
  const out = await c.send(new UploadArchiveCommand({ accountId: '-', vaultName, body, checksum: treeHash(body), archiveDescription: description }));
  return out.archiveId!;
}

async function uploadInParts(c: GlacierClient, vaultName: string, data: Buffer, partSize: number, description?: string): Promise<string> {
  const { uploadId } = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(partSize), archiveDescription: description }));
  for (let start = 0; start < data.length; start += partSize) {
    const body = data.subarray(start, start + partSize);
    await c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum: treeHash(body) }));
  }
  const done = await c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
  return done.archiveId!;
}

async function startJob(c: GlacierClient, vaultName: string, jobParameters: JobParameters): Promise<string> {
  const out = await c.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters }));
  assert.equal(out.$metadata.httpStatusCode, 202);
  assert.equal(out.location, `/000000000000/vaults/${vaultName}/jobs/${out.jobId}`);
  return out.jobId!;
}

async function output(c: GlacierClient, vaultName: string, jobId: string, range?: string) {
  const out = await c.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId, range }));
  return { out, bytes: Buffer.from(await out.body!.transformToByteArray()) };
}

describe('archive retrieval and inventories (jobs complete at once)', () => {
  let s: TestServer;
  let c: GlacierClient;
  const data = pattern(6 * MiB + 512 * 1024, 5); // 6.5 MiB, the Developer Guide's range example
  let archiveId: string;

  before(async () => {
    s = await startTestServer();
    c = s.client;
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'jobs' }));
    archiveId = await uploadInParts(c, 'jobs', data, 2 * MiB, 'six and a half');
  });
  after(() => s.cleanup());

  test('a whole-archive retrieval: job description, then the bytes with the archive tree hash', async () => {
    const jobId = await startJob(c, 'jobs', { Type: 'archive-retrieval', ArchiveId: archiveId, Description: 'restore it' });
    assert.match(jobId, /^[A-Za-z0-9_-]{92}$/);
    const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'jobs', jobId }));
    assert.equal(d.Action, 'ArchiveRetrieval');
    assert.equal(d.ArchiveId, archiveId);
    assert.equal(d.ArchiveSizeInBytes, data.length);
    assert.equal(d.ArchiveSHA256TreeHash, treeHash(data));
    assert.equal(d.SHA256TreeHash, treeHash(data));
    assert.equal(d.RetrievalByteRange, `0-${data.length - 1}`);
    assert.equal(d.Tier, 'Standard');
    assert.equal(d.Completed, true);
    assert.equal(d.StatusCode, 'Succeeded');
    assert.equal(d.JobDescription, 'restore it');
    assert.equal(d.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/jobs');
    assert.ok(d.CreationDate && d.CompletionDate);

    const { out, bytes } = await output(c, 'jobs', jobId);
    assert.equal(out.status, 200);
    assert.equal(out.checksum, treeHash(data));
    assert.equal(out.contentType, 'application/octet-stream');
    assert.equal(out.archiveDescription, 'six and a half');
    assert.equal(out.acceptRanges, 'bytes');
    assert.equal(out.contentRange, undefined);
    assert.ok(bytes.equals(data));
  });

  test('GetJobOutput with Range: 206 and Content-Range; a checksum only for tree-hash aligned ranges', async () => {
    const jobId = await startJob(c, 'jobs', { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' });
    const cases: Array<[number, number]> = [
      [0, MiB - 1], // one leaf
      [2 * MiB, 4 * MiB - 1], // an aligned 2 MiB subtree
      [4 * MiB, data.length - 1], // the final partial subtree
      [MiB, 3 * MiB - 1], // megabyte aligned, not tree-hash aligned
      [100, 5000], // not aligned at all
    ];
    for (const [start, end] of cases) {
      const { out, bytes } = await output(c, 'jobs', jobId, `bytes=${start}-${end}`);
      assert.equal(out.status, 206);
      assert.equal(out.contentRange, `bytes ${start}-${end}/${data.length}`);
      assert.ok(bytes.equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
      const aligned = isTreeHashAligned(start, end, data.length);
      assert.equal(out.checksum, aligned ? treeHash(data.subarray(start, end + 1)) : undefined, `checksum for ${start}-${end}`);
    }
    assert.ok(!isTreeHashAligned(MiB, 3 * MiB - 1, data.length));
    await expectGlacierError(output(c, 'jobs', jobId, `bytes=${data.length}-`), 'InvalidParameterValueException', 400, /not satisfiable/);
  });

  test('RetrievalByteRange: the job covers the range; its tree hash only when tree-hash aligned; ranges are relative to it', async () => {
    const aligned = await startJob(c, 'jobs', { Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `${4 * MiB}-${data.length - 1}`, Tier: 'Bulk' });
    const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'jobs', jobId: aligned }));
    assert.equal(d.RetrievalByteRange, `${4 * MiB}-${data.length - 1}`);
    assert.equal(d.SHA256TreeHash, treeHash(data.subarray(4 * MiB)));
    assert.equal(d.Tier, 'Bulk');
    const whole = await output(c, 'jobs', aligned);
    assert.equal(whole.out.checksum, treeHash(data.subarray(4 * MiB)));
    assert.ok(whole.bytes.equals(data.subarray(4 * MiB)));
    const part = await output(c, 'jobs', aligned, `bytes=0-${MiB - 1}`);
    assert.equal(part.out.contentRange, `bytes 0-${MiB - 1}/${data.length - 4 * MiB}`);
    assert.ok(part.bytes.equals(data.subarray(4 * MiB, 5 * MiB)));
    assert.equal(part.out.checksum, treeHash(data.subarray(4 * MiB, 5 * MiB)));

    const unaligned = await startJob(c, 'jobs', { Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `${MiB}-${3 * MiB - 1}` });
    const u = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'jobs', jobId: unaligned }));
    assert.equal(u.SHA256TreeHash, undefined);
    const got = await output(c, 'jobs', unaligned);
    assert.equal(got.out.checksum, undefined);
    assert.ok(got.bytes.equals(data.subarray(MiB, 3 * MiB)));
    // a sub-range aligned to the archive still has no checksum: the job's range is not aligned
    assert.equal((await output(c, 'jobs', unaligned, `bytes=${MiB}-${2 * MiB - 1}`)).out.checksum, undefined);
  });

  test('InitiateJob validation: range alignment, tier, type, archive ID', async () => {
    const start = (p: JobParameters) => c.send(new InitiateJobCommand({ accountId: '-', vaultName: 'jobs', jobParameters: p }));
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `1-${MiB - 1}` }), 'InvalidParameterValueException', 400, /megabyte aligned/);
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `0-${MiB}` }), 'InvalidParameterValueException', 400, /megabyte aligned/);
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `0-${data.length}` }), 'InvalidParameterValueException', 400);
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Instant' }), 'InvalidParameterValueException', 400, /tier/);
    await expectGlacierError(start({ Type: 'archive-retrieval' }), 'MissingParameterValueException', 400, /ArchiveId/);
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: 'B'.repeat(138) }), 'ResourceNotFoundException', 404);
    await expectGlacierError(start({ Type: 'restore' }), 'InvalidParameterValueException', 400, /Invalid job type/);
    await expectGlacierError(start({}), 'MissingParameterValueException', 400, /Type/);
    await expectGlacierError(start({ Type: 'inventory-retrieval', Format: 'XML' }), 'InvalidParameterValueException', 400, /format/);
    await expectGlacierError(start({ Type: 'inventory-retrieval', ArchiveId: archiveId }), 'InvalidParameterValueException', 400);
    await expectGlacierError(start({ Type: 'archive-retrieval', ArchiveId: archiveId, Description: 'x'.repeat(1025) }), 'InvalidParameterValueException', 400);
    await expectGlacierError(c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'jobs', jobId: 'J'.repeat(92) })), 'ResourceNotFoundException', 404, /^The job ID was not found: J+$/);
  });

  test('inventories in JSON (default) and CSV list the archives with Glacier fields and quoting', async () => {
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'inv' }));
    await expectGlacierError(startJob(c, 'inv', { Type: 'inventory-retrieval' }), 'ResourceNotFoundException', 404, /Inventory not found/);
    const small = pattern(1000, 7);
    const a1 = await upload(c, 'inv', small, 'plain');
    const a2 = await upload(c, 'inv', pattern(2 * MiB + 1, 8), 'with, comma and "quote"');
    const jobId = await startJob(c, 'inv', { Type: 'inventory-retrieval', Description: 'inventory' });
    const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'inv', jobId }));
    assert.equal(d.Action, 'InventoryRetrieval');
    assert.equal(d.ArchiveId, undefined);
    assert.equal(d.InventoryRetrievalParameters?.Format, 'JSON');
    const { out, bytes } = await output(c, 'inv', jobId);
    assert.equal(out.contentType, 'application/json');
    assert.equal(out.checksum, undefined);
    assert.equal(d.InventorySizeInBytes, bytes.length);
    const inv = JSON.parse(bytes.toString()) as { VaultARN: string; InventoryDate: string; ArchiveList: Array<Record<string, unknown>> };
    assert.equal(inv.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/inv');
    assert.match(inv.InventoryDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(
      inv.ArchiveList.map((a) => [a.ArchiveId, a.ArchiveDescription, a.Size, a.SHA256TreeHash]),
      [
        [a1, 'plain', 1000, treeHash(small)],
        [a2, 'with, comma and "quote"', 2 * MiB + 1, treeHash(pattern(2 * MiB + 1, 8))],
      ],
    );

    const csvJob = await startJob(c, 'inv', { Type: 'inventory-retrieval', Format: 'CSV' });
    const csv = await output(c, 'inv', csvJob);
    assert.equal(csv.out.contentType, 'text/csv');
    const lines = csv.bytes.toString().trimEnd().split('\n');
    assert.equal(lines[0], 'ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
    assert.match(lines[2], new RegExp(`^${a2},"with, comma and \\\\"quote\\\\"",\\d{4}-[^,]+Z,${2 * MiB + 1},${treeHash(pattern(2 * MiB + 1, 8))}$`));
    const ranged = await output(c, 'inv', csvJob, 'bytes=0-8');
    assert.equal(ranged.out.status, 206);
    assert.equal(ranged.bytes.toString(), 'ArchiveId');
  });

  test('range inventory: Limit pages through with the marker DescribeJob returns; dates filter', async () => {
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'inv-pages' }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await upload(c, 'inv-pages', pattern(100 + i, i)));
    const seen: string[] = [];
    let marker: string | undefined;
    let rounds = 0;
    do {
      const jobId = await startJob(c, 'inv-pages', { Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: '2', Marker: marker } });
      const { bytes } = await output(c, 'inv-pages', jobId);
      const list = (JSON.parse(bytes.toString()) as { ArchiveList: Array<{ ArchiveId: string }> }).ArchiveList;
      assert.ok(list.length <= 2);
      seen.push(...list.map((a) => a.ArchiveId));
      const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'inv-pages', jobId }));
      assert.equal(d.InventoryRetrievalParameters?.Limit, '2');
      marker = d.InventoryRetrievalParameters?.Marker;
      rounds += 1;
    } while (marker);
    assert.deepEqual(seen, ids);
    assert.equal(rounds, 3);

    const future = await startJob(c, 'inv-pages', { Type: 'inventory-retrieval', InventoryRetrievalParameters: { StartDate: '2999-01-01T00:00:00Z' } });
    assert.deepEqual((JSON.parse((await output(c, 'inv-pages', future)).bytes.toString()) as { ArchiveList: unknown[] }).ArchiveList, []);
    const past = await startJob(c, 'inv-pages', { Type: 'inventory-retrieval', InventoryRetrievalParameters: { EndDate: '2999-01-01T00:00:00Z' } });
    assert.equal((JSON.parse((await output(c, 'inv-pages', past)).bytes.toString()) as { ArchiveList: unknown[] }).ArchiveList.length, 5);
    await expectGlacierError(
      startJob(c, 'inv-pages', { Type: 'inventory-retrieval', InventoryRetrievalParameters: { StartDate: 'yesterday' } }),
      'InvalidParameterValueException',
      400,
    );
  });

  test('ListJobs filters by completed and statuscode and pages with marker and limit', async () => {
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'list-jobs' }));
    const a = await upload(c, 'list-jobs', pattern(10, 1));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await startJob(c, 'list-jobs', { Type: 'archive-retrieval', ArchiveId: a }));
    const all = await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs' }));
    assert.deepEqual(all.JobList!.map((j) => j.JobId), ids);
    assert.equal(all.Marker, undefined);
    const page1 = await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', limit: 2 }));
    assert.deepEqual(page1.JobList!.map((j) => j.JobId), ids.slice(0, 2));
    const page2 = await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', limit: 2, marker: page1.Marker }));
    assert.deepEqual(page2.JobList!.map((j) => j.JobId), ids.slice(2));
    assert.equal((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', completed: 'true' }))).JobList!.length, 3);
    assert.equal((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', completed: 'false' }))).JobList!.length, 0);
    assert.equal((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', statuscode: 'Succeeded' }))).JobList!.length, 3);
    await expectGlacierError(
      c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', statuscode: 'finished' })),
      'InvalidParameterValueException',
      400,
      /^The job status code is not valid: finished$/,
    );
    await expectGlacierError(c.send(new ListJobsCommand({ accountId: '-', vaultName: 'list-jobs', completed: 'maybe' })), 'InvalidParameterValueException', 400);
  });

  test('a retrieval of a deleted archive fails; output prepared before the deletion stays downloadable', async () => {
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'deleted' }));
    const body = pattern(3000, 3);
    const a = await upload(c, 'deleted', body);
    const before = await startJob(c, 'deleted', { Type: 'archive-retrieval', ArchiveId: a });
    await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'deleted', jobId: before }));
    await c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'deleted', archiveId: a }));
    assert.ok((await output(c, 'deleted', before)).bytes.equals(body));
    const afterwards = await startJob(c, 'deleted', { Type: 'archive-retrieval', ArchiveId: a });
    const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'deleted', jobId: afterwards }));
    assert.equal(d.StatusCode, 'Failed');
    assert.equal(d.Completed, true);
    assert.match(d.StatusMessage!, /deleted/);
    await expectGlacierError(output(c, 'deleted', afterwards), 'InvalidParameterValueException', 400, /failed/);
  });
});

describe('job timing, output expiry and inventory refresh', () => {
  test('a job takes its tier delay: InProgress (no output yet), then Succeeded', async (t) => {
    let now = Date.now();
    const s = await startTestServer({ clock: () => now, jobDelaysMs: { Expedited: 800, Standard: 60_000 } });
    t.after(() => s.cleanup());
    const c = s.client;
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'slow' }));
    const a = await upload(c, 'slow', pattern(5000, 1));
    const fast = await startJob(c, 'slow', { Type: 'archive-retrieval', ArchiveId: a, Tier: 'Expedited' });
    const standard = await startJob(c, 'slow', { Type: 'archive-retrieval', ArchiveId: a });
    const d = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'slow', jobId: fast }));
    assert.equal(d.StatusCode, 'InProgress');
    assert.equal(d.Completed, false);
    assert.equal(d.CompletionDate, undefined);
    assert.equal(d.SHA256TreeHash, undefined, 'no tree hash for a whole-archive job in progress');
    await expectGlacierError(output(c, 'slow', fast), 'InvalidParameterValueException', 400, /not currently available/);
    assert.deepEqual((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'slow', completed: 'false' }))).JobList!.map((j) => j.JobId), [fast, standard]);
    now += 900;
    const done = await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'slow', jobId: fast }));
    assert.equal(done.StatusCode, 'Succeeded');
    assert.equal(Date.parse(done.CompletionDate!) - Date.parse(done.CreationDate!), 800);
    assert.equal((await c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'slow', jobId: standard }))).StatusCode, 'InProgress');
    assert.deepEqual((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'slow', statuscode: 'InProgress' }))).JobList!.map((j) => j.JobId), [standard]);
  });

  test('job output expires after the output TTL: the job is gone', async (t) => {
    let now = Date.now();
    const s = await startTestServer({ clock: () => now, jobOutputTtlMs: 300 });
    t.after(() => s.cleanup());
    const c = s.client;
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'ttl' }));
    const a = await upload(c, 'ttl', pattern(5000, 1));
    const jobId = await startJob(c, 'ttl', { Type: 'archive-retrieval', ArchiveId: a });
    assert.equal((await output(c, 'ttl', jobId)).bytes.length, 5000);
    now += 400;
    await expectGlacierError(c.send(new DescribeJobCommand({ accountId: '-', vaultName: 'ttl', jobId })), 'ResourceNotFoundException', 404);
    await expectGlacierError(output(c, 'ttl', jobId), 'ResourceNotFoundException', 404);
    assert.deepEqual((await c.send(new ListJobsCommand({ accountId: '-', vaultName: 'ttl' }))).JobList, []);
  });

  test('with a refresh period the inventory lags: counts, inventory jobs and DeleteVault follow the last refresh', async (t) => {
    const period = 1500;
    let now = Date.now();
    const s = await startTestServer({ clock: () => now, inventoryRefreshMs: period });
    t.after(() => s.cleanup());
    const c = s.client;
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'lag' }));
    const created = Date.parse((await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'lag' }))).CreationDate!);
    const untilRefresh = (k: number) => {
      now = created + k * period + 100;
    };

    const a = await upload(c, 'lag', pattern(4000, 1));
    let d = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'lag' }));
    assert.equal(d.NumberOfArchives, 0);
    assert.equal(d.LastInventoryDate, undefined);
    await expectGlacierError(startJob(c, 'lag', { Type: 'inventory-retrieval' }), 'ResourceNotFoundException', 404, /Inventory not found/);

    untilRefresh(1);
    d = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'lag' }));
    assert.equal(d.NumberOfArchives, 1);
    assert.equal(d.SizeInBytes, 4000);
    assert.equal(Date.parse(d.LastInventoryDate!), created + period);

    // deleted now, still listed until the next refresh; the vault cannot be deleted meanwhile
    await c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'lag', archiveId: a }));
    const jobId = await startJob(c, 'lag', { Type: 'inventory-retrieval' });
    const inv = JSON.parse((await output(c, 'lag', jobId)).bytes.toString()) as { ArchiveList: Array<{ ArchiveId: string }> };
    assert.deepEqual(inv.ArchiveList.map((x) => x.ArchiveId), [a]);
    await expectGlacierError(c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'lag' })), 'InvalidParameterValueException', 400, /recently written/);

    untilRefresh(2);
    d = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'lag' }));
    assert.equal(d.NumberOfArchives, 0);
    assert.equal(Date.parse(d.LastInventoryDate!), created + 2 * period);
    await c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'lag' }));
  });
});
