/**
 * Pull-based reading of exact byte counts from a stream of chunks, keeping track of the
 * absolute position: what a tar reader needs to frame 512-byte blocks and bodies without
 * buffering more than one source chunk.
 *
 * The source may use a chunk's memory again once the next chunk is asked for (inflateBlocks
 * does): so whatever a read returns is valid only until the next call on the reader, and
 * nothing here keeps a view of a chunk while asking for the next.
 */

/** Reads from an async iterator of chunks; the position starts at `offset`. Not safe for concurrent use. */
export class ByteReader {
  private chunk: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  private consumed: number;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    offset = 0,
  ) {
    this.consumed = offset;
  }

  /** Absolute position of the next byte. */
  get offset(): number {
    return this.consumed;
  }

  /** Exactly `n` bytes, or null at the end of the stream when none are left; throws TruncatedError when the stream ends part way. */
  async readExact(n: number): Promise<Buffer | null> {
    if (n === 0) return Buffer.alloc(0);
    const first = await this.readSome(n);
    if (first === null) return null;
    if (first.length === n) return first;
    // each piece is copied out before the next chunk is asked for (see the header)
    const out = Buffer.allocUnsafe(n);
    let have = first.copy(out, 0);
    while (have < n) {
      const more = await this.readSome(n - have);
      if (more === null) throw new TruncatedError(this.consumed, n - have);
      have += more.copy(out, have);
    }
    return out;
  }

  /** Between 1 and `max` bytes (a view into the source chunk, not a copy, valid until the next call), or null at the end. */
  async readSome(max: number): Promise<Buffer | null> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return null;
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return null;
      }
      const c = r.value;
      this.chunk = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      this.pos = 0;
    }
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.consumed += n;
    return out;
  }

  /** Skips `n` bytes; throws TruncatedError if the stream ends first. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const got = await this.readSome(left);
      if (got === null) throw new TruncatedError(this.consumed, left);
      left -= got.length;
    }
  }
}

/** The stream ended in the middle of something that needed more bytes. */
export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
  constructor(
    readonly offset: number,
    readonly missing: number,
  ) {
    super(`input ends at byte ${offset}, ${missing} bytes short`);
  }
}
