/**
 * S3 multipart uploads: CreateMultipartUpload, UploadPart, ListParts,
 * CompleteMultipartUpload, AbortMultipartUpload, ListMultipartUploads. Parts are
 * verified as they arrive (Content-MD5, the upload's checksum algorithm); completion
 * checks order, ETags, sizes and part checksums, and builds the multipart ETag and
 * composite checksum as S3 does.
 */
import { rm } from 'node:fs/promises';
import { isoDate, requireBucket } from './s3-context.js';
import type { S3Context } from './s3-context.js';
import { S3Error, invalidArgument, invalidRequest, malformedXml, noSuchUpload } from './s3-error.js';
import { readObjectAttributes } from './object-attributes.js';
import { checkKey, MAX_SINGLE_UPLOAD } from './object-operations.js';
import { receiveObjectBody } from './receive-object-body.js';
import { checksumAlgorithm, compositeChecksum, isWellFormedChecksum, multipartEtag } from './s3-checksums.js';
import type { ChecksumAlgorithm } from './s3-checksums.js';
import { newS3UploadId } from './s3-ids.js';
import type { ChunkRow, UploadRow } from './s3-store.js';
import { child, children, el } from './s3-xml.js';
import { readRequestDocument } from './read-request-document.js';
import { maxParam, OWNER_XML, S3_NS } from './bucket-operations.js';

/** At most 10,000 parts per upload, as in S3. */
export const MAX_PARTS = 10_000;

/** POST /bucket/key?uploads */
export function createMultipartUpload(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const key = ctx.route.key!;
  checkKey(key);
  const attrs = readObjectAttributes(ctx);
  const algorithmName = ctx.header('x-amz-checksum-algorithm');
  const algorithm = algorithmName === undefined ? undefined : checksumAlgorithm(algorithmName);
  if (algorithmName !== undefined && algorithm === undefined) {
    throw invalidArgument('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, SHA1, SHA256]', 'x-amz-checksum-algorithm', algorithmName);
  }
  const typeName = ctx.header('x-amz-checksum-type')?.toUpperCase();
  if (typeName !== undefined && typeName !== 'COMPOSITE' && typeName !== 'FULL_OBJECT') throw invalidArgument('Value for x-amz-checksum-type header is invalid.', 'x-amz-checksum-type', typeName);
  if (typeName !== undefined && algorithm === undefined) throw invalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
  if (typeName === 'FULL_OBJECT') {
    throw new S3Error(501, 'NotImplemented', 'This server does not implement FULL_OBJECT checksums for multipart uploads; use the COMPOSITE type (the default).');
  }
  const upload = ctx.store.insertUpload({
    uploadId: newS3UploadId(),
    bucketId: bucket.id,
    key,
    ...attrs,
    checksumAlgorithm: algorithm ?? null,
    checksumType: algorithm ? 'COMPOSITE' : null,
    createdAt: ctx.now,
  });
  const headers: Record<string, string> = {};
  if (algorithm) {
    headers['x-amz-checksum-algorithm'] = algorithm;
    headers['x-amz-checksum-type'] = 'COMPOSITE';
  }
  ctx.replyXml(
    200,
    `<InitiateMultipartUploadResult xmlns="${S3_NS}">${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', upload.uploadId)}</InitiateMultipartUploadResult>`,
    headers,
  );
}

/** PUT /bucket/key?partNumber=N&uploadId=U */
export async function uploadPart(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  const partNumber = partNumberOf(ctx.query.get('partNumber'));
  const upload = requireUpload(ctx, bucket.id);
  const tmp = ctx.files.tmpPath();
  const got = await receiveObjectBody(ctx.req, tmp, {
    header: ctx.header,
    signing: ctx.signing,
    defaultAlgorithm: (upload.checksumAlgorithm as ChecksumAlgorithm | null) ?? undefined,
    maxBytes: MAX_SINGLE_UPLOAD,
    resetAfterBytes: ctx.resetAfterRequestBytes,
    onBytes: ctx.countReceived,
  });
  try {
    if (upload.checksumAlgorithm && got.checksum?.algorithm !== upload.checksumAlgorithm) {
      throw invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${got.checksum?.algorithm.toLowerCase()}`);
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const file = await ctx.files.commit(upload.uploadId, tmp);
  // the upload may have been completed or aborted while the body arrived
  const current = ctx.store.getUpload(upload.uploadId);
  if (!current) {
    await ctx.files.removeFile(upload.uploadId, file);
    throw noSuchUpload(upload.uploadId);
  }
  const replaced = ctx.store.putPart(current.id, {
    partNumber,
    size: got.size,
    etag: got.md5Hex,
    checksum: upload.checksumAlgorithm ? got.checksum!.value : null,
    file,
    createdAt: ctx.now,
  });
  if (replaced) await ctx.files.removeFile(upload.uploadId, replaced);
  const headers: Record<string, string> = { ETag: `"${got.md5Hex}"` };
  if (got.checksum) headers[`x-amz-checksum-${got.checksum.algorithm.toLowerCase()}`] = got.checksum.value;
  ctx.reply(200, headers);
}

/** GET /bucket/key?uploadId=U [max-parts, part-number-marker] */
export function listParts(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const upload = requireUpload(ctx, bucket.id);
  const maxParts = maxParam(ctx.query, 'max-parts', 1000);
  const markerRaw = ctx.query.get('part-number-marker');
  const marker = markerRaw === null || markerRaw === '' ? 0 : Number(markerRaw);
  if (!Number.isInteger(marker) || marker < 0) throw invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', markerRaw ?? '');
  const parts = ctx.store.listParts(upload.id, marker, maxParts + 1);
  const truncated = parts.length > maxParts;
  const shown = parts.slice(0, maxParts);
  const algorithm = upload.checksumAlgorithm;
  const partXml = shown.map(
    (p) =>
      `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', isoDate(p.createdAt))}${el('ETag', `"${p.etag}"`)}${el('Size', p.size)}` +
      `${algorithm && p.checksum ? el(`Checksum${algorithm}`, p.checksum) : ''}</Part>`,
  );
  const next = shown.length > 0 ? shown[shown.length - 1].partNumber : marker;
  ctx.replyXml(
    200,
    `<ListPartsResult xmlns="${S3_NS}">${el('Bucket', bucket.name)}${el('Key', upload.key)}${el('UploadId', upload.uploadId)}` +
      `${el('PartNumberMarker', marker)}${el('NextPartNumberMarker', next)}${el('MaxParts', maxParts)}${el('IsTruncated', truncated)}` +
      `${partXml.join('')}<Initiator><ID>local</ID><DisplayName>local</DisplayName></Initiator>${OWNER_XML}${el('StorageClass', upload.storageClass)}` +
      `${algorithm ? el('ChecksumAlgorithm', algorithm) + el('ChecksumType', 'COMPOSITE') : ''}</ListPartsResult>`,
  );
}

/**
 * POST /bucket/key?uploadId=U with the part list. Repeating a successful request with
 * the same part list within `idempotencyMs` gives the same answer, as S3 does (a
 * client whose response was lost retries); anything else on a completed upload is
 * NoSuchUpload.
 */
export async function completeMultipartUpload(ctx: S3Context, minPartSize: number, idempotencyMs: number): Promise<void> {
  const bucket = requireBucket(ctx);
  const doc = readRequestDocument(ctx.body, 'CompleteMultipartUpload');
  const listed = children(doc, 'Part');
  if (listed.length === 0 || listed.length > MAX_PARTS) throw malformedXml();
  const partList = listed.map((p) => `${child(p, 'PartNumber')?.text.trim()}:${child(p, 'ETag')?.text.trim().replace(/^"|"$/g, '')}`).join(',');
  ctx.store.forgetCompletedUploads(ctx.now - idempotencyMs);
  const uploadId = ctx.query.get('uploadId') ?? '';
  const done = ctx.store.getUpload(uploadId) ? undefined : ctx.store.getCompletedUpload(uploadId, ctx.now - idempotencyMs);
  if (done && done.bucketId === bucket.id && done.key === ctx.route.key && done.parts === partList) {
    const { xml, headers } = JSON.parse(done.result) as { xml: string; headers: Record<string, string> };
    ctx.replyXml(200, xml, headers);
    return;
  }
  const upload = requireUpload(ctx, bucket.id);
  const stored = ctx.store.allParts(upload.id);
  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | null;
  const chunks: ChunkRow[] = [];
  const md5s: string[] = [];
  const sums: string[] = [];
  let previous = 0;
  let size = 0;
  for (const [i, p] of listed.entries()) {
    const numberText = child(p, 'PartNumber')?.text.trim();
    const etagText = child(p, 'ETag')?.text.trim();
    if (numberText === undefined || etagText === undefined) throw malformedXml();
    const partNumber = Number(numberText);
    if (!Number.isInteger(partNumber) || partNumber <= previous) {
      throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', { UploadId: upload.uploadId });
    }
    previous = partNumber;
    const part = stored.get(partNumber);
    if (!part || etagText.replace(/^"|"$/g, '') !== part.etag) {
      throw new S3Error(400, 'InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.", {
        UploadId: upload.uploadId,
        PartNumber: String(partNumber),
        ETag: etagText,
      });
    }
    if (algorithm) {
      const given = child(p, `Checksum${algorithm}`)?.text.trim();
      if (given === undefined) {
        throw invalidRequest(`The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`);
      }
      if (!isWellFormedChecksum(algorithm, given) || given !== part.checksum) {
        throw new S3Error(400, 'InvalidPart', `The ${algorithm.toLowerCase()} checksum of part ${partNumber} does not match the checksum of the uploaded part.`, {
          UploadId: upload.uploadId,
          PartNumber: String(partNumber),
        });
      }
      sums.push(part.checksum);
    }
    if (i < listed.length - 1 && part.size < minPartSize) {
      throw new S3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: String(part.size),
        MinSizeAllowed: String(minPartSize),
        PartNumber: String(partNumber),
        ETag: part.etag,
      });
    }
    chunks.push({ idx: i, size: part.size, file: part.file });
    md5s.push(part.etag);
    size += part.size;
  }
  const checksum = algorithm ? compositeChecksum(algorithm, sums) : undefined;
  const declared = algorithm ? ctx.header(`x-amz-checksum-${algorithm.toLowerCase()}`) : undefined;
  if (declared !== undefined && checksum !== undefined && declared !== checksum && declared !== checksum.replace(/-\d+$/, '')) {
    throw new S3Error(400, 'BadDigest', `The ${algorithm!.toLowerCase()} you specified for the multipart upload did not match the calculated checksum.`);
  }
  const etag = multipartEtag(md5s);
  const headers: Record<string, string> = {};
  if (checksum) headers['x-amz-checksum-type'] = 'COMPOSITE';
  const xml =
    `<CompleteMultipartUploadResult xmlns="${S3_NS}">${el('Location', `/${bucket.name}/${encodeKey(upload.key)}`)}${el('Bucket', bucket.name)}${el('Key', upload.key)}` +
    `${el('ETag', `"${etag}"`)}${checksum ? el(`Checksum${algorithm}`, checksum) + el('ChecksumType', 'COMPOSITE') : ''}</CompleteMultipartUploadResult>`;
  const { replacedDataId } = ctx.store.putObject(
    {
      bucketId: bucket.id,
      key: upload.key,
      dataId: upload.uploadId,
      size,
      etag,
      storageClass: upload.storageClass,
      contentType: upload.contentType,
      metadata: upload.metadata,
      checksum: checksum ? { algorithm: algorithm!, value: checksum, type: 'COMPOSITE' } : null,
      partsCount: listed.length,
      createdAt: ctx.now,
    },
    chunks,
    {
      row: upload.id,
      completed: { uploadId: upload.uploadId, bucketId: bucket.id, key: upload.key, parts: partList, result: JSON.stringify({ xml, headers }), completedAt: ctx.now },
    },
  );
  const used = new Set(chunks.map((c) => c.file));
  for (const part of stored.values()) if (!used.has(part.file)) await ctx.files.removeFile(upload.uploadId, part.file);
  if (replacedDataId) await ctx.files.removeData(replacedDataId);
  ctx.replyXml(200, xml, headers);
}

/** DELETE /bucket/key?uploadId=U */
export async function abortMultipartUpload(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  const upload = requireUpload(ctx, bucket.id);
  ctx.store.abortUpload(upload.id);
  await ctx.files.removeData(upload.uploadId);
  ctx.reply(204, {});
}

/** GET /bucket?uploads [prefix, key-marker, upload-id-marker, max-uploads, encoding-type] */
export function listMultipartUploads(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const maxUploads = maxParam(ctx.query, 'max-uploads', 1000);
  const keyMarker = ctx.query.get('key-marker') || null;
  const uploadIdMarker = ctx.query.get('upload-id-marker') || null;
  const markerRow = keyMarker !== null && uploadIdMarker !== null ? (ctx.store.getUpload(uploadIdMarker)?.id ?? null) : null;
  const rows = ctx.store.listUploads(bucket.id, prefix, keyMarker, markerRow, maxUploads + 1);
  const truncated = rows.length > maxUploads;
  const shown = rows.slice(0, maxUploads);
  const urlEncoded = ctx.query.get('encoding-type') === 'url';
  const k = (s: string) => (urlEncoded ? urlEncodeKey(s) : s);
  const last = shown[shown.length - 1];
  const uploadXml = shown.map(
    (u: UploadRow) =>
      `<Upload>${el('Key', k(u.key))}${el('UploadId', u.uploadId)}<Initiator><ID>local</ID><DisplayName>local</DisplayName></Initiator>${OWNER_XML}` +
      `${el('StorageClass', u.storageClass)}${el('Initiated', isoDate(u.createdAt))}${u.checksumAlgorithm ? el('ChecksumAlgorithm', u.checksumAlgorithm) + el('ChecksumType', 'COMPOSITE') : ''}</Upload>`,
  );
  ctx.replyXml(
    200,
    `<ListMultipartUploadsResult xmlns="${S3_NS}">${el('Bucket', bucket.name)}${el('KeyMarker', k(keyMarker ?? ''))}${el('UploadIdMarker', uploadIdMarker ?? '')}` +
      `${truncated ? el('NextKeyMarker', k(last.key)) + el('NextUploadIdMarker', last.uploadId) : ''}${urlEncoded ? el('EncodingType', 'url') : ''}` +
      `${el('Prefix', k(prefix))}${el('MaxUploads', maxUploads)}${el('IsTruncated', truncated)}${uploadXml.join('')}</ListMultipartUploadsResult>`,
  );
}

/** A key encoded as S3 does for encoding-type=url (form encoding, '/' kept). */
export function urlEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function partNumberOf(raw: string | null): number {
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < 1 || n > MAX_PARTS) {
    throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw ?? '');
  }
  return n;
}

function requireUpload(ctx: S3Context, bucketId: number): UploadRow {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.store.getUpload(uploadId);
  if (!upload || upload.bucketId !== bucketId || upload.key !== ctx.route.key) throw noSuchUpload(uploadId);
  return upload;
}

