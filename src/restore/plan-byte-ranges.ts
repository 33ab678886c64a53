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
 * The MiB-aligned compressed ranges to retrieve for `rawRanges` of an archive of
 * `archiveSize` compressed bytes (for an encrypted archive, `sealed` maps them to the
 * stored age chunks that hold them, and the ranges are of the stored file): each range covers whole gzip blocks, starts on a
 * multiple of 1 MiB and ends one byte before a multiple of 1 MiB or at the archive's end.
 * Overlapping or touching ranges are merged.
 */
export function retrievalRanges(blocks: readonly GzipBlock[], archiveSize: number, rawRanges: readonly ByteRange[], sealed?: PayloadLayout): ByteRange[] {
  const gz = rawRanges
    .filter((r) => r.end >= r.start)
    .map((r) => {
      const first = blockIndexFor(blocks, r.start);
      const last = blockIndexFor(blocks, r.end);
      const end = last + 1 < blocks.length ? blocks[last + 1].gzOffset - 1 : archiveSize - 1;
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
