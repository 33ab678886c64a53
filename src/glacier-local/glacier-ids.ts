/**
 * Opaque identifiers shaped like Glacier's: random URL-safe base64 characters
 * (A–Z a–z 0–9 - _), 138 characters for archive IDs and 92 for job and upload IDs,
 * the lengths AWS's IDs have.
 */
import { randomBytes } from 'node:crypto';

/** ID lengths, as AWS issues them. */
export const ARCHIVE_ID_LENGTH = 138;
export const JOB_ID_LENGTH = 92;
export const UPLOAD_ID_LENGTH = 92;

const urlSafeId = /^[A-Za-z0-9_-]+$/;

/** `length` random URL-safe characters. */
export function randomId(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length);
}

/** A new archive ID (138 characters). */
export function newArchiveId(): string {
  return randomId(ARCHIVE_ID_LENGTH);
}

/** A new job ID (92 characters). */
export function newJobId(): string {
  return randomId(JOB_ID_LENGTH);
}

/** A new multipart upload ID (92 characters). */
export function newUploadId(): string {
  return randomId(UPLOAD_ID_LENGTH);
}

/** A new x-amzn-RequestId value (47 characters, like AWS's). */
export function newRequestId(): string {
  return randomId(47);
}

/** True when `id` has the shape of an ID this server issues: `length` URL-safe characters. */
export function isWellFormedId(id: string, length: number): boolean {
  return id.length === length && urlSafeId.test(id);
}
