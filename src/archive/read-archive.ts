/**
 * Reading archives: a whole .tar.gz (any number of gzip members) member by member, or
 * only chosen members from a stretch of an archive that starts on a gzip block boundary
 * (a byte-range retrieval), located by the tar offsets the catalog recorded.
 */
import type { Readable } from 'node:stream';
import { PassThrough, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BackupError, fromSystemError } from '../errors.js';
import type { GzipInflater } from './gzip-inflater.js';
import { inflateBlocks } from './inflate-blocks.js';
import { TarReader, type ArchiveMemberRead, type TarReadOptions } from './tar-reader.js';

export type { ArchiveMemberRead } from './tar-reader.js';

/** Options for reading. */
export interface ReadArchiveOptions extends TarReadOptions {
  /** The input is tar bytes already (not gzip). */
  decompressed?: boolean;
  /**
   * Compressed lengths of the input's gzip members, in order (the catalog's block table);
   * the input past their sum is one more member. Given, the members inflate in parallel.
   */
  memberLengths?: readonly number[];
  /** With memberLengths: the input past them is only the start of a member (see InflateOptions.lastIsCut). */
  lastIsCut?: boolean;
  /** With memberLengths: takes back input chunks once inflated (see InflateOptions.release). */
  release?: (chunk: Buffer) => void;
  /** With memberLengths: the lanes and output buffers to inflate with (see InflateOptions.inflater). */
  inflater?: GzipInflater;
}

/**
 * The members of an archive in order. Contract: each member's body must be read (or left)
 * before the next member is requested; the input is destroyed when the iteration ends,
 * early or not. Damaged input (bad gzip, bad header, truncation) rejects with ARCHIVE_CORRUPT.
 */
export async function* readArchive(input: Readable, opts: ReadArchiveOptions = {}): AsyncGenerator<ArchiveMemberRead> {
  const src = tarBytes(input, opts);
  try {
    const reader = new TarReader(src.bytes, opts);
    for (;;) {
      const m = await reader.next();
      if (!m) return;
      yield m;
    }
  } finally {
    src.close();
  }
}

/**
 * The members starting at the given tar offsets, in offset order, from `input`: compressed
 * bytes starting at a gzip block boundary whose tar offset is `rawStart` (or, with
 * `decompressed`, tar bytes starting at `rawStart`). Reading stops after the last wanted
 * member, so the input may end anywhere after it (a MiB-aligned range that cuts the next
 * gzip member is fine). A wanted offset where no member starts rejects with ARCHIVE_CORRUPT.
 */
export async function* readMembersAt(
  input: Readable,
  opts: ReadArchiveOptions & { rawStart: number; offsets: readonly number[] },
): AsyncGenerator<ArchiveMemberRead> {
  const offsets = [...new Set(opts.offsets)].sort((a, b) => a - b);
  if (offsets.length > 0 && offsets[0] < opts.rawStart) {
    throw new BackupError('INTERNAL', `readMembersAt: offset ${offsets[0]} is before the input's start ${opts.rawStart}`);
  }
  const src = tarBytes(input, opts);
  try {
    const reader = new TarReader(src.bytes, { ...opts, offset: opts.rawStart });
    for (const offset of offsets) {
      await reader.skipTo(offset);
      const m = await reader.next();
      if (!m || m.tarOffset !== offset) {
        throw new BackupError('ARCHIVE_CORRUPT', `no archive member starts at tar offset ${offset}; the archive or the catalog is damaged`);
      }
      yield m;
    }
  } finally {
    src.close();
  }
}

/** Tar bytes from the input (gunzipped unless already tar), with read errors mapped to BackupErrors. */
function tarBytes(input: Readable, opts: ReadArchiveOptions): { bytes: AsyncIterable<Uint8Array>; close(): void } {
  if (opts.decompressed) {
    return { bytes: mapErrors(input), close: () => input.destroy() };
  }
  if (opts.memberLengths) {
    const inflated = inflateBlocks(input, opts.memberLengths, { lastIsCut: opts.lastIsCut, release: opts.release, inflater: opts.inflater });
    return {
      bytes: mapErrors(inflated),
      close: () => {
        void inflated.return(undefined);
        input.destroy();
      },
    };
  }
  // 128 KiB output chunks: a quarter of the per-chunk work of zlib's 16 KiB default; and up
  // to 8 MiB inflated ahead, so decompression (on the thread pool) overlaps the file writes
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  const ahead = new PassThrough({ highWaterMark: 8 * 1024 * 1024 });
  // errors surface through the iterator; this callback only keeps them from being unhandled
  pipeline(input, gunzip, ahead, () => undefined);
  return {
    bytes: mapErrors(ahead),
    close: () => {
      ahead.destroy();
      gunzip.destroy();
      input.destroy();
    },
  };
}

async function* mapErrors(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (err) {
    if (err instanceof BackupError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      throw new BackupError('ARCHIVE_CORRUPT', `the archive's gzip data is damaged (${(err as Error).message}); use another copy of it`, { cause: err });
    }
    throw fromSystemError(err, 'archive');
  }
}
