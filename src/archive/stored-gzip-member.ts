/**
 * A gzip member of deflate "stored" blocks (RFC 1951 §3.2.4: BTYPE 00, the bytes as they
 * are), built here rather than by zlib at level 0: the bytes are copied once into a buffer
 * the caller reuses, with no thread-pool trip and no output chunks to join, which for a
 * block that does not compress was most of the cost of writing it. Any gzip reader (gzip,
 * GNU tar, zlib) reads it like any other member. Pure.
 *
 * Layout: the 10-byte gzip header zlib writes at level 0 (no name, no mtime, XFL 4, OS 3),
 * the input in stored blocks of at most 65,535 bytes (each a byte with BFINAL on the last
 * and BTYPE 00, then LEN and its complement NLEN, little-endian), then CRC-32 and the input
 * length modulo 2^32, little-endian.
 */
import { crc32 } from 'node:zlib';

/** The most bytes one stored block holds (its LEN field is 16 bits). */
const MAX_STORED = 65_535;
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);

/** The size of the stored member of `length` input bytes. */
export function storedGzipMemberSize(length: number): number {
  const blocks = Math.max(1, Math.ceil(length / MAX_STORED));
  return HEADER.length + 5 * blocks + length + 8;
}

/** Writes the stored member of `input` at the start of `out` (at least storedGzipMemberSize long) and returns its length. */
export function writeStoredGzipMember(input: Uint8Array, out: Buffer): number {
  let o = HEADER.copy(out, 0);
  let at = 0;
  do {
    const n = Math.min(MAX_STORED, input.length - at);
    out[o] = at + n === input.length ? 1 : 0;
    out.writeUInt16LE(n, o + 1);
    out.writeUInt16LE(~n & 0xffff, o + 3);
    out.set(input.subarray(at, at + n), o + 5);
    o += 5 + n;
    at += n;
  } while (at < input.length);
  out.writeUInt32LE(crc32(input), o);
  out.writeUInt32LE(input.length % 2 ** 32, o + 4);
  return o + 8;
}
