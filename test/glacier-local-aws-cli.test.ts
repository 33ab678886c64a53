/**
 * The AWS CLI (`aws glacier … --endpoint-url`) against glacier-local: a multipart
 * upload made with the CLI is retrieved byte-for-byte by @aws-sdk/client-glacier and
 * an SDK upload is retrieved with the CLI; listings, inventories and a wrong secret.
 * Skipped without the `aws` command unless BACKUP_REQUIRE_PEERS is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateVaultCommand, GetJobOutputCommand, InitiateJobCommand, InitiateMultipartUploadCommand, UploadMultipartPartCommand, CompleteMultipartUploadCommand } from '@aws-sdk/client-glacier';
import { treeHash } from '../src/treehash/tree-hash.js';
import { awsEnv, awsGlacier, describeWithPeers, MiB, pattern, startTestServer } from './glacier-local-helpers.js';
import type { CliResult, TestServer } from './glacier-local-helpers.js';

describeWithPeers('the AWS CLI against glacier-local', ['aws'], () => {
  let s: TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
    const r: CliResult = await awsGlacier(s.gl.endpoint, env, args);
    assert.equal(r.code, 0, `aws glacier ${args[0]} failed: ${r.stderr}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };

  before(async () => {
    s = await startTestServer();
    work = await mkdtemp(join(tmpdir(), 'glacier-local-cli-'));
    env = awsEnv(s.gl.credentials, s.gl.region, work);
  });
  after(async () => {
    await s.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('create-vault, describe-vault and list-vaults', async () => {
    assert.deepEqual(await aws('create-vault', '--vault-name', 'cli'), { location: '/000000000000/vaults/cli' });
    const d = await aws('describe-vault', '--vault-name', 'cli');
    assert.equal(d.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/cli');
    assert.equal(d.NumberOfArchives, 0);
    const list = (await aws('list-vaults')) as { VaultList: Array<{ VaultName: string }> };
    assert.deepEqual(list.VaultList.map((v) => v.VaultName), ['cli']);
  });

  test('a multipart upload made with the CLI is retrieved byte-for-byte through the AWS SDK', async () => {
    const data = pattern(3 * MiB + 4321, 201);
    const init = (await aws('initiate-multipart-upload', '--vault-name', 'cli', '--part-size', String(MiB), '--archive-description', 'from the aws cli')) as { uploadId: string };
    for (let i = Math.ceil(data.length / MiB) - 1; i >= 0; i--) {
      const start = i * MiB;
      const body = data.subarray(start, Math.min(data.length, start + MiB));
      const path = join(work, `part-${i}`);
      await writeFile(path, body);
      // the CLI computes the part's tree hash and content SHA-256 itself (botocore)
      const r = await aws('upload-multipart-part', '--vault-name', 'cli', `--upload-id=${init.uploadId}`, '--range', `bytes ${start}-${start + body.length - 1}/*`, '--body', path);
      assert.equal(r.checksum, treeHash(body));
    }
    const parts = (await aws('list-parts', '--vault-name', 'cli', `--upload-id=${init.uploadId}`)) as { Parts: Array<{ RangeInBytes: string }> };
    assert.deepEqual(parts.Parts.map((p) => p.RangeInBytes), [`0-${MiB - 1}`, `${MiB}-${2 * MiB - 1}`, `${2 * MiB}-${3 * MiB - 1}`, `${3 * MiB}-${data.length - 1}`]);
    const uploads = (await aws('list-multipart-uploads', '--vault-name', 'cli')) as { UploadsList: Array<{ MultipartUploadId: string }> };
    assert.deepEqual(uploads.UploadsList.map((u) => u.MultipartUploadId), [init.uploadId]);
    const done = (await aws('complete-multipart-upload', '--vault-name', 'cli', `--upload-id=${init.uploadId}`, '--archive-size', String(data.length), '--checksum', treeHash(data))) as {
      archiveId: string;
      checksum: string;
    };
    assert.equal(done.checksum, treeHash(data));

    const { jobId } = await s.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'cli', jobParameters: { Type: 'archive-retrieval', ArchiveId: done.archiveId } }));
    const out = await s.client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'cli', jobId }));
    assert.ok(Buffer.from(await out.body!.transformToByteArray()).equals(data));
    assert.equal(out.checksum, treeHash(data));
    assert.equal(out.archiveDescription, 'from the aws cli');
  });

  test('an AWS SDK multipart upload is retrieved with the CLI: initiate-job, describe-job, get-job-output whole and ranged', async () => {
    const data = pattern(2 * MiB + 99, 202);
    const c = s.client;
    await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'cli-get' }));
    const { uploadId } = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'cli-get', partSize: String(MiB) }));
    for (let start = 0; start < data.length; start += MiB) {
      const body = data.subarray(start, start + MiB);
      await c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'cli-get', uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum: treeHash(body) }));
    }
    const { archiveId } = await c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'cli-get', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));

    const job = (await aws('initiate-job', '--vault-name', 'cli-get', '--job-parameters', JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' }))) as { jobId: string };
    const described = await aws('describe-job', '--vault-name', 'cli-get', `--job-id=${job.jobId}`);
    assert.equal(described.StatusCode, 'Succeeded');
    assert.equal(described.ArchiveSHA256TreeHash, treeHash(data));
    const whole = join(work, 'cli-whole');
    const got = await aws('get-job-output', '--vault-name', 'cli-get', `--job-id=${job.jobId}`, whole);
    assert.equal(got.status, 200);
    assert.equal(got.checksum, treeHash(data));
    assert.ok((await readFile(whole)).equals(data));
    const ranged = join(work, 'cli-ranged');
    const part = await aws('get-job-output', '--vault-name', 'cli-get', `--job-id=${job.jobId}`, '--range', `bytes=${MiB}-${2 * MiB - 1}`, ranged);
    assert.equal(part.status, 206);
    assert.equal(part.contentRange, `bytes ${MiB}-${2 * MiB - 1}/${data.length}`);
    assert.equal(part.checksum, treeHash(data.subarray(MiB, 2 * MiB)));
    assert.ok((await readFile(ranged)).equals(data.subarray(MiB, 2 * MiB)));
    const jobs = (await aws('list-jobs', '--vault-name', 'cli-get')) as { JobList: Array<{ JobId: string }> };
    assert.deepEqual(jobs.JobList.map((j) => j.JobId), [job.jobId]);
  });

  test('upload-archive, a CSV inventory and delete-archive with the CLI', async () => {
    await aws('create-vault', '--vault-name', 'cli-inv');
    const path = join(work, 'single');
    const data = pattern(70_000, 203);
    await writeFile(path, data);
    const up = (await aws('upload-archive', '--vault-name', 'cli-inv', '--body', path, '--archive-description', 'a,b')) as { archiveId: string; checksum: string };
    assert.equal(up.checksum, treeHash(data));
    const job = (await aws('initiate-job', '--vault-name', 'cli-inv', '--job-parameters', JSON.stringify({ Type: 'inventory-retrieval', Format: 'CSV' }))) as { jobId: string };
    const csvPath = join(work, 'inventory.csv');
    await aws('get-job-output', '--vault-name', 'cli-inv', `--job-id=${job.jobId}`, csvPath);
    const lines = (await readFile(csvPath, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[1].startsWith(`${up.archiveId},"a,b",`));
    assert.ok(lines[1].endsWith(`,${data.length},${treeHash(data)}`));
    await aws('delete-archive', '--vault-name', 'cli-inv', `--archive-id=${up.archiveId}`);
    assert.equal((await aws('describe-vault', '--vault-name', 'cli-inv')).NumberOfArchives, 0);
  });

  test('a wrong secret key fails with InvalidSignatureException', async () => {
    const r = await awsGlacier(s.gl.endpoint, { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, ['list-vaults']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InvalidSignatureException/);
    const missing = await awsGlacier(s.gl.endpoint, env, ['describe-vault', '--vault-name', 'absent']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException.*Vault not found for ARN/);
  });
});
