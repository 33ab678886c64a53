/**
 * boto3 (the machine's Python AWS SDK) against glacier-local: a multipart upload made
 * by boto3 is retrieved byte-for-byte by @aws-sdk/client-glacier and the reverse;
 * boto3's view of errors, pagination, inventories and throttling retries.
 * Skipped without python3/boto3 unless BACKUP_REQUIRE_PEERS is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { treeHash } from '../src/treehash/tree-hash.js';
import { describeWithPeers, MiB, pattern, runPython, startTestServer } from './glacier-local-helpers.js';
import type { TestServer } from './glacier-local-helpers.js';

/** One Python program, several actions; arguments and results as JSON. */
const script = `
import boto3, botocore, botocore.utils, io, json, sys
from botocore.exceptions import ClientError
a = json.loads(sys.argv[1])
cfg = botocore.config.Config(retries={'total_max_attempts': a.get('attempts', 1), 'mode': 'standard'})
g = boto3.client('glacier', endpoint_url=a['endpoint'], region_name=a['region'],
                 aws_access_key_id=a['key'], aws_secret_access_key=a['secret'], config=cfg)
act = a['action']
out = {}
try:
    if act == 'multipart-upload':
        data = open(a['path'], 'rb').read()
        ps = a['part_size']
        up = g.initiate_multipart_upload(vaultName=a['vault'], partSize=str(ps), archiveDescription=a['description'])
        for start in reversed(range(0, len(data), ps)):
            part = data[start:start + ps]
            r = g.upload_multipart_part(vaultName=a['vault'], uploadId=up['uploadId'], range='bytes %d-%d/*' % (start, start + len(part) - 1), body=part)
            assert r['checksum'] == botocore.utils.calculate_tree_hash(io.BytesIO(part))
        th = botocore.utils.calculate_tree_hash(io.BytesIO(data))
        done = g.complete_multipart_upload(vaultName=a['vault'], uploadId=up['uploadId'], archiveSize=str(len(data)), checksum=th)
        out = {'archiveId': done['archiveId'], 'checksum': done['checksum'], 'treeHash': th}
    elif act == 'upload-archive':
        data = open(a['path'], 'rb').read()
        r = g.upload_archive(vaultName=a['vault'], body=data, archiveDescription=a['description'])
        out = {'archiveId': r['archiveId'], 'checksum': r['checksum'], 'treeHash': botocore.utils.calculate_tree_hash(io.BytesIO(data))}
    elif act == 'retrieve':
        job = g.initiate_job(vaultName=a['vault'], jobParameters={'Type': 'archive-retrieval', 'ArchiveId': a['archiveId'], 'Tier': 'Bulk'})
        d = g.describe_job(vaultName=a['vault'], jobId=job['jobId'])
        whole = g.get_job_output(vaultName=a['vault'], jobId=job['jobId'])
        data = whole['body'].read()
        open(a['out'], 'wb').write(data)
        part = g.get_job_output(vaultName=a['vault'], jobId=job['jobId'], range=a['range'])
        pdata = part['body'].read()
        out = {'status': d['StatusCode'], 'jobTreeHash': d.get('SHA256TreeHash'), 'wholeStatus': whole['status'], 'checksum': whole.get('checksum'),
               'computed': botocore.utils.calculate_tree_hash(io.BytesIO(data)), 'partStatus': part['status'], 'partRange': part.get('contentRange'),
               'partChecksum': part.get('checksum'), 'partComputed': botocore.utils.calculate_tree_hash(io.BytesIO(pdata)), 'partLength': len(pdata)}
    elif act == 'inventory':
        job = g.initiate_job(vaultName=a['vault'], jobParameters={'Type': 'inventory-retrieval'})
        out = json.loads(g.get_job_output(vaultName=a['vault'], jobId=job['jobId'])['body'].read())
    elif act == 'list-vaults':
        pages = g.get_paginator('list_vaults').paginate(PaginationConfig={'PageSize': 2})
        out = {'names': [v['VaultName'] for p in pages for v in p['VaultList']]}
    elif act == 'describe-vault':
        r = g.describe_vault(vaultName=a['vault'])
        out = {'count': r['NumberOfArchives'], 'retries': r['ResponseMetadata']['RetryAttempts']}
except ClientError as e:
    out = {'error': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'message': e.response['Error']['Message']}
print(json.dumps(out))
`;

describeWithPeers('boto3 against glacier-local', ['python3', 'boto3'], () => {
  let s: TestServer;
  let work: string;
  const call = <T>(action: string, args: Record<string, unknown> = {}) =>
    runPython<T>(script, { action, endpoint: s.gl.endpoint, region: s.gl.region, key: s.gl.credentials.accessKeyId, secret: s.gl.credentials.secretAccessKey, ...args });

  before(async () => {
    s = await startTestServer();
    work = await mkdtemp(join(tmpdir(), 'glacier-local-boto3-'));
    await s.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'boto' }));
  });
  after(async () => {
    await s.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a boto3 multipart upload (parts sent last first) is retrieved byte-for-byte through the AWS SDK', async () => {
    const data = pattern(5 * MiB + 3, 101);
    const path = join(work, 'boto-upload');
    await writeFile(path, data);
    const up = await call<{ archiveId: string; checksum: string; treeHash: string }>('multipart-upload', { vault: 'boto', path, part_size: 2 * MiB, description: 'from boto3' });
    assert.equal(up.checksum, up.treeHash);
    assert.equal(up.treeHash, treeHash(data), 'botocore and the project agree on the tree hash');

    const { jobId } = await s.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'boto', jobParameters: { Type: 'archive-retrieval', ArchiveId: up.archiveId } }));
    const out = await s.client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'boto', jobId }));
    const bytes = Buffer.from(await out.body!.transformToByteArray());
    assert.ok(bytes.equals(data));
    assert.equal(out.checksum, treeHash(data));
    assert.equal(out.archiveDescription, 'from boto3');
  });

  test('a boto3 single-request upload_archive is retrieved through the AWS SDK', async () => {
    const data = pattern(1_500_000, 102);
    const path = join(work, 'boto-single');
    await writeFile(path, data);
    const up = await call<{ archiveId: string; checksum: string; treeHash: string }>('upload-archive', { vault: 'boto', path, description: 'single, from boto3' });
    assert.equal(up.checksum, treeHash(data));
    const { jobId } = await s.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'boto', jobParameters: { Type: 'archive-retrieval', ArchiveId: up.archiveId } }));
    const out = await s.client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'boto', jobId }));
    assert.ok(Buffer.from(await out.body!.transformToByteArray()).equals(data));
  });

  test('an AWS SDK multipart upload is retrieved byte-for-byte by boto3, whole and by tree-hash aligned range', async () => {
    const data = pattern(4 * MiB + 1234, 103);
    const c = s.client;
    const { uploadId } = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'boto', partSize: String(MiB) }));
    for (let start = 0; start < data.length; start += MiB) {
      const body = data.subarray(start, start + MiB);
      await c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'boto', uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum: treeHash(body) }));
    }
    const { archiveId } = await c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'boto', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));

    const outPath = join(work, 'boto-retrieved');
    const r = await call<Record<string, unknown>>('retrieve', { vault: 'boto', archiveId, out: outPath, range: `bytes=${2 * MiB}-${4 * MiB - 1}` });
    assert.ok((await readFile(outPath)).equals(data));
    assert.equal(r.status, 'Succeeded');
    assert.equal(r.wholeStatus, 200);
    assert.equal(r.checksum, treeHash(data));
    assert.equal(r.computed, treeHash(data));
    assert.equal(r.jobTreeHash, treeHash(data));
    assert.equal(r.partStatus, 206);
    assert.equal(r.partRange, `bytes ${2 * MiB}-${4 * MiB - 1}/${data.length}`);
    assert.equal(r.partLength, 2 * MiB);
    assert.equal(r.partChecksum, r.partComputed);
  });

  test('boto3 sees inventories, pagination and errors as Glacier shapes them', async () => {
    const inv = await call<{ VaultARN: string; ArchiveList: Array<{ ArchiveDescription: string }> }>('inventory', { vault: 'boto' });
    assert.equal(inv.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/boto');
    assert.ok(inv.ArchiveList.some((x) => x.ArchiveDescription === 'single, from boto3'));

    for (const n of ['boto-p1', 'boto-p2', 'boto-p3']) await s.client.send(new CreateVaultCommand({ accountId: '-', vaultName: n }));
    assert.deepEqual((await call<{ names: string[] }>('list-vaults')).names, ['boto', 'boto-p1', 'boto-p2', 'boto-p3']);

    assert.deepEqual(await call('describe-vault', { vault: 'missing' }), {
      error: 'ResourceNotFoundException',
      status: 404,
      message: 'Vault not found for ARN: arn:aws:glacier:us-east-1:000000000000:vaults/missing',
    });
    const wrong = await call<{ error: string; status: number }>('describe-vault', { vault: 'boto', secret: 'wrong-secret' });
    assert.deepEqual([wrong.error, wrong.status], ['InvalidSignatureException', 403]);
  });

  test('botocore retries an injected ThrottlingException and 500 by itself', async () => {
    s.gl.setFaults([{ operation: 'DescribeVault', kind: 'throttle', nth: [1] }]);
    const once = await call<{ error: string; status: number }>('describe-vault', { vault: 'boto' });
    assert.deepEqual([once.error, once.status], ['ThrottlingException', 400]);
    s.gl.setFaults([
      { operation: 'DescribeVault', kind: 'throttle', nth: [1] },
      { operation: 'DescribeVault', kind: 'error500', nth: [2] },
    ]);
    const retried = await call<{ count: number; retries: number }>('describe-vault', { vault: 'boto', attempts: 3 });
    assert.equal(retried.retries, 2);
    assert.equal(retried.count, 3);
    s.gl.setFaults([]);
  });
});
