/**
 * The object checksums S3 verifies (x-amz-checksum-crc32, -crc32c, -sha1, -sha256)
 * as incremental hashers, and the multipart composites S3 builds from part
 * checksums and part MD5s. Values are base64 of the big-endian digest, as on the
 * wire. CRC64NVME is not implemented (the server refuses it by name). Pure.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Checksum algorithms as S3 names them in x-amz-checksum-algorithm. */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'];

/** An incremental checksum. */
export interface Checksummer {
  update(data: Uint8Array): void;
  /** The base64 digest (call once). */
  digest(): string;
}

/** The algorithm named (case-insensitively) by `name`, or undefined. */
export function checksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** The header carrying `algorithm`'s value: x-amz-checksum-crc32 … */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Digest length in bytes. */
export function checksumBytes(algorithm: ChecksumAlgorithm): number {
  return algorithm === 'SHA256' ? 32 : algorithm === 'SHA1' ? 20 : 4;
}

/** A new incremental checksum of `algorithm`. */
export function newChecksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case 'SHA256':
    case 'SHA1': {
      const h = createHash(algorithm === 'SHA256' ? 'sha256' : 'sha1');
      return { update: (d) => h.update(d), digest: () => h.digest('base64') };
    }
    case 'CRC32': {
      let value = 0;
      return { update: (d) => (value = crc32(d, value)), digest: () => uint32Base64(value) };
    }
    case 'CRC32C': {
      let value = 0;
      return { update: (d) => (value = crc32c(d, value)), digest: () => uint32Base64(value) };
    }
  }
}

/** True when `value` is base64 of exactly the digest length of `algorithm`. */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  return Buffer.from(value, 'base64').length === checksumBytes(algorithm);
}

/** The composite checksum of a multipart object: the checksum of the concatenated raw part digests, then "-N". */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: readonly string[]): string {
  const c = newChecksummer(algorithm);
  for (const p of partChecksums) c.update(Buffer.from(p, 'base64'));
  return `${c.digest()}-${partChecksums.length}`;
}

/** The ETag of a multipart object (without quotes): MD5 of the concatenated raw part MD5s, then "-N". */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const h = createHash('md5');
  for (const p of partMd5Hex) h.update(Buffer.from(p, 'hex'));
  return `${h.digest('hex')}-${partMd5Hex.length}`;
}

function uint32Base64(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

let crc32cTable: Uint32Array | undefined;

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from `previous`. */
export function crc32c(data: Uint8Array, previous = 0): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  const table = crc32cTable;
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
