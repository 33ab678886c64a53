/**
 * boto3 and the AWS CLI (`aws s3api`, `aws s3 cp`) against the S3 side of the local
 * server, cross-checked with @aws-sdk/client-s3: a multipart object uploaded by boto3
 * is read back by the SDK and the CLI and the other way round, composite checksums and
 * ETags agree across all three, cold objects are refused until restored, then ranged
 * GETs work; listings with boto3's url encoding. Fails (not skips) without the peers
 * when BACKUP_REQUIRE_PEERS is set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { awsEnv, describeWithPeers, MiB, pattern, runPython } from './glacier-local-helpers.js';
import type { CliResult } from './glacier-local-helpers.js';
import { startS3TestServer } from './s3-local-helpers.js';
import type { S3TestServer } from './s3-local-helpers.js';

const HOUR = 3_600_000;

/** One Python program, several actions (one, or a list of `steps` run in one process); arguments and results as JSON. */
const script = `
import base64, boto3, botocore, hashlib, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
from boto3.s3.transfer import TransferConfig
a = json.loads(sys.argv[1])
s3 = boto3.client('s3', endpoint_url=a['endpoint'], region_name=a['region'], aws_access_key_id=a['key'], aws_secret_access_key=a['secret'],
                  config=Config(s3={'addressing_style': 'path'}, retries={'total_max_attempts': 1, 'mode': 'standard'}))
def run(a):
    act = a['action']
    out = {}
    b64 = lambda d: base64.b64encode(d).decode()
    try:
        if act == 'multipart-upload':
            data = open(a['path'], 'rb').read()
            ps = a['part_size']
            up = s3.create_multipart_upload(Bucket=a['bucket'], Key=a['key_name'], ChecksumAlgorithm='SHA256', StorageClass=a['class'], Metadata={'origin': 'boto3'})
            parts = []
            for i, start in enumerate(range(0, len(data), ps)):
                body = data[start:start + ps]
                r = s3.upload_part(Bucket=a['bucket'], Key=a['key_name'], UploadId=up['UploadId'], PartNumber=i + 1, Body=body, ChecksumAlgorithm='SHA256')
                assert r['ChecksumSHA256'] == b64(hashlib.sha256(body).digest())
                parts.append({'PartNumber': i + 1, 'ETag': r['ETag'], 'ChecksumSHA256': r['ChecksumSHA256']})
            listed = s3.list_parts(Bucket=a['bucket'], Key=a['key_name'], UploadId=up['UploadId'])
            done = s3.complete_multipart_upload(Bucket=a['bucket'], Key=a['key_name'], UploadId=up['UploadId'], MultipartUpload={'Parts': parts})
            out = {'etag': done['ETag'], 'checksum': done.get('ChecksumSHA256'), 'listed': [p['PartNumber'] for p in listed['Parts']]}
        elif act == 'transfer-upload':
            s3.upload_file(a['path'], a['bucket'], a['key_name'], ExtraArgs={'StorageClass': 'STANDARD'},
                           Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=2))
            h = s3.head_object(Bucket=a['bucket'], Key=a['key_name'])
            out = {'etag': h['ETag'], 'size': h['ContentLength']}
        elif act == 'put':
            data = open(a['path'], 'rb').read()
            r = s3.put_object(Bucket=a['bucket'], Key=a['key_name'], Body=data, StorageClass=a['class'], Metadata={'origin': 'boto3'})
            out = {'etag': r['ETag'], 'crc32': r.get('ChecksumCRC32')}
        elif act == 'get':
            kw = {'Range': a['range']} if a.get('range') else {}
            r = s3.get_object(Bucket=a['bucket'], Key=a['key_name'], **kw)
            data = r['Body'].read()
            open(a['out'], 'wb').write(data)
            out = {'status': r['ResponseMetadata']['HTTPStatusCode'], 'range': r.get('ContentRange'), 'length': len(data), 'etag': r['ETag']}
        elif act == 'head':
            r = s3.head_object(Bucket=a['bucket'], Key=a['key_name'], ChecksumMode='ENABLED')
            out = {'class': r.get('StorageClass'), 'restore': r.get('Restore'), 'metadata': r.get('Metadata'), 'checksum': r.get('ChecksumSHA256'), 'etag': r['ETag'], 'size': r['ContentLength']}
        elif act == 'restore':
            r = s3.restore_object(Bucket=a['bucket'], Key=a['key_name'], RestoreRequest={'Days': a['days'], 'GlacierJobParameters': {'Tier': a['tier']}})
            out = {'status': r['ResponseMetadata']['HTTPStatusCode']}
        elif act == 'list':
            pages = s3.get_paginator('list_objects_v2').paginate(Bucket=a['bucket'], Prefix=a.get('prefix', ''), PaginationConfig={'PageSize': 2})
            out = {'keys': [[c['Key'], c['StorageClass']] for p in pages for c in p.get('Contents', [])]}
        elif act == 'list-uploads':
            r = s3.list_multipart_uploads(Bucket=a['bucket'])
            out = {'uploads': [[u['Key'], u['UploadId']] for u in r.get('Uploads', [])]}
    except ClientError as e:
        out = {'error': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}
    return out

base = json.loads(sys.argv[1])
out = [run({**base, **step}) for step in base['steps']] if 'steps' in base else run(base)
print(json.dumps(out))
`;

function sha256Composite(parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(createHash('sha256').update(p).digest());
  return `${h.digest('base64')}-${parts.length}`;
}

function md5Composite(parts: Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex')}-${parts.length}"`;
}

function split(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describeWithPeers('boto3 and the AWS CLI against the S3 side', ['python3', 'boto3', 'aws'], () => {
  let s: S3TestServer;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const boto = <T>(action: string, args: Record<string, unknown> = {}) =>
    runPython<T>(script, { action, endpoint: s.gl.endpoint, region: s.gl.region, key: s.gl.credentials.accessKeyId, secret: s.gl.credentials.secretAccessKey, bucket: 'peers', ...args });
  const botoSteps = <T extends unknown[]>(steps: Record<string, unknown>[]) => boto<T>('steps', { steps });
  const cli = (args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile('aws', [...args, '--endpoint-url', s.gl.endpoint, '--output', 'json'], { env, maxBuffer: 64 * MiB }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const s3api = async <T>(args: string[]): Promise<T> => {
    const r = await cli(['s3api', ...args]);
    assert.equal(r.code, 0, `aws s3api ${args.join(' ')} failed: ${r.stderr}`);
    return (r.stdout.trim() === '' ? {} : JSON.parse(r.stdout)) as T;
  };

  before(async () => {
    s = await startS3TestServer({ s3MinPartSize: 64 * 1024, restoreDelaysMs: { DEEP_ARCHIVE: { Bulk: 48 * HOUR }, GLACIER: { Standard: 4 * HOUR } } });
    work = await mkdtemp(join(tmpdir(), 's3-local-peers-'));
    env = { ...awsEnv(s.gl.credentials, s.gl.region, work), AWS_CONFIG_FILE: join(work, 'aws-config') };
    await writeFile(join(work, 'aws-config'), `[default]\nregion = ${s.gl.region}\ns3 =\n    addressing_style = path\n`);
    await s.s3.send(new CreateBucketCommand({ Bucket: 'peers' }));
  });
  after(async () => {
    await s.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a boto3 multipart upload (SHA-256, DEEP_ARCHIVE) is read back by the SDK and the CLI after a restore; all three agree on ETag and composite checksum', async () => {
    const data = pattern(700_000, 41);
    const parts = split(data, 256 * 1024);
    await writeFile(join(work, 'boto-mp'), data);
    const up = await boto<{ etag: string; checksum: string; listed: number[] }>('multipart-upload', { path: join(work, 'boto-mp'), key_name: 'boto/mp', part_size: 256 * 1024, class: 'DEEP_ARCHIVE' });
    assert.deepEqual(up.listed, [1, 2, 3]);
    assert.equal(up.etag, md5Composite(parts));
    assert.equal(up.checksum, sha256Composite(parts));

    const cold = await cli(['s3api', 'get-object', '--bucket', 'peers', '--key', 'boto/mp', join(work, 'cold-out')]);
    assert.notEqual(cold.code, 0);
    assert.match(cold.stderr, /InvalidObjectState/);
    await assert.rejects(s.s3.send(new GetObjectCommand({ Bucket: 'peers', Key: 'boto/mp' })), { name: 'InvalidObjectState' });

    const restore = await cli(['s3api', 'restore-object', '--bucket', 'peers', '--key', 'boto/mp', '--restore-request', 'Days=1,GlacierJobParameters={Tier=Bulk}']);
    assert.equal(restore.code, 0, restore.stderr);
    const ongoing = await s.s3.send(new HeadObjectCommand({ Bucket: 'peers', Key: 'boto/mp' }));
    assert.equal(ongoing.Restore, 'ongoing-request="true"');
    assert.equal(ongoing.StorageClass, 'DEEP_ARCHIVE');
    s.advance(48 * HOUR);

    const head = await s3api<{ ETag: string; ChecksumSHA256?: string; Metadata: Record<string, string>; Restore: string }>([
      'head-object', '--bucket', 'peers', '--key', 'boto/mp', '--checksum-mode', 'ENABLED',
    ]);
    assert.equal(head.ETag, up.etag);
    assert.equal(head.ChecksumSHA256, up.checksum);
    assert.deepEqual(head.Metadata, { origin: 'boto3' });
    assert.match(head.Restore, /ongoing-request="false", expiry-date=/);
    await s3api(['get-object', '--bucket', 'peers', '--key', 'boto/mp', join(work, 'cli-whole')]);
    assert.deepEqual(await readFile(join(work, 'cli-whole')), data);
    const sdk = await s.s3.send(new GetObjectCommand({ Bucket: 'peers', Key: 'boto/mp', Range: 'bytes=262000-262999' }));
    assert.deepEqual(Buffer.from(await sdk.Body!.transformToByteArray()), data.subarray(262000, 263000), 'a range across parts');
  });

  test('an SDK multipart upload is read back by boto3 and the CLI, with the same composite checksum', async () => {
    const data = pattern(400_000, 42);
    const parts = split(data, 150_000);
    const { UploadId } = await s.s3.send(new CreateMultipartUploadCommand({ Bucket: 'peers', Key: 'sdk/mp', ChecksumAlgorithm: 'SHA256', StorageClass: 'GLACIER' }));
    const listed = [];
    for (const [i, body] of parts.entries()) {
      const r = await s.s3.send(new UploadPartCommand({ Bucket: 'peers', Key: 'sdk/mp', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'SHA256' }));
      listed.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumSHA256: r.ChecksumSHA256 });
    }
    const uploads = await boto<{ uploads: string[][] }>('list-uploads');
    assert.deepEqual(uploads.uploads, [['sdk/mp', UploadId]]);
    const done = await s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'peers', Key: 'sdk/mp', UploadId, MultipartUpload: { Parts: listed } }));
    assert.equal(done.ChecksumSHA256, sha256Composite(parts));

    const [cold, started, running] = await botoSteps<[unknown, { status: number }, unknown]>([
      { action: 'get', key_name: 'sdk/mp', out: join(work, 'x') },
      { action: 'restore', key_name: 'sdk/mp', days: 2, tier: 'Standard' },
      { action: 'restore', key_name: 'sdk/mp', days: 2, tier: 'Standard' },
    ]);
    assert.deepEqual(cold, { error: 'InvalidObjectState', status: 403 });
    assert.equal(started.status, 202);
    assert.deepEqual(running, { error: 'RestoreAlreadyInProgress', status: 409 });
    s.advance(4 * HOUR);
    const [again, head, got] = await botoSteps<[{ status: number }, { class: string; checksum: string; etag: string }, unknown]>([
      { action: 'restore', key_name: 'sdk/mp', days: 2, tier: 'Standard' },
      { action: 'head', key_name: 'sdk/mp' },
      { action: 'get', key_name: 'sdk/mp', out: join(work, 'boto-range'), range: 'bytes=149990-150009' },
    ]);
    assert.equal(again.status, 200);
    assert.equal(head.class, 'GLACIER');
    assert.equal(head.checksum, done.ChecksumSHA256);
    assert.equal(head.etag, md5Composite(parts));
    assert.deepEqual(got, { status: 206, range: 'bytes 149990-150009/400000', length: 20, etag: head.etag });
    assert.deepEqual(await readFile(join(work, 'boto-range')), data.subarray(149990, 150010));
    await s3api(['get-object', '--bucket', 'peers', '--key', 'sdk/mp', join(work, 'cli-sdk-whole')]);
    assert.deepEqual(await readFile(join(work, 'cli-sdk-whole')), data);
  });

  test('the CLI multipart (s3api) and aws s3 cp, and boto3 upload_file through its transfer manager, are read back by the SDK', async () => {
    const data = pattern(200_000, 43);
    const parts = split(data, 120_000);
    const { UploadId } = await s3api<{ UploadId: string }>(['create-multipart-upload', '--bucket', 'peers', '--key', 'cli/mp', '--checksum-algorithm', 'SHA256', '--storage-class', 'STANDARD_IA']);
    const done: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = [];
    for (const [i, body] of parts.entries()) {
      await writeFile(join(work, `part-${i}`), body);
      const r = await s3api<{ ETag: string; ChecksumSHA256: string }>([
        'upload-part', '--bucket', 'peers', '--key', 'cli/mp', '--upload-id', UploadId, '--part-number', String(i + 1), '--body', join(work, `part-${i}`), '--checksum-algorithm', 'SHA256',
      ]);
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumSHA256: r.ChecksumSHA256 });
    }
    await writeFile(join(work, 'parts.json'), JSON.stringify({ Parts: done }));
    const complete = await s3api<{ ChecksumSHA256: string; ETag: string }>([
      'complete-multipart-upload', '--bucket', 'peers', '--key', 'cli/mp', '--upload-id', UploadId, '--multipart-upload', `file://${join(work, 'parts.json')}`,
    ]);
    assert.equal(complete.ChecksumSHA256, sha256Composite(parts));
    assert.equal(complete.ETag, md5Composite(parts));
    const sdk = await s.s3.send(new GetObjectCommand({ Bucket: 'peers', Key: 'cli/mp' }));
    assert.equal(sdk.StorageClass, 'STANDARD_IA');
    assert.deepEqual(Buffer.from(await sdk.Body!.transformToByteArray()), data);

    const big = pattern(6 * MiB + 5, 44);
    await writeFile(join(work, 'big'), big);
    const cp = await cli(['s3', 'cp', join(work, 'big'), 's3://peers/cli/cp-big', '--storage-class', 'DEEP_ARCHIVE']);
    assert.equal(cp.code, 0, cp.stderr);
    const cpHead = await s.s3.send(new HeadObjectCommand({ Bucket: 'peers', Key: 'cli/cp-big' }));
    assert.equal(cpHead.StorageClass, 'DEEP_ARCHIVE');
    assert.equal(cpHead.ContentLength, big.length);
    const up = await boto<{ etag: string; size: number }>('transfer-upload', { path: join(work, 'big'), key_name: 'boto/transfer' });
    assert.equal(up.size, big.length);
    assert.match(up.etag, /-2"$/, 'the transfer manager went multipart');
    const back = await s.s3.send(new GetObjectCommand({ Bucket: 'peers', Key: 'boto/transfer' }));
    assert.deepEqual(Buffer.from(await back.Body!.transformToByteArray()), big);
  });

  test('single-request uploads by boto3 and the CLI keep class and metadata; boto3 lists with url encoding and pages', async () => {
    const data = pattern(20_000, 45);
    await writeFile(join(work, 'single'), data);
    const put = await boto<{ etag: string }>('put', { path: join(work, 'single'), key_name: 'list/a b+c', class: 'DEEP_ARCHIVE' });
    assert.equal(put.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    const cliPut = await s3api<{ ETag: string }>(['put-object', '--bucket', 'peers', '--key', 'list/caf\u00e9', '--body', join(work, 'single'), '--storage-class', 'GLACIER_IR', '--metadata', 'origin=cli']);
    assert.equal(cliPut.ETag, put.etag);
    await s.s3.send(new PutObjectCommand({ Bucket: 'peers', Key: 'list/z%20', Body: 'x' }));
    const listed = await boto<{ keys: string[][] }>('list', { prefix: 'list/' });
    assert.deepEqual(listed.keys, [['list/a b+c', 'DEEP_ARCHIVE'], ['list/caf\u00e9', 'GLACIER_IR'], ['list/z%20', 'STANDARD']]);
    const meta = await s.s3.send(new HeadObjectCommand({ Bucket: 'peers', Key: 'list/caf\u00e9' }));
    assert.deepEqual(meta.Metadata, { origin: 'cli' });
    const got = await boto<{ status: number; length: number }>('get', { key_name: 'list/caf\u00e9', out: join(work, 'ir') });
    assert.equal(got.length, data.length, 'GLACIER_IR reads without a restore');
  });
});
