/**
 * A fixed set of reusable buffers for parts (or download chunks) in flight, so memory is
 * exactly `count × capacity` however many parts an archive has, instead of one fresh
 * buffer per part waiting for the garbage collector.
 */

/** A buffer lent by the pool; `release()` hands it back (once; the buffer must not be used after). */
export interface Lease {
  buf: Buffer;
  release(): void;
}

/** Lends buffers of up to `capacity` bytes; keeps at most `keep` idle ones. */
export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly capacity: number,
    private readonly keep: number,
  ) {}

  /** A buffer of exactly `size` bytes (≤ capacity), contents undefined. */
  take(size: number): Lease {
    if (size > this.capacity) throw new RangeError(`buffer of ${size} bytes requested from a pool of ${this.capacity}-byte buffers`);
    const base = this.idle.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
    let released = false;
    return {
      buf: base.subarray(0, size),
      release: () => {
        if (released) return;
        released = true;
        if (this.idle.length < this.keep) this.idle.push(base);
      },
    };
  }
}
