/**
 * ListObjectsV2: keys in UTF-8 byte order under a prefix, grouped into CommonPrefixes
 * by a delimiter, paged with an opaque continuation token, each with its size, ETag,
 * StorageClass and checksum algorithm, and (x-amz-optional-object-attributes:
 * RestoreStatus) the state of a requested restore.
 */
import { isoDate, requireBucket } from './s3-context.js';
import { restoreState } from './object-attributes.js';
import type { S3Context } from './s3-context.js';
import { invalidArgument } from './s3-error.js';
import type { ObjectRow } from './s3-store.js';
import { el } from './s3-xml.js';
import { maxParam, OWNER_XML, S3_NS } from './bucket-operations.js';
import { urlEncodeKey } from './s3-multipart-operations.js';

/** Sorts after every key that starts with the string it is appended to. */
const AFTER_ALL = '\u{10FFFF}';
const BATCH = 1000;

type Entry = { kind: 'object'; row: ObjectRow; after: string } | { kind: 'prefix'; prefix: string; after: string };

/** GET /bucket?list-type=2 */
export function listObjectsV2(ctx: S3Context): void {
  const bucket = requireBucket(ctx);
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = maxParam(q, 'max-keys', 1000);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const urlEncoded = q.get('encoding-type') === 'url';
  if (q.has('encoding-type') && !urlEncoded) throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', q.get('encoding-type') ?? '');
  let after: string | null = startAfter === '' ? null : startAfter;
  if (token !== null) after = decodeToken(token);

  const entries: Entry[] = [];
  walk: while (entries.length <= maxKeys) {
    const rows = ctx.store.listObjects(bucket.id, prefix, after, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) {
      const cut = delimiter === '' ? -1 : row.key.indexOf(delimiter, prefix.length);
      if (cut >= 0) {
        const common = row.key.slice(0, cut + delimiter.length);
        after = common + AFTER_ALL;
        entries.push({ kind: 'prefix', prefix: common, after });
        continue walk;
      }
      after = row.key;
      entries.push({ kind: 'object', row, after });
      if (entries.length > maxKeys) break walk;
    }
  }
  const truncated = entries.length > maxKeys;
  const shown = entries.slice(0, maxKeys);
  const k = (s: string) => (urlEncoded ? urlEncodeKey(s) : s);
  const fetchOwner = q.get('fetch-owner') === 'true';
  const withRestoreStatus = (ctx.header('x-amz-optional-object-attributes') ?? '').split(',').some((a) => a.trim() === 'RestoreStatus');
  const restoreXml = (row: ObjectRow): string => {
    const state = restoreState(row, ctx.now);
    if (!withRestoreStatus || (state !== 'ongoing' && state !== 'restored')) return '';
    return `<RestoreStatus>${el('IsRestoreInProgress', state === 'ongoing')}${state === 'restored' ? el('RestoreExpiryDate', isoDate(row.restoreExpiresAt!)) : ''}</RestoreStatus>`;
  };
  const contents = shown
    .filter((e): e is Extract<Entry, { kind: 'object' }> => e.kind === 'object')
    .map(
      ({ row }) =>
        `<Contents>${el('Key', k(row.key))}${el('LastModified', isoDate(row.createdAt))}${el('ETag', `"${row.etag}"`)}` +
        `${row.checksum ? el('ChecksumAlgorithm', row.checksum.algorithm) + el('ChecksumType', row.checksum.type) : ''}${el('Size', row.size)}` +
        `${fetchOwner ? OWNER_XML : ''}${el('StorageClass', row.storageClass)}${restoreXml(row)}</Contents>`,
    );
  const prefixes = shown
    .filter((e): e is Extract<Entry, { kind: 'prefix' }> => e.kind === 'prefix')
    .map((e) => `<CommonPrefixes>${el('Prefix', k(e.prefix))}</CommonPrefixes>`);
  const next = truncated ? shown[shown.length - 1].after : undefined;
  ctx.replyXml(
    200,
    `<ListBucketResult xmlns="${S3_NS}">${el('Name', bucket.name)}${el('Prefix', k(prefix))}${delimiter ? el('Delimiter', k(delimiter)) : ''}` +
      `${el('MaxKeys', maxKeys)}${el('KeyCount', shown.length)}${el('IsTruncated', truncated)}${urlEncoded ? el('EncodingType', 'url') : ''}` +
      `${token !== null ? el('ContinuationToken', token) : ''}${next !== undefined ? el('NextContinuationToken', encodeToken(next)) : ''}` +
      `${startAfter ? el('StartAfter', k(startAfter)) : ''}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
  );
}

function encodeToken(after: string): string {
  return Buffer.from(`v1:${after}`, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('v1:')) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return text.slice(3);
}
