/** S3 object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects. */
import { rm } from 'node:fs/promises';
import { requireBucket } from './s3-context.js';
import type { S3Context } from './s3-context.js';
import { S3Error, malformedXml, noSuchKey } from './s3-error.js';
import { isReadable, objectHeaders, readObjectAttributes } from './object-attributes.js';
import { receiveObjectBody } from './receive-object-body.js';
import { newDataId } from './s3-ids.js';
import { children, child, xmlEscape } from './s3-xml.js';
import { readRequestDocument } from './read-request-document.js';
import { S3_NS } from './bucket-operations.js';

/** S3's single-request (and single-part) size limit: 5 GiB. */
export const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;

/** PUT /bucket/key */
export async function putObject(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  const key = ctx.route.key!;
  checkKey(key);
  const attrs = readObjectAttributes(ctx);
  const tmp = ctx.files.tmpPath();
  const got = await receiveObjectBody(ctx.req, tmp, {
    header: ctx.header,
    signing: ctx.signing,
    defaultAlgorithm: undefined,
    maxBytes: MAX_SINGLE_UPLOAD,
    resetAfterBytes: ctx.resetAfterRequestBytes,
    onBytes: ctx.countReceived,
  });
  const dataId = newDataId();
  let file: string;
  try {
    file = await ctx.files.commit(dataId, tmp);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const { replacedDataId } = ctx.store.putObject(
    {
      bucketId: bucket.id,
      key,
      dataId,
      size: got.size,
      etag: got.md5Hex,
      ...attrs,
      checksum: got.checksum ? { algorithm: got.checksum.algorithm, value: got.checksum.value, type: 'FULL_OBJECT' } : null,
      partsCount: null,
      createdAt: ctx.now,
    },
    [{ idx: 0, size: got.size, file }],
  );
  if (replacedDataId) await ctx.files.removeData(replacedDataId);
  const headers: Record<string, string> = { ETag: `"${got.md5Hex}"` };
  if (got.checksum) {
    headers[`x-amz-checksum-${got.checksum.algorithm.toLowerCase()}`] = got.checksum.value;
    headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  ctx.reply(200, headers);
}

/** HEAD /bucket/key — works on cold objects too; shows their restore state. */
export function headObject(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const obj = ctx.store.getObject(bucket.id, ctx.route.key!);
  if (!obj) throw noSuchKey(ctx.route.key!);
  checkPreconditions(ctx, obj.etag);
  const headers = objectHeaders(obj, ctx.now, ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED');
  if (obj.partsCount !== null && ctx.query.get('partNumber') !== null) headers['x-amz-mp-parts-count'] = String(obj.partsCount);
  ctx.reply(200, { ...headers, 'Content-Length': String(obj.size) });
}

/** GET /bucket/key [Range] — 403 InvalidObjectState for a cold object without a restored copy. */
export async function getObject(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  const obj = ctx.store.getObject(bucket.id, ctx.route.key!);
  if (!obj) throw noSuchKey(ctx.route.key!);
  if (!isReadable(obj, ctx.now)) {
    throw new S3Error(403, 'InvalidObjectState', "The operation is not valid for the object's storage class", { StorageClass: obj.storageClass });
  }
  checkPreconditions(ctx, obj.etag);
  const range = parseRange(ctx.header('range'), obj.size);
  const chunks = ctx.store.chunks(obj.id);
  if (range === undefined) {
    const headers = objectHeaders(obj, ctx.now, ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED');
    await ctx.replyStream(200, headers, ctx.files.readRange(obj.dataId, chunks, 0, obj.size - 1), obj.size);
    return;
  }
  const headers = objectHeaders(obj, ctx.now, false);
  headers['Content-Range'] = `bytes ${range.start}-${range.end}/${obj.size}`;
  await ctx.replyStream(206, headers, ctx.files.readRange(obj.dataId, chunks, range.start, range.end), range.end - range.start + 1);
}

/** DELETE /bucket/key — 204 whether or not the key existed. */
export async function deleteObject(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  const dataId = ctx.store.deleteObject(bucket.id, ctx.route.key!);
  if (dataId) await ctx.files.removeData(dataId);
  ctx.reply(204, {});
}

/** POST /bucket?delete — up to 1000 keys; Quiet reports only errors. */
export async function deleteObjects(ctx: S3Context): Promise<void> {
  const bucket = requireBucket(ctx);
  if (ctx.header('content-md5') === undefined && ![...ctx.headers.keys()].some((h) => h.startsWith('x-amz-checksum-'))) {
    throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5 (or an x-amz-checksum- header)');
  }
  const doc = readRequestDocument(ctx.body, 'Delete');
  const objects = children(doc, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = child(doc, 'Quiet')?.text.trim().toLowerCase() === 'true';
  const out: string[] = [];
  for (const o of objects) {
    const key = child(o, 'Key')?.text;
    if (key === undefined) throw malformedXml();
    const dataId = ctx.store.deleteObject(bucket.id, key);
    if (dataId) await ctx.files.removeData(dataId);
    if (!quiet) out.push(`<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`);
  }
  ctx.replyXml(200, `<DeleteResult xmlns="${S3_NS}">${out.join('')}</DeleteResult>`);
}

/** Keys are 1 to 1024 bytes of UTF-8. */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key) > 1024) throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', { MaxSizeAllowed: '1024', Size: String(Buffer.byteLength(key)) });
}

/** If-Match / If-None-Match against the object's ETag. */
function checkPreconditions(ctx: S3Context, etag: string): void {
  const ifMatch = ctx.header('if-match');
  if (ifMatch !== undefined && !etagListHas(ifMatch, etag)) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  const ifNoneMatch = ctx.header('if-none-match');
  if (ifNoneMatch !== undefined && etagListHas(ifNoneMatch, etag)) throw new S3Error(304, 'NotModified', 'Not Modified');
}

function etagListHas(list: string, etag: string): boolean {
  return list.split(',').some((e) => {
    const t = e.trim();
    return t === '*' || t.replace(/^W\//, '').replace(/^"|"$/g, '') === etag;
  });
}

/**
 * A `Range: bytes=…` header as S3 reads it: one range (first-last, first-, or -suffix);
 * anything else is ignored (the whole object is sent); a range starting past the end
 * is 416 InvalidRange.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw invalidRange(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}

function invalidRange(header: string, size: number): S3Error {
  return new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: String(size) });
}
