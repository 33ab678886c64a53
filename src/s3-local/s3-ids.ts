/** Opaque identifiers shaped like S3's: request IDs, upload IDs, storage names. */
import { randomBytes } from 'node:crypto';

/** A new x-amz-request-id (16 upper-case hex-like characters, as S3's are). */
export function newS3RequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** A new multipart upload ID (URL-safe, 64 characters). */
export function newS3UploadId(): string {
  return randomBytes(48).toString('base64url');
}

/** A new name for an object's data directory. */
export function newDataId(): string {
  return randomBytes(18).toString('base64url');
}
