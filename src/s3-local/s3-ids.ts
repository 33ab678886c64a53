/** Opaque identifiers shaped like S3's: request IDs, upload IDs, storage names. */
import { randomBytes } from 'node:crypto';

/** A new x-amz-request-id (16 upper-case hex-like characters, as S3's are). */
export function newS3RequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/**
 * A new multipart upload ID: 64 URL-safe characters starting with a letter or digit,
 * so command-line tools never take it for an option (`--upload-id -abc…`).
 */
export function newS3UploadId(): string {
  for (;;) {
    const id = randomBytes(48).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** A new name for an object's data directory. */
export function newDataId(): string {
  return randomBytes(18).toString('base64url');
}
