/**
 * What a PutObject or CreateMultipartUpload request says about the object it makes
 * (storage class, Content-Type, x-amz-meta-*), and the headers GetObject and
 * HeadObject describe an object with (ETag, class, metadata, restore state,
 * checksum). Pure.
 */
import { httpDate } from './s3-context.js';
import type { S3Context } from './s3-context.js';
import { S3Error } from './s3-error.js';
import { isColdClass } from './restore-timing.js';
import type { ObjectRow } from './s3-store.js';

/** Storage classes S3 accepts on writes. */
export const STORAGE_CLASSES: readonly string[] = [
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR',
];

/** User metadata may take at most 2 KB (names and values, UTF-8), as in S3. */
const MAX_METADATA_BYTES = 2048;

/** The attributes a write request gives its object. */
export interface ObjectAttributes {
  storageClass: string;
  contentType: string | null;
  metadata: Record<string, string>;
}

/** Reads storage class, Content-Type and user metadata from a write request. */
export function readObjectAttributes(ctx: S3Context): ObjectAttributes {
  const storageClass = ctx.header('x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.includes(storageClass)) throw new S3Error(400, 'InvalidStorageClass', 'The storage class you specified is not valid', { StorageClassRequested: storageClass });
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [name, values] of ctx.headers) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const short = name.slice('x-amz-meta-'.length);
    const value = values.join(',');
    metadata[short] = value;
    bytes += Buffer.byteLength(short) + Buffer.byteLength(value);
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new S3Error(400, 'MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', { Size: String(bytes), MaxSizeAllowed: String(MAX_METADATA_BYTES) });
  }
  return { storageClass, contentType: ctx.header('content-type') ?? null, metadata };
}

/** Where a cold object's restore stands at `now`. */
export type RestoreState = 'none' | 'ongoing' | 'restored' | 'expired';

/** The restore state of `obj` at `now`. */
export function restoreState(obj: ObjectRow, now: number): RestoreState {
  if (obj.restoreReadyAt === null || obj.restoreExpiresAt === null) return 'none';
  if (now < obj.restoreReadyAt) return 'ongoing';
  if (now < obj.restoreExpiresAt) return 'restored';
  return 'expired';
}

/** True when GetObject may read `obj` at `now`: warm classes always, cold ones while a restored copy exists. */
export function isReadable(obj: ObjectRow, now: number): boolean {
  return !isColdClass(obj.storageClass) || restoreState(obj, now) === 'restored';
}

/** The headers describing `obj` on GET and HEAD; with `withChecksum`, its stored checksum too. */
export function objectHeaders(obj: ObjectRow, now: number, withChecksum: boolean): Record<string, string> {
  const h: Record<string, string> = {
    ETag: `"${obj.etag}"`,
    'Last-Modified': httpDate(obj.createdAt),
    'Content-Type': obj.contentType ?? 'binary/octet-stream',
    'Accept-Ranges': 'bytes',
  };
  if (obj.storageClass !== 'STANDARD') h['x-amz-storage-class'] = obj.storageClass;
  for (const [name, value] of Object.entries(obj.metadata)) h[`x-amz-meta-${name}`] = value;
  const state = restoreState(obj, now);
  if (state === 'ongoing') h['x-amz-restore'] = 'ongoing-request="true"';
  if (state === 'restored') h['x-amz-restore'] = `ongoing-request="false", expiry-date="${httpDate(obj.restoreExpiresAt!)}"`;
  if (withChecksum && obj.checksum) {
    h[`x-amz-checksum-${obj.checksum.algorithm.toLowerCase()}`] = obj.checksum.value;
    h['x-amz-checksum-type'] = obj.checksum.type;
  }
  return h;
}
