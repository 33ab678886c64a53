/**
 * A request body for one part: a Readable over a byte range of the staged file, read in
 * 64 KiB chunks as the socket takes them and paced by an optional ByteRateLimiter, that
 * carries its own length and hashes (hash-range.ts) so a client can sign and send it
 * without reading it (see glacier-client.ts). Memory per part in flight is a few chunks,
 * not the part. A retry makes a new PacedBody over the same range: the file is the
 * re-readable source, never the stream.
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

/** A one-shot stream over bytes [start, start + length) of `file`; `contentLength` and `hashes` describe the whole body. */
export class PacedBody extends Readable {
  readonly contentLength: number;
  readonly hashes: RangeHashes;
  private offset = 0;

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
    if (this.offset >= this.contentLength) {
      this.push(null);
      return;
    }
    const length = Math.min(PACE_CHUNK, this.contentLength - this.offset);
    const position = this.start + this.offset;
    this.offset += length;
    void this.next(position, length);
  }

  private async next(position: number, length: number): Promise<void> {
    try {
      await this.opts.limiter?.take(length, this.opts.signal);
      if (this.destroyed) return;
      const chunk = await this.file.read(position, length);
      if (this.destroyed) return;
      this.opts.onBytes?.(length);
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
