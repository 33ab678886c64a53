/**
 * A request body for one part: a Readable over a byte range of the staged file, read 1 MiB at
 * a time as the socket takes it and handed on in 64 KiB chunks, each paced by an optional
 * ByteRateLimiter (reads of 1 MiB: a sixteenth of the system calls of 64 KiB reads), that
 * carries its own length and hashes (hash-range.ts) so a client can sign and send it
 * without reading it (see glacier-client.ts). Memory per part in flight is one read, not
 * the part. A retry makes a new PacedBody over the same range: the file is the re-readable
 * source, never the stream.
 *
 * A body that fails (a read error, or Ctrl-C while it waits for the limiter) destroys the
 * request it is piped into, so that request fails at once rather than waiting for the
 * socket timeout, and its error is always handled: never an unhandled 'error' that would
 * crash the process (issue 9 §5: exit 1 instead of 130).
 */
import { Readable, type Writable } from 'node:stream';
import type { ByteRateLimiter } from './byte-rate-limiter.js';
import type { RangeHashes, RangeReader } from './hash-range.js';

/** Bytes per chunk handed to the socket (and per limiter reservation). */
export const PACE_CHUNK = 64 * 1024;
/** Bytes per read of the file. */
const READ_CHUNK = 1024 * 1024;

/** A one-shot stream over bytes [start, start + length) of `file`; `contentLength` and `hashes` describe the whole body. */
export class PacedBody extends Readable {
  readonly contentLength: number;
  readonly hashes: RangeHashes;
  /** Bytes of the range read so far. */
  private offset = 0;
  /** Bytes read but not yet handed on. */
  private unsent: Buffer = Buffer.alloc(0);

  constructor(
    private readonly file: RangeReader,
    private readonly start: number,
    length: number,
    hashes: RangeHashes,
    private readonly opts: { limiter?: ByteRateLimiter; signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ) {
    super({ highWaterMark: PACE_CHUNK });
    this.contentLength = length;
    this.hashes = hashes;
    this.on('error', () => undefined);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    this.once('error', (err) => (destination as unknown as Writable).destroy(err));
    return super.pipe(destination, options);
  }

  override _read(): void {
    if (this.unsent.length === 0 && this.offset >= this.contentLength) {
      this.push(null);
      return;
    }
    void this.next();
  }

  private async next(): Promise<void> {
    try {
      if (this.unsent.length === 0) {
        const length = Math.min(READ_CHUNK, this.contentLength - this.offset);
        this.unsent = await this.file.read(this.start + this.offset, length);
        this.offset += length;
      }
      const chunk = this.unsent.subarray(0, PACE_CHUNK);
      this.unsent = this.unsent.subarray(chunk.length);
      await this.opts.limiter?.take(chunk.length, this.opts.signal);
      if (this.destroyed) return;
      this.opts.onBytes?.(chunk.length);
      this.push(chunk);
    } catch (err) {
      this.destroy(err as Error);
    }
  }
}

/** True for a body that knows its own length and hashes. */
export function isPacedBody(body: unknown): body is PacedBody {
  return body instanceof PacedBody;
}
