/**
 * Gzips a byte stream as a sequence of independent gzip members, one per fixed slice of
 * the input (default 1 MiB). The file is still one valid .gz for gzip and GNU tar, and any
 * member can be decompressed on its own: the block table (input offset → file offset of
 * each member) lets a restore fetch and inflate only the blocks that hold a file.
 *
 * Blocks compress on libuv's thread pool, at most `maxInFlight` at once (bounded memory:
 * about maxInFlight × blockSize of input plus its output), and are written in order; the
 * SHA-256 tree hash of the output is computed as it is written, and each block's own SHA-256
 * (kept in the catalog, so a reader verifies every block before using it). A block that samples show
 * to be incompressible (photos, video, archives) is stored: a gzip member made of deflate
 * "stored" blocks (stored-gzip-member.ts), which gzip and GNU tar read like any other,
 * built on this thread at copying speed instead of paying for a deflate that gains nothing.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, gzip as gzipCallback } from 'node:zlib';
import { asError } from '../errors.js';
import { TreeHasher, MiB } from '../treehash/tree-hash.js';
import type { GzipBlock } from './gzip-block.js';
import { looksIncompressible } from './looks-incompressible.js';
import { storedGzipMemberSize, writeStoredGzipMember } from './stored-gzip-member.js';

const gzip = promisify(gzipCallback);

/** Where the compressed bytes go: a file handle, or anything with its positioned write and fsync (the age encrypter). */
export interface BlockOutput {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
}

/** How to compress and report. */
export interface BlockGzipOptions {
  /** zlib level, 0–9; blocks that look incompressible are stored (level 0) whatever the level. */
  level: number;
  /** Input bytes per gzip member; default 1 MiB (the size overhead against one gzip stream stays well under 1% on text). */
  blockSize?: number;
  /** Blocks compressing at once; default 3 (two cores busy while the producer fills the next block). */
  maxInFlight?: number;
  /** Called after each write with the number of output bytes written to the file so far (readable by others; fsync comes at finish). */
  onFlushed?: (bytesOnDisk: number) => void;
}

/** The finished output. */
export interface BlockGzipResult {
  /** Output bytes. */
  size: number;
  /** SHA-256 tree hash of the output, lowercase hex. */
  treeHash: string;
  /** One entry per gzip member, in order; the first is {0, 0}. */
  blocks: GzipBlock[];
  /** Input bytes. */
  rawSize: number;
  /** How many of the blocks were stored rather than deflated. */
  storedBlocks: number;
}

/**
 * Writes block-gzipped output to a file handle from position 0. Contract: `write` resolves
 * when the bytes are accepted (it waits while `maxInFlight` blocks are compressing, which
 * is the backpressure); `finish` once, after the last write, flushes, fsyncs and returns
 * the result. The caller owns the handle (opens and closes it). After any rejection the
 * writer is broken: every later call rejects with the same error.
 */
export class BlockGzipWriter {
  private readonly blockSize: number;
  private readonly maxInFlight: number;
  private block: Buffer;
  private fill = 0;
  private raw = 0;
  private written = 0;
  /** Blocks in order: a deflated one holds its input buffer until zlib is done; a stored one is built already, in a reused output buffer. */
  private readonly pending: Array<{ rawOffset: number; gz: Promise<Buffer>; input?: Buffer; output?: Buffer }> = [];
  /** Output bytes of the last deflated member: what the next one's output buffer is sized from. */
  private lastDeflated: number | undefined;
  /** Block buffers whose compression finished, reused: a run of any size allocates maxInFlight + 2 of them, not one per block. */
  private readonly spare: Buffer[] = [];
  /** Output buffers of stored members that were written, reused the same way. */
  private readonly spareStored: Buffer[] = [];
  private readonly blocks: GzipBlock[] = [];
  private readonly hasher = new TreeHasher();
  private failure: Error | undefined;
  private finished = false;
  private stored = 0;

  constructor(
    private readonly fh: BlockOutput,
    private readonly opts: BlockGzipOptions,
  ) {
    this.blockSize = opts.blockSize ?? MiB;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 3);
    if (!Number.isInteger(this.blockSize) || this.blockSize < 512) throw new RangeError(`blockSize must be an integer ≥ 512, got ${this.blockSize}`);
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  /** Input bytes accepted so far. */
  get rawBytes(): number {
    return this.raw;
  }

  /** Output bytes written to the file so far. */
  get gzBytes(): number {
    return this.written;
  }

  /** Accepts input bytes (copied; the caller may reuse `data` once this resolves). */
  async write(data: Uint8Array): Promise<void> {
    this.check();
    let off = 0;
    while (off < data.length) {
      const n = Math.min(this.blockSize - this.fill, data.length - off);
      this.block.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      this.raw += n;
      if (this.fill === this.blockSize) await this.cut();
    }
  }

  /**
   * Like write, without a promise when none is needed: when `data` fits in the block being
   * filled it is copied and null is returned; otherwise the write's promise (a block is cut).
   * Callers must await a returned promise before the next put or write.
   */
  put(data: Uint8Array): Promise<void> | null {
    this.check();
    if (data.length >= this.blockSize - this.fill) return this.write(data);
    this.block.set(data, this.fill);
    this.fill += data.length;
    this.raw += data.length;
    return null;
  }

  /** Compresses what is left, writes every block, fsyncs the file and returns the result. */
  async finish(): Promise<BlockGzipResult> {
    this.check();
    this.finished = true;
    // an empty input still makes a valid (empty) gzip file
    if (this.fill > 0 || this.raw === 0) this.startBlock();
    try {
      while (this.pending.length > 0) await this.flushOne();
      await this.fh.sync();
    } catch (err) {
      throw this.fail(err);
    }
    return { size: this.written, treeHash: this.hasher.digest(), blocks: this.blocks, rawSize: this.raw, storedBlocks: this.stored };
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('BlockGzipWriter: already finished');
  }

  private async cut(): Promise<void> {
    this.startBlock();
    try {
      while (this.pending.length > this.maxInFlight) await this.flushOne();
    } catch (err) {
      throw this.fail(err);
    }
  }

  private fail(err: unknown): Error {
    this.failure = asError(err);
    return this.failure;
  }

  private startBlock(): void {
    const input = this.block.subarray(0, this.fill);
    const rawOffset = this.raw - this.fill;
    if (this.opts.level > 0 && looksIncompressible(input)) {
      this.stored++;
      const need = storedGzipMemberSize(input.length);
      let output = this.spareStored.pop();
      if (output === undefined || output.length < need) output = Buffer.allocUnsafe(storedGzipMemberSize(this.blockSize));
      const n = writeStoredGzipMember(input, output);
      // the input is copied: its buffer takes the next block at once
      this.pending.push({ rawOffset, gz: Promise.resolve(output.subarray(0, n)), output });
      this.fill = 0;
      return;
    }
    // One output buffer that holds the whole member: one trip to the thread pool per block
    // instead of one per 16 KiB of output (zlib's default chunk), each of which waits for the
    // event loop. It is sized from the block before (a quarter more and 64 KiB): a member's
    // output buffer is allocated whole and lives until the garbage collector frees it, so
    // sizing it by the input kept about a MiB per block for output that text shrinks to a
    // fifth. A block that compresses worse than that takes another trip; the bytes are the
    // same whatever the buffer. The write itself finishes the member (Z_FINISH), so its
    // output comes in one piece rather than two (the write's, then the final flush's) that
    // Node would join with a copy on this thread.
    const bound = input.length + (input.length >> 8) + 1024;
    const guess = this.lastDeflated === undefined ? bound : this.lastDeflated + (this.lastDeflated >> 2) + 64 * 1024;
    const gz = gzip(input, { level: this.opts.level, chunkSize: Math.min(bound, guess), flush: constants.Z_FINISH });
    // awaited in order by flushOne; this keeps a failure from counting as unhandled meanwhile
    gz.catch(() => undefined);
    this.pending.push({ rawOffset, gz, input: this.block });
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.fill = 0;
  }

  private async flushOne(): Promise<void> {
    const next = this.pending.shift()!;
    const out = await next.gz;
    // zlib has finished with the input
    if (next.input) {
      this.spare.push(next.input);
      this.lastDeflated = out.length;
    }
    let done = 0;
    while (done < out.length) {
      const { bytesWritten } = await this.fh.write(out, done, out.length - done, this.written + done);
      done += bytesWritten;
    }
    this.hasher.update(out);
    this.blocks.push({ rawOffset: next.rawOffset, gzOffset: this.written, sha256: createHash('sha256').update(out).digest('hex') });
    this.written += out.length;
    if (next.output) this.spareStored.push(next.output);
    this.opts.onFlushed?.(this.written);
  }
}
