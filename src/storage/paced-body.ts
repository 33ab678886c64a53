/**
 * A request body for one part: a Readable over an in-memory buffer, emitted in 64 KiB chunks
 * paced by an optional ByteRateLimiter, that carries its own length and hashes so the Glacier
 * client can sign and send it without reading it (see glacier-client.ts). A retry makes a new
 * PacedBody over the same buffer: the buffer is the re-readable source, never the stream.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { treeHash } from '../treehash/tree-hash.js';
import type { ByteRateLimiter } from './byte-rate-limiter.js';

/** Bytes per chunk handed to the socket (and per limiter reservation). */
export const PACE_CHUNK = 64 * 1024;

/** Hex SHA-256 and tree hash of a buffer, as Glacier's x-amz-content-sha256 and x-amz-sha256-tree-hash want them. */
export interface BodyHashes {
  sha256: string;
  treeHash: string;
}

/** Computes both hashes of `data`. */
export function hashBody(data: Uint8Array): BodyHashes {
  return { sha256: createHash('sha256').update(data).digest('hex'), treeHash: treeHash(data) };
}

/** A one-shot stream over `data`; `contentLength` and `hashes` describe the whole body. */
export class PacedBody extends Readable {
  readonly contentLength: number;
  readonly hashes: BodyHashes;
  private offset = 0;

  constructor(
    private readonly data: Buffer,
    hashes: BodyHashes,
    private readonly opts: { limiter?: ByteRateLimiter; signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ) {
    super({ highWaterMark: PACE_CHUNK });
    this.contentLength = data.length;
    this.hashes = hashes;
  }

  override _read(): void {
    if (this.offset >= this.data.length) {
      this.push(null);
      return;
    }
    const chunk = this.data.subarray(this.offset, this.offset + PACE_CHUNK);
    this.offset += chunk.length;
    const limiter = this.opts.limiter;
    if (!limiter) {
      this.opts.onBytes?.(chunk.length);
      this.push(chunk);
      return;
    }
    limiter.take(chunk.length, this.opts.signal).then(
      () => {
        if (this.destroyed) return;
        this.opts.onBytes?.(chunk.length);
        this.push(chunk);
      },
      (err: unknown) => {
        // interrupted (Ctrl-C, SIGTERM): the request that read this body is being aborted too and
        // may no longer listen; the error must not become an unhandled 'error' that crashes the
        // process (issue 9 §5: exit 1 instead of 130)
        if (this.opts.signal?.aborted) this.once('error', () => undefined);
        this.destroy(err as Error);
      },
    );
  }
}

/** True for a body that knows its own length and hashes. */
export function isPacedBody(body: unknown): body is PacedBody {
  return body instanceof PacedBody;
}
