/**
 * Maps a path-style S3 request (method, `/bucket/key`, query) to the operation it
 * names, with bucket and key decoded. Virtual-hosted addressing is not served.
 * Known S3 operations this server does not implement route with `supported: false`
 * so they are answered with NotImplemented. Pure.
 */
import { S3Error } from './s3-error.js';

/** Operations this server implements. */
export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'ListMultipartUploads'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'RestoreObject';

/** A routed request. */
export interface S3Route {
  /** An S3Operation when `supported`, else a name for the request. */
  operation: string;
  supported: boolean;
  bucket?: string;
  key?: string;
}

/** Operations whose request body is object data, received as a stream. */
export const S3_STREAMING_OPERATIONS: ReadonlySet<string> = new Set(['PutObject', 'UploadPart']);

/** Bucket sub-resources S3 has and this server does not serve. */
const bucketSubresources = [
  'acl', 'accelerate', 'analytics', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'lifecycle', 'logging', 'metrics', 'notification',
  'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'tagging', 'versioning',
  'versions', 'website',
];
const objectSubresources = ['acl', 'attributes', 'legal-hold', 'retention', 'tagging', 'torrent', 'select'];

/** Routes `method` + `pathname` (still percent-encoded) + `query`. Throws S3Error for undecodable paths. */
export function routeS3Request(method: string, pathname: string, query: URLSearchParams, headers: { has(name: string): boolean }): S3Route {
  const m = method.toUpperCase();
  const slash = pathname.indexOf('/', 1);
  let bucket: string;
  let key: string | undefined;
  try {
    bucket = decodeURIComponent(slash < 0 ? pathname.slice(1) : pathname.slice(1, slash));
    key = slash < 0 || slash === pathname.length - 1 ? undefined : decodeURIComponent(pathname.slice(slash + 1));
  } catch {
    throw new S3Error(400, 'InvalidURI', `Couldn't parse the specified URI: ${pathname.slice(0, 200)}`);
  }
  const has = (name: string) => query.has(name);
  const unsupported = (operation: string): S3Route => ({ operation, supported: false, bucket, key });
  const r = (operation: S3Operation): S3Route => ({ operation, supported: true, bucket: bucket || undefined, key });

  if (bucket === '') return m === 'GET' ? r('ListBuckets') : unsupported(`${m} /`);
  if (key === undefined) {
    const sub = bucketSubresources.find(has);
    if (sub) return unsupported(`${m} ?${sub}`);
    switch (m) {
      case 'PUT':
        return r('CreateBucket');
      case 'HEAD':
        return r('HeadBucket');
      case 'DELETE':
        return r('DeleteBucket');
      case 'POST':
        return has('delete') ? r('DeleteObjects') : unsupported('POST bucket');
      case 'GET':
        if (has('location')) return r('GetBucketLocation');
        if (has('uploads')) return r('ListMultipartUploads');
        if (query.get('list-type') === '2') return r('ListObjectsV2');
        return unsupported('ListObjects (version 1; use ListObjectsV2)');
      default:
        return unsupported(`${m} bucket`);
    }
  }
  const sub = objectSubresources.find(has);
  if (sub) return unsupported(`${m} object ?${sub}`);
  switch (m) {
    case 'PUT':
      if (headers.has('x-amz-copy-source')) return unsupported(has('partNumber') ? 'UploadPartCopy' : 'CopyObject');
      return has('partNumber') || has('uploadId') ? r('UploadPart') : r('PutObject');
    case 'GET':
      return has('uploadId') ? r('ListParts') : r('GetObject');
    case 'HEAD':
      return r('HeadObject');
    case 'DELETE':
      return has('uploadId') ? r('AbortMultipartUpload') : r('DeleteObject');
    case 'POST':
      if (has('uploads')) return r('CreateMultipartUpload');
      if (has('uploadId')) return r('CompleteMultipartUpload');
      if (has('restore')) return r('RestoreObject');
      return unsupported('POST object');
    default:
      return unsupported(`${m} object`);
  }
}
