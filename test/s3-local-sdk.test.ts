/**
 * @aws-sdk/client-s3 against the S3 side of the local server: buckets, objects with
 * classes and metadata, ranged GETs, checksums and digests verified, aws-chunked
 * uploads (signed and unsigned, with trailers), listings, multipart uploads with
 * composite checksums, cold objects and restores on a movable clock, persistence
 * across restarts, fault injection, and one listener serving Glacier and S3.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateVaultCommand, GlacierClient, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { sdkError, pattern } from './glacier-local-helpers.js';
import { s3ErrorCode, signedS3Fetch, startS3TestServer } from './s3-local-helpers.js';
import type { S3TestServer } from './s3-local-helpers.js';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function expectS3Error(p: Promise<unknown>, code: string, status: number): Promise<void> {
  const err = await sdkError(p);
  assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
  assert.equal(err.$metadata.httpStatusCode, status);
}

async function bodyOf(s3: S3Client, Bucket: string, Key: string, Range?: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, Range }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

const b64 = (h: ReturnType<typeof createHash>) => h.digest('base64');
const sha256b64 = (d: Buffer) => b64(createHash('sha256').update(d));

describe('S3 through @aws-sdk/client-s3', () => {
  let s: S3TestServer;
  before(async () => {
    s = await startS3TestServer({ restoreDelaysMs: { GLACIER: { Expedited: 5 * 60_000, Standard: 4 * HOUR }, DEEP_ARCHIVE: { Standard: 12 * HOUR, Bulk: 48 * HOUR } } });
    await s.s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
  });
  after(() => s.cleanup());

  test('buckets: create (again in us-east-1 is fine), head, list; invalid names, missing and non-empty buckets are refused', async () => {
    await s.s3.send(new CreateBucketCommand({ Bucket: 'second.bucket-1' }));
    await s.s3.send(new CreateBucketCommand({ Bucket: 'second.bucket-1' }));
    const head = await s.s3.send(new HeadBucketCommand({ Bucket: 'second.bucket-1' }));
    assert.equal(head.BucketRegion, 'us-east-1');
    const names = (await s.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    assert.deepEqual(names, ['backups', 'second.bucket-1']);
    await expectS3Error(s.s3.send(new CreateBucketCommand({ Bucket: 'No_Such' })), 'InvalidBucketName', 400);
    await expectS3Error(s.s3.send(new HeadBucketCommand({ Bucket: 'absent-bucket' })), 'NotFound', 404);
    await expectS3Error(s.s3.send(new PutObjectCommand({ Bucket: 'absent-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await s.s3.send(new PutObjectCommand({ Bucket: 'second.bucket-1', Key: 'k', Body: 'x' }));
    await expectS3Error(s.s3.send(new DeleteBucketCommand({ Bucket: 'second.bucket-1' })), 'BucketNotEmpty', 409);
    await s.s3.send(new DeleteObjectCommand({ Bucket: 'second.bucket-1', Key: 'k' }));
    await s.s3.send(new DeleteBucketCommand({ Bucket: 'second.bucket-1' }));
  });

  test('PutObject keeps class, metadata and content type; GetObject and HeadObject give them back with the CRC32 the SDK sent', async () => {
    const data = pattern(300_000, 3);
    const put = await s.s3.send(
      new PutObjectCommand({ Bucket: 'backups', Key: 'set/000001-L0.tar.gz', Body: data, StorageClass: 'GLACIER_IR', Metadata: { host: 'h1', seq: '1' }, ContentType: 'application/gzip' }),
    );
    assert.equal(put.ETag, `"${createHash('md5').update(data).digest('hex')}"`);
    assert.ok(put.ChecksumCRC32, 'the SDK sends a CRC32 by default and S3 echoes it');
    const head = await s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'set/000001-L0.tar.gz', ChecksumMode: 'ENABLED' }));
    assert.equal(head.StorageClass, 'GLACIER_IR');
    assert.deepEqual(head.Metadata, { host: 'h1', seq: '1' });
    assert.equal(head.ContentType, 'application/gzip');
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ChecksumCRC32, put.ChecksumCRC32);
    assert.equal(head.Restore, undefined);
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'set/000001-L0.tar.gz'), data, 'GLACIER_IR reads without a restore');
  });

  test('ranged GETs: first-last, open-ended, suffix, clipped end; a range past the end is 416 InvalidRange', async () => {
    const data = pattern(10_000, 4);
    await s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'ranges', Body: data }));
    const r = await s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'ranges', Range: 'bytes=100-199' }));
    assert.equal(r.ContentRange, 'bytes 100-199/10000');
    assert.equal(r.$metadata.httpStatusCode, 206);
    assert.deepEqual(Buffer.from(await r.Body!.transformToByteArray()), data.subarray(100, 200));
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'ranges', 'bytes=9990-'), data.subarray(9990));
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'ranges', 'bytes=-7'), data.subarray(9993));
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'ranges', 'bytes=9000-20000'), data.subarray(9000));
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'ranges', Range: 'bytes=10000-' })), 'InvalidRange', 416);
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'no-such-key' })), 'NoSuchKey', 404);
  });

  test('a wrong x-amz-checksum-sha256 or Content-MD5 is BadDigest and stores nothing', async () => {
    const data = pattern(5000, 5);
    await expectS3Error(
      s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'bad-sha', Body: data, ChecksumSHA256: sha256b64(Buffer.from('other')) })),
      'BadDigest',
      400,
    );
    await expectS3Error(
      s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'bad-md5', Body: data, ContentMD5: createHash('md5').update('other').digest('base64') })),
      'BadDigest',
      400,
    );
    await expectS3Error(s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'bad-sha' })), 'NotFound', 404);
    const ok = await s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'good-sha', Body: data, ChecksumSHA256: sha256b64(data) }));
    assert.equal(ok.ChecksumSHA256, sha256b64(data));
  });

  test('a streamed body goes out aws-chunked with a trailing checksum and arrives intact', async () => {
    const data = pattern(3 * 65536 + 17, 6);
    const seen: string[] = [];
    const client = s.clientWith({});
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        seen.push(req.headers['x-amz-content-sha256']);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await client.send(new PutObjectCommand({ Bucket: 'backups', Key: 'streamed', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }));
    assert.deepEqual(seen, ['STREAMING-UNSIGNED-PAYLOAD-TRAILER']);
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'streamed'), data);
  });

  test('hand-made aws-chunked uploads: unsigned and signed trailers and chunk signatures are verified', async () => {
    const data = pattern(200_000, 7);
    const crc = (await import('node:zlib')).crc32(data);
    const crcB64 = Buffer.from([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255]).toString('base64');
    const put = (key: string, mode: Parameters<typeof signedS3Fetch>[3] extends infer O ? (O extends { mode?: infer M } ? M : never) : never) =>
      signedS3Fetch(s.gl, 'PUT', `/backups/${key}`, { body: data, mode });
    let res = await put('chunked-unsigned', { kind: 'unsigned-trailer', chunkSize: 65536, trailer: ['x-amz-checksum-crc32', crcB64] });
    assert.equal(res.status, 200, await res.text());
    res = await put('chunked-bad-trailer', { kind: 'unsigned-trailer', chunkSize: 65536, trailer: ['x-amz-checksum-crc32', 'AAAAAA=='] });
    assert.equal(await s3ErrorCode(res), 'BadDigest');
    res = await put('chunked-signed', { kind: 'signed', chunkSize: 8192 });
    assert.equal(res.status, 200, await res.text());
    res = await put('chunked-tampered', { kind: 'signed', chunkSize: 8192, tamperChunk: 3 });
    assert.equal(res.status, 403);
    assert.equal(await s3ErrorCode(res), 'SignatureDoesNotMatch');
    res = await put('chunked-signed-trailer', { kind: 'signed-trailer', chunkSize: 65536, trailer: ['x-amz-checksum-crc32', crcB64] });
    assert.equal(res.status, 200, await res.text());
    res = await put('chunked-bad-trailer-sig', { kind: 'signed-trailer', chunkSize: 65536, trailer: ['x-amz-checksum-crc32', crcB64], tamperTrailer: true });
    assert.equal(await s3ErrorCode(res), 'SignatureDoesNotMatch');
    for (const key of ['chunked-unsigned', 'chunked-signed', 'chunked-signed-trailer']) assert.deepEqual(await bodyOf(s.s3, 'backups', key), data, key);
    for (const key of ['chunked-bad-trailer', 'chunked-tampered', 'chunked-bad-trailer-sig']) {
      await expectS3Error(s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: key })), 'NotFound', 404);
    }
  });

  test('ListObjectsV2: prefix, delimiter, pages of MaxKeys with continuation tokens, StorageClass per object', async () => {
    await s.s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'a/3', 'b/x/1', 'b/y', 'c', 'caf\u00e9', 'z+ z'];
    for (const [i, Key] of keys.entries()) {
      await s.s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: `v${i}`, StorageClass: i % 2 ? 'DEEP_ARCHIVE' : 'STANDARD' }));
    }
    const all: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 3, ContinuationToken: token }));
      all.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    assert.deepEqual(all, keys);
    assert.equal(pages, 3);
    const a = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/' }));
    assert.deepEqual(a.Contents?.map((c) => [c.Key, c.StorageClass, c.Size]), [['a/1', 'STANDARD', 2], ['a/2', 'DEEP_ARCHIVE', 2], ['a/3', 'STANDARD', 2]]);
    const top = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/']);
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['c', 'caf\u00e9', 'z+ z']);
    const paged = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 1 }));
    assert.deepEqual(paged.CommonPrefixes?.map((p) => p.Prefix), ['a/']);
    const next = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 1, ContinuationToken: paged.NextContinuationToken }));
    assert.deepEqual(next.CommonPrefixes?.map((p) => p.Prefix), ['b/']);
    const after = await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'c' }));
    assert.deepEqual(after.Contents?.map((c) => c.Key), ['caf\u00e9', 'z+ z']);
    const del = await s.s3.send(new DeleteObjectsCommand({ Bucket: 'listing', Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    assert.equal(del.Deleted?.length, keys.length);
    assert.equal((await s.s3.send(new ListObjectsV2Command({ Bucket: 'listing' }))).KeyCount, 0);
  });

  test('multipart with SHA-256: parts verified, listed, completed with the composite checksum and multipart ETag AWS computes', async () => {
    const parts = [pattern(5 * MiB, 11), pattern(5 * MiB, 12), pattern(123_457, 13)];
    const up = await s.s3.send(new CreateMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', ChecksumAlgorithm: 'SHA256', StorageClass: 'DEEP_ARCHIVE', Metadata: { kind: 'archive' } }));
    const uploadId = up.UploadId!;
    await expectS3Error(
      s.s3.send(new UploadPartCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, PartNumber: 1, Body: parts[0], ChecksumSHA256: sha256b64(parts[1]) })),
      'BadDigest',
      400,
    );
    const etags: string[] = [];
    for (const i of [2, 0, 1]) {
      const r = await s.s3.send(new UploadPartCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, PartNumber: i + 1, Body: parts[i], ChecksumSHA256: sha256b64(parts[i]) }));
      assert.equal(r.ChecksumSHA256, sha256b64(parts[i]));
      etags[i] = r.ETag!;
    }
    const listed = await s.s3.send(new ListPartsCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MaxParts: 2 }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256]), [[1, 5 * MiB, sha256b64(parts[0])], [2, 5 * MiB, sha256b64(parts[1])]]);
    assert.equal(listed.IsTruncated, true);
    const rest = await s.s3.send(new ListPartsCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, PartNumberMarker: listed.NextPartNumberMarker }));
    assert.deepEqual(rest.Parts?.map((p) => p.PartNumber), [3]);
    const uploads = await s.s3.send(new ListMultipartUploadsCommand({ Bucket: 'backups', Prefix: 'mp/' }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId, u.StorageClass]), [['mp/one', uploadId, 'DEEP_ARCHIVE']]);

    const partList = parts.map((_, i) => ({ PartNumber: i + 1, ETag: etags[i], ChecksumSHA256: sha256b64(parts[i]) }));
    await expectS3Error(
      s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MultipartUpload: { Parts: partList.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) } })),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MultipartUpload: { Parts: [partList[1], partList[0]] } })),
      'InvalidPartOrder',
      400,
    );
    const done = await s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MultipartUpload: { Parts: partList } }));
    const composite = createHash('sha256');
    for (const p of parts) composite.update(createHash('sha256').update(p).digest());
    assert.equal(done.ChecksumSHA256, `${composite.digest('base64')}-3`);
    const etag = createHash('md5');
    for (const p of parts) etag.update(createHash('md5').update(p).digest());
    assert.equal(done.ETag, `"${etag.digest('hex')}-3"`);
    const head = await s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'mp/one', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, 10 * MiB + 123_457);
    assert.equal(head.ChecksumSHA256, done.ChecksumSHA256);
    assert.equal(head.StorageClass, 'DEEP_ARCHIVE');
    assert.deepEqual(head.Metadata, { kind: 'archive' });
    await expectS3Error(s.s3.send(new ListPartsCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId })), 'NoSuchUpload', 404);
    const repeated = await s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MultipartUpload: { Parts: partList } }));
    assert.deepEqual([repeated.ETag, repeated.ChecksumSHA256], [done.ETag, done.ChecksumSHA256], 'a repeated Complete gives the same answer, as S3 does');
    await expectS3Error(
      s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/one', UploadId: uploadId, MultipartUpload: { Parts: partList.slice(0, 2) } })),
      'NoSuchUpload',
      404,
    );
  });

  test('multipart: small parts before the last are EntityTooSmall; an aborted upload is gone', async () => {
    const up = await s.s3.send(new CreateMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/small' }));
    const a = await s.s3.send(new UploadPartCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId, PartNumber: 1, Body: pattern(1000, 1) }));
    const b = await s.s3.send(new UploadPartCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId, PartNumber: 2, Body: pattern(1000, 2) }));
    await expectS3Error(
      s.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a.ETag }, { PartNumber: 2, ETag: b.ETag }] } })),
      'EntityTooSmall',
      400,
    );
    await s.s3.send(new AbortMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId }));
    await expectS3Error(s.s3.send(new UploadPartCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId, PartNumber: 3, Body: 'x' })), 'NoSuchUpload', 404);
    await expectS3Error(s.s3.send(new AbortMultipartUploadCommand({ Bucket: 'backups', Key: 'mp/small', UploadId: up.UploadId })), 'NoSuchUpload', 404);
  });

  test('cold objects: GET refused until restored; restore takes its tier delay, then ranged GETs work until the copy expires', async () => {
    const data = pattern(50_000, 21);
    await s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'cold/deep', Body: data, StorageClass: 'DEEP_ARCHIVE' }));
    await s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'cold/flex', Body: data, StorageClass: 'GLACIER' }));
    await s.s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'cold/warm', Body: data, StorageClass: 'STANDARD' }));
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'cold/deep' })), 'InvalidObjectState', 403);
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'cold/flex', Range: 'bytes=0-9' })), 'InvalidObjectState', 403);
    await expectS3Error(
      s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/deep', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Expedited' } } })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/warm', RestoreRequest: { Days: 1 } })), 'InvalidObjectState', 403);

    const started = await s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/deep', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } }));
    assert.equal(started.$metadata.httpStatusCode, 202);
    assert.equal((await s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'cold/deep' }))).Restore, 'ongoing-request="true"');
    await expectS3Error(
      s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/deep', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } })),
      'RestoreAlreadyInProgress',
      409,
    );
    s.advance(11 * HOUR);
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'cold/deep' })), 'InvalidObjectState', 403);
    s.advance(1 * HOUR + 1000);
    const head = await s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'cold/deep' }));
    assert.match(head.Restore ?? '', /^ongoing-request="false", expiry-date="[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} 00:00:00 GMT"$/);
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'cold/deep', 'bytes=1000-1999'), data.subarray(1000, 2000));
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'cold/deep'), data);
    const expiry = new Date(/expiry-date="([^"]+)"/.exec(head.Restore ?? '')?.[1] ?? '').toISOString();
    const listed = await s.s3.send(new ListObjectsV2Command({ Bucket: 'backups', Prefix: 'cold/', OptionalObjectAttributes: ['RestoreStatus'] }));
    assert.deepEqual(
      listed.Contents?.map((c) => [c.Key, c.RestoreStatus?.IsRestoreInProgress, c.RestoreStatus?.RestoreExpiryDate?.toISOString()]),
      [['cold/deep', false, expiry], ['cold/flex', undefined, undefined], ['cold/warm', undefined, undefined]],
      'ListObjectsV2 shows restore state on request',
    );
    const again = await s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/deep', RestoreRequest: { Days: 1 } }));
    assert.equal(again.$metadata.httpStatusCode, 200, 'a restored copy exists: 200, expiry reset');
    s.advance(3 * DAY);
    await expectS3Error(s.s3.send(new GetObjectCommand({ Bucket: 'backups', Key: 'cold/deep' })), 'InvalidObjectState', 403);
    assert.equal((await s.s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'cold/deep' }))).Restore, undefined);
    const flex = await s.s3.send(new RestoreObjectCommand({ Bucket: 'backups', Key: 'cold/flex', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } }));
    assert.equal(flex.$metadata.httpStatusCode, 202);
    s.advance(5 * 60_000);
    assert.deepEqual(await bodyOf(s.s3, 'backups', 'cold/flex', 'bytes=-10'), data.subarray(-10));
  });

  test('one listener serves Glacier and S3 side by side', async () => {
    const glacier = new GlacierClient({ endpoint: s.gl.endpoint, region: s.gl.region, credentials: s.gl.credentials, maxAttempts: 1 });
    try {
      await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'beside-s3' }));
      const vaults = await glacier.send(new ListVaultsCommand({ accountId: '-' }));
      assert.deepEqual(vaults.VaultList?.map((v) => v.VaultName), ['beside-s3']);
      assert.ok((await s.s3.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === 'backups'));
    } finally {
      glacier.destroy();
    }
  });
});

describe('S3 state across restarts, and faults', () => {
  test('objects, open uploads with their parts, and restore state survive a restart; files a crash left unreferenced are swept', async () => {
    let t = Date.now();
    const first = await startS3TestServer({ clock: () => t, restoreDelaysMs: { GLACIER: { Bulk: 5 * HOUR } } });
    try {
      await first.s3.send(new CreateBucketCommand({ Bucket: 'keep' }));
      const data = pattern(70_000, 31);
      await first.s3.send(new PutObjectCommand({ Bucket: 'keep', Key: 'obj', Body: data, StorageClass: 'GLACIER' }));
      await first.s3.send(new RestoreObjectCommand({ Bucket: 'keep', Key: 'obj', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Bulk' } } }));
      const up = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: 'keep', Key: 'big', ChecksumAlgorithm: 'SHA256' }));
      await first.s3.send(new UploadPartCommand({ Bucket: 'keep', Key: 'big', UploadId: up.UploadId, PartNumber: 1, Body: data, ChecksumSHA256: sha256b64(data) }));
      await first.gl.close();
      // what a crash can leave: a body half received, an object directory never committed, a replaced part's file
      const dataDir = join(first.dir, 's3', 'data');
      const live = await readdir(dataDir);
      await writeFile(join(first.dir, 's3', 'tmp', 'half-received'), 'x');
      await mkdir(join(dataDir, 'never-committed'));
      await writeFile(join(dataDir, 'never-committed', 'body'), 'x');
      await writeFile(join(dataDir, live[0], 'replaced-part'), 'x');

      const second = await startS3TestServer({ dir: first.dir, clock: () => t });
      try {
        assert.deepEqual((await readdir(dataDir)).sort(), [...live].sort());
        assert.ok(!(await readdir(join(dataDir, live[0]))).includes('replaced-part'));
        assert.deepEqual(await readdir(join(first.dir, 's3', 'tmp')), []);
        assert.equal((await second.s3.send(new HeadObjectCommand({ Bucket: 'keep', Key: 'obj' }))).Restore, 'ongoing-request="true"');
        t += 5 * HOUR;
        assert.deepEqual(await bodyOf(second.s3, 'keep', 'obj'), data);
        const parts = await second.s3.send(new ListPartsCommand({ Bucket: 'keep', Key: 'big', UploadId: up.UploadId }));
        assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, 70_000]]);
        const done = await second.s3.send(
          new CompleteMultipartUploadCommand({ Bucket: 'keep', Key: 'big', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: parts.Parts?.[0]?.ETag, ChecksumSHA256: sha256b64(data) }] } }),
        );
        assert.ok(done.ETag?.endsWith('-1"'));
        assert.deepEqual(await bodyOf(second.s3, 'keep', 'big'), data);
      } finally {
        second.s3.destroy();
        await second.gl.close();
      }
    } finally {
      await first.cleanup();
    }
  });

  test('SlowDown and 500s are retried by the SDK; resets mid-part store nothing, mid-GET cut the body, after Complete lose only the response', async () => {
    const s = await startS3TestServer({
      s3MinPartSize: 1000,
      faults: [
        { operation: 'PutObject', kind: 'throttle', nth: [1] },
        { operation: 'GetObject', kind: 'error500', nth: [1] },
        { operation: 'GetObject', kind: 'reset', nth: [3] },
        { operation: 'UploadPart', kind: 'reset', nth: [1] },
        { operation: 'CompleteMultipartUpload', kind: 'reset', nth: [1] },
      ],
    });
    try {
      const retrying = s.clientWith({ maxAttempts: 3 });
      await s.s3.send(new CreateBucketCommand({ Bucket: 'faulty' }));
      const payload = pattern(200_000, 9);
      await retrying.send(new PutObjectCommand({ Bucket: 'faulty', Key: 'k', Body: payload }));
      assert.deepEqual(await bodyOf(retrying, 'faulty', 'k'), payload);
      const stats = s.gl.stats();
      assert.equal(stats['PutObject.fault.throttle'], 1);
      assert.equal(stats.PutObject, 2);
      assert.equal(stats['GetObject.fault.error500'], 1);
      await assert.rejects(bodyOf(s.s3, 'faulty', 'k'), 'the third GET is cut halfway through the body');
      assert.deepEqual(await bodyOf(s.s3, 'faulty', 'k'), payload);

      const up = await s.s3.send(new CreateMultipartUploadCommand({ Bucket: 'faulty', Key: 'mp', ChecksumAlgorithm: 'SHA256' }));
      const part = pattern(100_000, 1);
      await assert.rejects(s.s3.send(new UploadPartCommand({ Bucket: 'faulty', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: part, ChecksumAlgorithm: 'SHA256' })));
      const parts = await s.s3.send(new ListPartsCommand({ Bucket: 'faulty', Key: 'mp', UploadId: up.UploadId }));
      assert.equal(parts.Parts?.length ?? 0, 0);
      const sent = await s.s3.send(new UploadPartCommand({ Bucket: 'faulty', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: part, ChecksumAlgorithm: 'SHA256' }));
      const done = await retrying.send(
        new CompleteMultipartUploadCommand({ Bucket: 'faulty', Key: 'mp', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: sent.ETag, ChecksumSHA256: sent.ChecksumSHA256 }] } }),
      );
      assert.equal(done.$metadata.attempts, 2, 'the first response was lost; the retry got the same result');
      assert.equal(s.gl.stats()['CompleteMultipartUpload.fault.reset'], 1);
      assert.deepEqual(await bodyOf(s.s3, 'faulty', 'mp'), part);
    } finally {
      await s.cleanup();
    }
  });
});
