/**
 * Which compressed bytes of an archive hold a set of members, rounded out to the
 * megabyte alignment Glacier's RetrievalByteRange requires. Pure.
 */
import { MiB } from '../treehash/tree-hash.js';
import { sealedRangeFor, type PayloadLayout } from '../age/age-stream.js';
import type { GzipBlock } from '../archive/gzip-block.js';

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The uncompressed extent of each member: from its first header block to the next member's start. */
export function memberExtents(tarOffsets: readonly number[], rawSize: number): ByteRange[] {
  const sorted = [...tarOffsets].sort((a, b) => a - b);
  // the archive ends with two zero blocks after the last member
  const end = Math.max(0, rawSize - 1024);
  return sorted.map((start, i) => ({ start, end: (i + 1 < sorted.length ? sorted[i + 1] : end) - 1 }));
}

/** Index of the gzip block holding raw offset `raw` (blocks sorted by rawOffset, the first at 0). */
export function blockIndexFor(blocks: readonly GzipBlock[], raw: number): number {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].rawOffset <= raw) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Compressed bytes past the raw distance into a gzip block that may be needed to inflate
 * that far. zlib codes every deflate block it writes in at most its raw length plus 5 bytes
 * (it falls back to a stored block when coding would be longer), and a deflate block holds
 * at most 16 Ki symbols; so the compressed offset of raw byte x of a block is at most the
 * 10-byte gzip header + x + 5 bytes per deflate block before it + how far the coding of
 * the block under way runs ahead of its raw bytes (a few KiB at worst: a Huffman table
 * and longer-than-8-bit codes). One age chunk (64 KiB) covers that with room to spare.
 */
export function inflateSlack(rawDistance: number): number {
  return 10 + 5 * (Math.ceil(rawDistance / 16_384) + 1) + 64 * 1024;
}

/**
 * The last compressed byte (inclusive) needed to read raw bytes up to `rawEnd` of an
 * archive: the end of the gzip block holding it or, with `cut`, as far into that block as
 * inflating to `rawEnd` can need (see inflateSlack). A cut block cannot be checked against
 * its SHA-256, so only archives whose bytes authenticate themselves (age chunks) are cut.
 */
export function gzEndFor(blocks: readonly GzipBlock[], archiveSize: number, rawEnd: number, cut: boolean): number {
  const last = blockIndexFor(blocks, rawEnd);
  const end = last + 1 < blocks.length ? blocks[last + 1].gzOffset - 1 : archiveSize - 1;
  if (!cut) return end;
  const into = rawEnd - blocks[last].rawOffset + 1;
  return Math.min(end, blocks[last].gzOffset + into + inflateSlack(into));
}

/**
 * The MiB-aligned compressed ranges to retrieve for `rawRanges` of an archive of
 * `archiveSize` compressed bytes (for an encrypted archive, `sealed` maps them to the
 * stored age chunks that hold them, and the ranges are of the stored file): each range
 * starts at a gzip block and runs to the end of the block holding the range's last byte
 * (for an encrypted archive only as far into that block as inflating needs, gzEndFor),
 * rounded out to start on a multiple of 1 MiB and end one byte before a multiple of 1 MiB
 * or at the archive's end. Overlapping or touching ranges are merged.
 */
export function retrievalRanges(blocks: readonly GzipBlock[], archiveSize: number, rawRanges: readonly ByteRange[], sealed?: PayloadLayout): ByteRange[] {
  const gz = rawRanges
    .filter((r) => r.end >= r.start)
    .map((r) => {
      const first = blockIndexFor(blocks, r.start);
      const end = gzEndFor(blocks, archiveSize, r.end, !!sealed);
      if (!sealed) return alignToMiB({ start: blocks[first].gzOffset, end }, archiveSize);
      // encrypted: the age chunks holding those compressed bytes, in the stored file
      const c = sealedRangeFor(sealed, blocks[first].gzOffset, end);
      return alignToMiB({ start: c.cipherStart, end: c.cipherEnd }, sealed.prefix + sealed.plainSize + sealed.chunks * 16);
    })
    .sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of gz) {
    const prev = merged[merged.length - 1];
    if (prev && r.start <= prev.end + 1) prev.end = Math.max(prev.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** Rounds a range out to Glacier's RetrievalByteRange alignment. */
export function alignToMiB(r: ByteRange, archiveSize: number): ByteRange {
  const start = Math.floor(r.start / MiB) * MiB;
  const end = Math.min(Math.ceil((r.end + 1) / MiB) * MiB, archiveSize) - 1;
  return { start, end };
}

/** Total bytes of a set of ranges. */
export function rangeBytes(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
}
