/**
 * GNU-format tar headers, as GNU tar 1.34 writes them: magic "ustar  \0", names up to
 * 100 bytes in the header and longer ones in a preceding `././@LongLink` member ('L' for
 * the name, 'K' for a symlink target), the prefix field never used (GNU tar ignores it
 * under the GNU magic), numbers in octal or, when they do not fit, base-256. Pure.
 */
import { nameToBytes } from '../scan/name-bytes.js';

/** The fields of one member's header. */
export interface GnuHeaderFields {
  /** Member name as stored (e.g. "./dir/" or "./dir/file"); any length. */
  name: string;
  /** Permission bits; anything above 0o7777 is dropped (GNU tar would read such a header as old-GNU). */
  mode: number;
  uid: number;
  gid: number;
  /** Body length in bytes (0 for directories and symlinks; the dumpdir body length for 'D'). */
  size: number;
  /** Whole seconds since the epoch; may be negative, and beyond what octal holds (base-256 then). */
  mtime: number | bigint;
  /**
   * '0' file, '1' hard link, '2' symlink, '3' character device, '4' block device, '5'
   * directory, '6' FIFO, 'D' GNU dumpdir, 'S' old-GNU sparse file, 'L'/'K' long name/link.
   */
  typeflag: string;
  /** Symlink target, or the member name a hard link points to; any length. */
  linkname?: string;
  uname?: string;
  gname?: string;
  devMajor?: number;
  devMinor?: number;
  /** For 'S': the data extents (stored in this order in the body, which is `size` bytes) and the file's real size. */
  sparse?: SparseMap;
}

/** An old-GNU sparse member's map: the extents of data, in file order; everything else reads as zeros. */
export interface SparseMap {
  realSize: number;
  extents: Array<{ offset: number; size: number }>;
}

/** Sparse entries in the main header and in each extension block (old GNU format). */
const SPARSE_IN_HEADER = 4;
const SPARSE_IN_EXTENSION = 21;

/** Tar block size: headers and bodies are padded to multiples of it. */
export const BLOCK = 512;
const GNU_MAGIC_BYTES = Buffer.from('ustar  \0', 'latin1');
const LONG_LINK_NAME = '././@LongLink';

/** Whole seconds of a nanosecond timestamp, rounded down (as tar stores mtimes). */
export function secondsOf(ns: bigint): bigint {
  const s = ns / 1_000_000_000n;
  return ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s;
}

/** Zero bytes that pad a body of `size` bytes to the next 512-byte boundary. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** Encodes a member's header block(s): LongLink members first when the name or link target exceed 100 bytes. */
export function encodeGnuHeader(fields: GnuHeaderFields): Buffer[] {
  const out: Buffer[] = [];
  const name = nameToBytes(fields.name);
  const link = nameToBytes(fields.linkname ?? '');
  if (link.length > 100) out.push(...longLink('K', link));
  if (name.length > 100) out.push(...longLink('L', name));
  // from Node's shared slab, not an ArrayBuffer of its own: a run writes one per member
  const block = Buffer.allocUnsafe(BLOCK);
  writeBlock(block, 0, fields, name, link);
  out.push(block);
  if (fields.sparse) out.push(...sparseExtensions(fields.sparse));
  return out;
}

/**
 * Writes the header of a member without a link target or sparse map into `target` at
 * `offset` and returns where it ends: the same bytes as encodeGnuHeader, without a Buffer per
 * block, for the small-file path that writes a header per file. `target` must have room for
 * gnuHeaderRoom(fields.name) bytes.
 */
export function writeGnuHeader(target: Buffer, offset: number, fields: Omit<GnuHeaderFields, 'linkname' | 'sparse'>): number {
  let o = offset;
  let name: Uint8Array | null = asciiBytes(fields.name);
  if (name === null) {
    const bytes = nameToBytes(fields.name);
    if (bytes.length > 100) for (const b of longLink('L', bytes)) o += b.copy(target, o);
    name = bytes;
  }
  writeBlock(target, o, fields, name, EMPTY);
  return o + BLOCK;
}

/** At least the bytes writeGnuHeader writes for a member named `name`. */
export function gnuHeaderRoom(name: string): number {
  // a UTF-16 unit takes at most 3 bytes of UTF-8 (an escaped byte 1)
  return name.length <= 100 ? BLOCK : 2 * BLOCK + 3 * name.length + BLOCK;
}

/** A short ASCII name (the common case) as its char codes, which are its bytes; null for any other. */
function asciiBytes(s: string): Uint8Array | null {
  if (s.length > 100) return null;
  const out = asciiScratch;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out.subarray(0, s.length);
}

const asciiScratch = new Uint8Array(100);

/**
 * The extension blocks after an 'S' header (which holds the first four extents, the real
 * size and an "extended" flag): the remaining extents, 21 per block, each block with its own
 * "extended" flag when another follows.
 */
function sparseExtensions(map: SparseMap): Buffer[] {
  const rest = map.extents.slice(SPARSE_IN_HEADER);
  const blocks: Buffer[] = [];
  for (let i = 0; i < rest.length; i += SPARSE_IN_EXTENSION) {
    const b = Buffer.alloc(BLOCK);
    rest.slice(i, i + SPARSE_IN_EXTENSION).forEach((e, j) => {
      writeNumber(b, j * 24, 12, e.offset);
      writeNumber(b, j * 24 + 12, 12, e.size);
    });
    if (i + SPARSE_IN_EXTENSION < rest.length) b[504] = 1;
    blocks.push(b);
  }
  return blocks;
}

/** A `././@LongLink` header and its body (the bytes plus a NUL, padded), as GNU tar writes them. */
function longLink(typeflag: 'L' | 'K', value: Buffer): Buffer[] {
  const size = value.length + 1;
  const header = Buffer.allocUnsafe(BLOCK);
  writeBlock(header, 0, { name: LONG_LINK_NAME, mode: 0o644, uid: 0, gid: 0, size, mtime: 0, typeflag, uname: 'root', gname: 'root' }, LONG_LINK_NAME_BYTES, EMPTY);
  const body = Buffer.alloc(size + paddingFor(size));
  value.copy(body);
  return [header, body];
}

const EMPTY = Buffer.alloc(0);
const LONG_LINK_NAME_BYTES = Buffer.from(LONG_LINK_NAME);

/**
 * Writes one header block at `b[o]`; `name` and `link` are the bytes of fields.name and
 * fields.linkname (the first 100 are stored).
 */
function writeBlock(b: Buffer, o: number, f: GnuHeaderFields, name: Uint8Array, link: Uint8Array): void {
  if (f.typeflag.length !== 1) throw new RangeError(`typeflag must be one character, got "${f.typeflag}"`);
  b.fill(0, o, o + BLOCK);
  b.set(name.length > 100 ? name.subarray(0, 100) : name, o);
  writeNumber(b, o + 100, 8, f.mode & 0o7777);
  writeNumber(b, o + 108, 8, f.uid);
  writeNumber(b, o + 116, 8, f.gid);
  writeNumber(b, o + 124, 12, f.size);
  writeNumber(b, o + 136, 12, f.mtime);
  b[o + 156] = f.typeflag.charCodeAt(0);
  b.set(link.length > 100 ? link.subarray(0, 100) : link, o + 157);
  b.set(GNU_MAGIC_BYTES, o + 257);
  writeString(b, o + 265, 32, f.uname ?? '');
  writeString(b, o + 297, 32, f.gname ?? '');
  if (f.devMajor !== undefined) writeNumber(b, o + 329, 8, f.devMajor);
  if (f.devMinor !== undefined) writeNumber(b, o + 337, 8, f.devMinor);
  if (f.sparse) {
    f.sparse.extents.slice(0, SPARSE_IN_HEADER).forEach((e, j) => {
      writeNumber(b, o + 386 + j * 24, 12, e.offset);
      writeNumber(b, o + 386 + j * 24 + 12, 12, e.size);
    });
    if (f.sparse.extents.length > SPARSE_IN_HEADER) b[o + 482] = 1;
    writeNumber(b, o + 483, 12, f.sparse.realSize);
  }
  // six octal digits, NUL, space: what GNU tar writes
  writeOctal(b, o + 148, 7, headerChecksum(b, o));
  b[o + 155] = 0x20;
}

/** The header checksum: the sum of all 512 bytes with the checksum field read as spaces. */
export function headerChecksum(block: Uint8Array, offset = 0): number {
  let sum = 8 * 0x20;
  for (let i = offset; i < offset + 148; i++) sum += block[i];
  for (let i = offset + 156; i < offset + BLOCK; i++) sum += block[i];
  return sum;
}

/** Up to `width - 1` bytes of a string, NUL-terminated (the field is zero-filled). */
function writeString(b: Buffer, offset: number, width: number, value: string): void {
  if (value === '') return;
  // owner names are ASCII nearly always: written in place, no intermediate buffer
  if (value.length < width && isAscii(value)) {
    for (let i = 0; i < value.length; i++) b[offset + i] = value.charCodeAt(i);
    return;
  }
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(b, offset, 0, Math.min(bytes.length, width - 1));
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** `width - 1` octal digits of a non-negative safe integer that fits them, then a NUL. */
function writeOctal(b: Buffer, offset: number, width: number, value: number): void {
  let v = value;
  let i = offset + width - 2;
  // whole-number division while the value is large, then bit shifts
  for (; i >= offset && v > 0x7fffffff; i--) {
    b[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  for (; i >= offset; i--) {
    b[i] = 0x30 + (v & 7);
    v >>>= 3;
  }
  b[offset + width - 1] = 0;
}

/** 8 ** (width - 1), the first value that does not fit a numeric field's octal digits, by width. */
const OCTAL_LIMIT: Record<number, number> = { 8: 8 ** 7, 12: 8 ** 11 };

/**
 * A numeric field: `width - 1` octal digits and a NUL when the value fits, otherwise
 * GNU base-256 (first byte 0x80 for positive, 0xff for negative two's complement).
 */
function writeNumber(b: Buffer, offset: number, width: number, value: number | bigint): void {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`tar header number out of range: ${value}`);
  // the common case without BigInt: a non-negative number that fits the octal digits
  if (typeof value === 'number' && value >= 0 && value < (OCTAL_LIMIT[width] ?? 8 ** (width - 1))) {
    writeOctal(b, offset, width, value);
    return;
  }
  const n = BigInt(value);
  if (n >= 0n && n < 8n ** BigInt(width - 1)) {
    b.write(`${n.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
    return;
  }
  const bits = BigInt(8 * (width - 1) - 1);
  if (n >= 1n << bits || n < -(1n << bits)) throw new RangeError(`tar header number out of range: ${value}`);
  let v = n < 0n ? (1n << BigInt(8 * width)) + n : n;
  for (let i = width - 1; i >= 1; i--) {
    b[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[offset] = n < 0n ? 0xff : 0x80;
}

/**
 * Reads a numeric field: octal digits (leading spaces or NULs skipped, ending at a NUL or
 * space), or GNU base-256 when the first byte has its high bit set (0xff: negative).
 */
export function decodeNumber(b: Uint8Array, offset: number, width: number): bigint {
  const first = b[offset];
  if (first & 0x80) {
    let v = BigInt(first & 0x7f);
    for (let i = 1; i < width; i++) v = (v << 8n) | BigInt(b[offset + i]);
    return first === 0xff ? v - (1n << BigInt(8 * width - 1)) : v;
  }
  let v = 0n;
  let i = offset;
  const end = offset + width;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  for (; i < end && b[i] >= 0x30 && b[i] <= 0x37; i++) v = v * 8n + BigInt(b[i] - 0x30);
  return v;
}

/** The sparse map of an old-GNU 'S' header, and whether extension blocks follow. */
export function decodeSparseHeader(block: Uint8Array): { map: SparseMap; extended: boolean } {
  return {
    map: { realSize: Number(decodeNumber(block, 483, 12)), extents: sparseEntries(block, 386, SPARSE_IN_HEADER) },
    extended: block[482] !== 0,
  };
}

/** The extents of one sparse extension block, and whether another follows. */
export function decodeSparseExtension(block: Uint8Array): { extents: SparseMap['extents']; extended: boolean } {
  return { extents: sparseEntries(block, 0, SPARSE_IN_EXTENSION), extended: block[504] !== 0 };
}

function sparseEntries(block: Uint8Array, at: number, count: number): SparseMap['extents'] {
  const out: SparseMap['extents'] = [];
  for (let j = 0; j < count; j++) {
    const o = at + j * 24;
    // an unused entry is all NULs
    if (block[o] === 0 && block[o + 12] === 0) break;
    out.push({ offset: Number(decodeNumber(block, o, 12)), size: Number(decodeNumber(block, o + 12, 12)) });
  }
  return out;
}
