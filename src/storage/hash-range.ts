/**
 * The hashes a part is sent with, computed by one read of its bytes from the file in 1 MiB
 * chunks into a caller's scratch buffer, so no part-sized buffer is ever held: the part's
 * SHA-256 (S3's x-amz-checksum-sha256, Glacier's signed payload hash) and its 1 MiB leaf
 * digests (a part's tree hash, and, because parts are whole MiB, leaves of the file's).
 * The bytes are then sent by a second read of the same range (paced-body.ts), which the
 * page cache answers; the service checks what arrives against these hashes, so bytes that
 * changed in between are refused, never stored.
 */
import { createHash } from 'node:crypto';
import { MiB } from '../treehash/tree-hash.js';

/** Exact reads of a byte range (GrowingFile). */
export interface RangeReader {
  read(position: number, length: number, into?: Buffer): Promise<Buffer>;
}

/** SHA-256 and 1 MiB leaf digests of a byte range. */
export interface RangeHashes {
  sha256: Buffer;
  leaves: Buffer[];
}

/** Hashes bytes [start, start + length) of `file`, reading them through `scratch` (at least 1 MiB). */
export async function hashRange(file: RangeReader, start: number, length: number, scratch: Buffer): Promise<RangeHashes> {
  if (scratch.length < MiB) throw new RangeError(`a ${scratch.length}-byte scratch buffer is smaller than the 1 MiB leaf`);
  const whole = createHash('sha256');
  const leaves: Buffer[] = [];
  for (let offset = 0; offset < length || leaves.length === 0; offset += MiB) {
    const chunk = await file.read(start + offset, Math.min(MiB, length - offset), scratch);
    whole.update(chunk);
    leaves.push(createHash('sha256').update(chunk).digest());
  }
  return { sha256: whole.digest(), leaves };
}
