/**
 * Glacier's input rules as pure functions: vault names, descriptions, part sizes,
 * Content-Range of parts, RetrievalByteRange, the Range header of GetJobOutput and
 * list limits. Each throws the GlacierError AWS answers with; none does I/O.
 */
import { MiB } from '../treehash/tree-hash.js';
import { invalidParameter, missingParameter } from './glacier-error.js';

/** 2^30 bytes. */
export const GiB = 1024 * MiB;
/** Largest archive UploadArchive accepts in one request. */
export const MAX_SINGLE_UPLOAD_BYTES = 4 * GiB;
/** Smallest and largest multipart part size. */
export const MIN_PART_SIZE = MiB;
export const MAX_PART_SIZE = 4 * GiB;
/** Most parts one multipart upload may have. */
export const MAX_PARTS = 10_000;
/** Longest archive or job description. */
export const MAX_DESCRIPTION_LENGTH = 1024;
/** Most vaults one account may hold. */
export const MAX_VAULTS = 1000;

const vaultNamePattern = /^[A-Za-z0-9_.-]{1,255}$/;
const printableAscii = /^[\x20-\x7e]*$/;
const hex64 = /^[0-9a-f]{64}$/;

/** Throws InvalidParameterValueException unless `name` is 1–255 of a–z A–Z 0–9 _ - . */
export function checkVaultName(name: string): void {
  if (!vaultNamePattern.test(name)) {
    throw invalidParameter(`Invalid vault name: ${printable(name)}. Names are 1 to 255 characters from a-z, A-Z, 0-9, '_', '-' and '.'`);
  }
}

/**
 * Validates an archive or job description: at most 1024 characters of printable
 * ASCII (0x20–0x7E). Returns null for an absent or empty value.
 */
export function checkDescription(value: string | undefined | null, what = 'archive description'): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (value.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidParameter(`Invalid ${what}: longer than ${MAX_DESCRIPTION_LENGTH} characters (${value.length})`);
  }
  if (!printableAscii.test(value)) {
    throw invalidParameter(`Invalid ${what}: only printable ASCII characters (0x20-0x7E) are allowed`);
  }
  return value;
}

/** True when `n` bytes is 1 MiB times a power of two, up to 4 GiB. */
export function isValidPartSize(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < MIN_PART_SIZE || n > MAX_PART_SIZE || n % MiB !== 0) return false;
  const mib = n / MiB;
  return (mib & (mib - 1)) === 0;
}

/** Parses the x-amz-part-size header of InitiateMultipartUpload. */
export function parsePartSize(header: string | undefined): number {
  if (header === undefined || header === '') throw missingParameter('x-amz-part-size');
  const n = parseDecimal(header);
  if (n === undefined || !isValidPartSize(n)) {
    throw invalidParameter(`Invalid part size: ${printable(header)}. The part size must be a megabyte (1024 KB) multiplied by a power of 2, from 1 MB to 4 GB`);
  }
  return n;
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses UploadMultipartPart's `Content-Range: bytes START-END/*` against the
 * upload's part size: START a multiple of the part size, at most part-size bytes,
 * within the 10,000-part limit. (A short part that is not the last one is accepted
 * here and refused by CompleteMultipartUpload, as AWS documents.)
 */
export function parseContentRange(header: string | undefined, partSize: number): ByteRange {
  if (header === undefined || header === '') throw missingParameter('Content-Range');
  const m = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(header.trim());
  if (!m) throw invalidParameter(`Invalid Content-Range: ${printable(header)}. Expected the form 'bytes START-END/*'`);
  const start = parseDecimal(m[1]);
  const end = parseDecimal(m[2]);
  if (start === undefined || end === undefined || end < start) {
    throw invalidParameter(`Invalid Content-Range: ${printable(header)}`);
  }
  if (start % partSize !== 0) {
    throw invalidParameter(`Content-Range ${printable(header)} does not align with the part size ${partSize}: the start must be a multiple of it`);
  }
  if (end - start + 1 > partSize) {
    throw invalidParameter(`Content-Range ${printable(header)} is larger than the part size ${partSize}`);
  }
  if (start / partSize >= MAX_PARTS) {
    throw invalidParameter(`Content-Range ${printable(header)} is beyond the ${MAX_PARTS}-part limit for part size ${partSize}`);
  }
  return { start, end };
}

/**
 * Parses InitiateJob's RetrievalByteRange `START-END` for an archive of `size`
 * bytes: START a multiple of 1 MiB, END+1 a multiple of 1 MiB or END the last byte.
 */
export function parseRetrievalByteRange(value: string, size: number): ByteRange {
  const m = /^(\d+)-(\d+)$/.exec(value);
  const start = m ? parseDecimal(m[1]) : undefined;
  const end = m ? parseDecimal(m[2]) : undefined;
  if (start === undefined || end === undefined || end < start || end >= size) {
    throw invalidParameter(`Invalid RetrievalByteRange: ${printable(value)} for an archive of ${size} bytes`);
  }
  if (start % MiB !== 0 || ((end + 1) % MiB !== 0 && end !== size - 1)) {
    throw invalidParameter(
      `Invalid RetrievalByteRange: ${printable(value)}. The range must be megabyte aligned: the start divisible by 1048576 and the end plus 1 divisible by 1048576 or equal to the archive size`,
    );
  }
  return { start, end };
}

/**
 * Parses GetJobOutput's Range header (`bytes=S-E`, `bytes=S-` or `bytes=-N`)
 * against an output of `size` bytes; the end is clamped to the output's end.
 */
export function parseRangeHeader(header: string, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw invalidParameter(`Invalid Range header: ${printable(header)}`);
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = parseDecimal(m[2]);
    if (suffix === undefined || suffix === 0) throw invalidParameter(`Invalid Range header: ${printable(header)}`);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    const s = parseDecimal(m[1]);
    const e = m[2] === '' ? Number.MAX_SAFE_INTEGER : parseDecimal(m[2]);
    if (s === undefined || e === undefined || e < s) throw invalidParameter(`Invalid Range header: ${printable(header)}`);
    start = s;
    end = Math.min(e, size - 1);
  }
  if (start >= size) throw invalidParameter(`The requested range ${printable(header)} is not satisfiable for an output of ${size} bytes`);
  return { start, end };
}

/**
 * Parses a list operation's `limit` query parameter: a positive integer; values
 * above `max` are served as `max`.
 */
export function parseListLimit(value: string | null, defaultLimit: number, max: number): number {
  if (value === null || value === '') return defaultLimit;
  const n = parseDecimal(value);
  if (n === undefined || n < 1) throw invalidParameter(`Invalid limit: ${printable(value)}. The limit must be an integer of at least 1`);
  return Math.min(n, max);
}

/**
 * Where a paged list resumes: row 0 without a marker, else the row `rowOf` finds for it.
 * Throws InvalidParameterValueException for a marker that names nothing.
 */
export function parseListMarker(marker: string | null, rowOf: (marker: string) => number | undefined): number {
  if (!marker) return 0;
  const row = rowOf(marker);
  if (row === undefined) throw invalidParameter(`Invalid marker: ${marker.slice(0, 300)}`);
  return row;
}

/** Throws InvalidParameterValueException unless `value` is a lowercase-hex SHA-256 (case-insensitive input). */
export function checkSha256Hex(value: string, header: string): string {
  const v = value.toLowerCase();
  if (!hex64.test(v)) throw invalidParameter(`Invalid ${header}: ${printable(value)}. Expected 64 hexadecimal characters`);
  return v;
}

/** A non-negative decimal integer, or undefined when `s` is not one (or not a safe integer). */
export function parseDecimal(s: string): number | undefined {
  if (!/^\d{1,16}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `s` cut to 200 characters with control characters escaped, for error messages. */
function printable(s: string): string {
  const cut = s.length > 200 ? `${s.slice(0, 200)}...` : s;
  return JSON.stringify(cut).slice(1, -1);
}
