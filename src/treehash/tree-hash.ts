/**
 * Glacier's SHA-256 tree hash: SHA-256 of each 1 MiB chunk, then pairs of adjacent
 * digests hashed together level by level (a lone last node is carried up unchanged);
 * the root in lowercase hex. Pure: no I/O.
 */
import { createHash } from 'node:crypto';

export const MiB = 1024 * 1024;

/** Streaming tree hasher: feed bytes in any slicing with update(), then digest() once. Memory: one digest per MiB. */
export class TreeHasher {
  private readonly leaves: Buffer[] = [];
  private chunk = createHash('sha256');
  private chunkBytes = 0;
  private total = 0;

  update(data: Uint8Array): this {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(MiB - this.chunkBytes, data.length - offset);
      this.chunk.update(data.subarray(offset, offset + take));
      this.chunkBytes += take;
      offset += take;
      if (this.chunkBytes === MiB) this.flushChunk();
    }
    this.total += data.length;
    return this;
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.total;
  }

  /** The 1 MiB leaf digests so far (complete chunks only until digest() is called). */
  get leafDigests(): readonly Buffer[] {
    return this.leaves;
  }

  /** The tree hash as lowercase hex. The hasher cannot be used afterwards. */
  digest(): string {
    return combineDigests(this.finalLeaves()).toString('hex');
  }

  /** Every leaf digest, the last (partial) chunk's included; the one leaf of no bytes when there were none. The hasher cannot be used afterwards. */
  finalLeaves(): Buffer[] {
    if (this.chunkBytes > 0 || this.leaves.length === 0) this.flushChunk();
    return this.leaves;
  }

  private flushChunk(): void {
    this.leaves.push(this.chunk.digest());
    this.chunk = createHash('sha256');
    this.chunkBytes = 0;
  }
}

/** Tree hash of a whole buffer. */
export function treeHash(data: Uint8Array): string {
  return new TreeHasher().update(data).digest();
}

/** Reduces a level of digests to the root digest, pairing adjacent nodes and carrying a lone last node up. */
export function combineDigests(nodes: readonly Buffer[]): Buffer {
  if (nodes.length === 0) return createHash('sha256').digest();
  let level = nodes.slice();
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? createHash('sha256').update(level[i]).update(level[i + 1]).digest() : level[i]);
    }
    level = next;
  }
  return level[0];
}

/**
 * Combines the tree hashes (hex) of consecutive parts into the tree hash of the whole.
 * Valid when every part but the last is the same power-of-two number of MiB, as Glacier
 * requires of multipart uploads.
 */
export function combineTreeHashes(partHashes: readonly string[]): string {
  return combineDigests(partHashes.map((h) => Buffer.from(h, 'hex'))).toString('hex');
}

/**
 * True when the inclusive byte range [start, end] of an archive of `size` bytes is
 * tree-hash aligned: it covers exactly one whole subtree of the 1 MiB-leaf tree, so
 * Glacier can return its tree hash. That holds when the range spans 2^k MiB leaves
 * starting at a multiple of 2^k MiB, or runs from such a start to the archive's end
 * (a final partial subtree). Whole-archive ranges are always aligned.
 */
export function isTreeHashAligned(start: number, end: number, size: number): boolean {
  if (start < 0 || end < start || end >= size) return false;
  if (start === 0 && end === size - 1) return true;
  if (start % MiB !== 0) return false;
  const length = end - start + 1;
  const leaves = Math.ceil(length / MiB);
  // the subtree size is the smallest power of two ≥ leaves
  let span = 1;
  while (span < leaves) span *= 2;
  if ((start / MiB) % span !== 0) return false;
  if (length === span * MiB) return true;
  // a shorter range is a whole subtree only when it ends at the archive's end
  return end === size - 1;
}
