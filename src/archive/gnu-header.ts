/**
 * GNU-format tar headers, as GNU tar 1.34 writes them: magic "ustar  \0", names up to
 * 100 bytes in the header and longer ones in a preceding `././@LongLink` member ('L' for
 * the name, 'K' for a symlink target), the prefix field never used (GNU tar ignores it
 * under the GNU magic), numbers in octal or, when they do not fit, base-256. Pure.
 */

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
  /** Whole seconds since the epoch; may be negative. */
  mtime: number;
  /** '0' file, '2' symlink, '5' directory, 'D' GNU dumpdir, 'L'/'K' long name/link. */
  typeflag: string;
  /** Symlink target; any length. */
  linkname?: string;
  uname?: string;
  gname?: string;
}

/** Tar block size: headers and bodies are padded to multiples of it. */
export const BLOCK = 512;
const GNU_MAGIC = 'ustar  \0';
const LONG_LINK_NAME = '././@LongLink';

/** Zero bytes that pad a body of `size` bytes to the next 512-byte boundary. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** Encodes a member's header block(s): LongLink members first when the name or link target exceed 100 bytes. */
export function encodeGnuHeader(fields: GnuHeaderFields): Buffer[] {
  const out: Buffer[] = [];
  const name = Buffer.from(fields.name, 'utf8');
  const link = Buffer.from(fields.linkname ?? '', 'utf8');
  if (link.length > 100) out.push(...longLink('K', link));
  if (name.length > 100) out.push(...longLink('L', name));
  out.push(encodeBlock({ ...fields, name: name.subarray(0, 100), linkname: link.subarray(0, 100) }));
  return out;
}

/** A `././@LongLink` header and its body (the bytes plus a NUL, padded), as GNU tar writes them. */
function longLink(typeflag: 'L' | 'K', value: Buffer): Buffer[] {
  const size = value.length + 1;
  const header = encodeBlock({
    name: Buffer.from(LONG_LINK_NAME),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 0,
    typeflag,
    linkname: Buffer.alloc(0),
    uname: 'root',
    gname: 'root',
  });
  const body = Buffer.alloc(size + paddingFor(size));
  value.copy(body);
  return [header, body];
}

function encodeBlock(f: Omit<GnuHeaderFields, 'name' | 'linkname'> & { name: Buffer; linkname: Buffer }): Buffer {
  if (f.typeflag.length !== 1) throw new RangeError(`typeflag must be one character, got "${f.typeflag}"`);
  const b = Buffer.alloc(BLOCK);
  f.name.copy(b, 0, 0, 100);
  writeNumber(b, 100, 8, f.mode & 0o7777);
  writeNumber(b, 108, 8, f.uid);
  writeNumber(b, 116, 8, f.gid);
  writeNumber(b, 124, 12, f.size);
  writeNumber(b, 136, 12, f.mtime);
  b.write(f.typeflag, 156, 'latin1');
  f.linkname.copy(b, 157, 0, 100);
  b.write(GNU_MAGIC, 257, 'latin1');
  writeString(b, 265, 32, f.uname ?? '');
  writeString(b, 297, 32, f.gname ?? '');
  writeChecksum(b);
  return b;
}

/** The header checksum: the sum of all 512 bytes with the checksum field read as spaces. */
export function headerChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

function writeChecksum(b: Buffer): void {
  // six octal digits, NUL, space: what GNU tar writes
  b.write(`${headerChecksum(b).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** Up to `width - 1` bytes of a string, NUL-terminated (the field is zero-filled). */
function writeString(b: Buffer, offset: number, width: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(b, offset, 0, Math.min(bytes.length, width - 1));
}

/**
 * A numeric field: `width - 1` octal digits and a NUL when the value fits, otherwise
 * GNU base-256 (first byte 0x80 for positive, 0xff for negative two's complement).
 */
function writeNumber(b: Buffer, offset: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`tar header number out of range: ${value}`);
  if (value >= 0 && value < 8 ** (width - 1)) {
    b.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
    return;
  }
  let v = BigInt(value);
  if (value < 0) v = (1n << BigInt(8 * width)) + v;
  for (let i = width - 1; i >= 1; i--) {
    b[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[offset] = value < 0 ? 0xff : 0x80;
}
