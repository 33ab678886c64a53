/**
 * Buffers handed out by size and given back by the buffer itself, once nothing refers to its
 * bytes: what the chunks a restore reads its local copies into, and the outputs its blocks
 * inflate into, are made from, so that a run of any length allocates a few of them rather
 * than one per block (fresh memory costs a page fault per 4 KiB and feeds the collector).
 * Unlike storage's BufferPool, whose leases are handed back, these buffers travel through
 * streams as plain chunks, so a chunk comes back by its memory.
 *
 * Contract: `give` takes back only a buffer `take` made and that is not free already (others
 * are ignored); the caller must not touch a buffer's bytes after giving it.
 */
export class SpareBuffers {
  /** The memory of every buffer made here. */
  private readonly made = new WeakSet<ArrayBufferLike>();
  private readonly free: Buffer[] = [];

  /**
   * @param minSize the least a new buffer holds (what usual requests need, so that one fits them all)
   * @param keep free buffers kept at most
   */
  constructor(
    private readonly minSize: number,
    private readonly keep: number,
  ) {}

  /** `size` bytes of a free buffer, or of a new one (never a slice of Node's shared pool); contents undefined. */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0].subarray(0, size);
    const b = Buffer.allocUnsafeSlow(Math.max(size, this.minSize));
    this.made.add(b.buffer);
    return b.subarray(0, size);
  }

  /** Takes back the buffer `chunk` lies in, whole, if it was made here and is not free already. */
  give(chunk: Buffer): void {
    const memory = chunk.buffer;
    if (!this.made.has(memory) || this.free.length >= this.keep || this.free.some((b) => b.buffer === memory)) return;
    this.free.push(Buffer.from(memory));
  }

  /** Drops the free buffers. */
  clear(): void {
    this.free.length = 0;
  }
}
