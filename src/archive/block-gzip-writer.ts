/**
 * Gzips a byte stream as a sequence of independent gzip members, one per fixed slice of
 * the input (default 1 MiB). The file is still one valid .gz for gzip and GNU tar, and any
 * member can be decompressed on its own: the block table (input offset → file offset of
 * each member) lets a restore fetch and inflate only the blocks that hold a file.
 *
 * Blocks compress on libuv's thread pool, at most `maxInFlight` at once (bounded memory:
 * about maxInFlight × blockSize of input plus its output), and are written in order; the
 * SHA-256 tree hash of the output is computed as it is written, and each block's own SHA-256
 * (kept in the catalog, so a reader verifies every block before using it). A block that
 * samples show to be incompressible (photos, video, archives) is stored: a gzip member made
 * of deflate "stored" blocks (stored-gzip-member.ts), which gzip and GNU tar read like any
 * other, built at copying speed instead of paying for a deflate that gains nothing.
 *
 * Hashing the members, twice over, took a third of the CPU of writing photos on the
 * writer's thread; once the input passes `threadAfter` it moves to an OutputHashThread
 * (output-hash-thread.ts), which reads the members in shared memory. Before that, and in
 * short streams, it is done here.
 */
import { promisify } from 'node:util';
import { constants, gzip as gzipCallback } from 'node:zlib';
import { asError } from '../errors.js';
import { MiB } from '../treehash/tree-hash.js';
import type { GzipBlock } from './gzip-block.js';
import { looksIncompressible } from './looks-incompressible.js';
import { OutputHashThread, sharedBuffer } from './output-hash-thread.js';
import { OutputHasher } from './output-hasher.js';
import { storedGzipMemberSize, writeStoredGzipMember } from './stored-gzip-member.js';

const gzip = promisify(gzipCallback);

/** Input bytes after which a hashing thread is started by default: in shorter streams starting one costs more than it saves. */
const THREAD_AFTER = 8 * MiB;

/** Blocks whose write and hashes may be under way while the producer goes on. */
const SETTLING_AHEAD = 4;

/**
 * Output bytes after which what is written so far is fsync'ed in the background, so the
 * fsync in finish waits only for the rest: at the end of 243 MiB of photos it took 0.16 s.
 */
const SYNC_EVERY = 32 * MiB;

/** A block's gzip member; `stored` is the reused buffer a stored member was built in. */
interface Member {
  out: Buffer;
  stored?: Buffer;
}

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
  /** Input bytes after which hashing moves to a thread of its own; default THREAD_AFTER (8 MiB), Infinity for never. */
  threadAfter?: number;
  /** The hashing thread to use, possibly started already; by default the writer makes its own. Either way the writer starts it at `threadAfter` and closes it. */
  thread?: OutputHashThread;
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
 * the result. `sync` is also called while writing (every SYNC_EVERY bytes), and may run
 * beside a write. The caller owns the handle (opens and closes it), and calls `close` however
 * the writing ends. After any rejection the writer is broken: every later call rejects with
 * the same error.
 */
export class BlockGzipWriter {
  private readonly blockSize: number;
  private readonly maxInFlight: number;
  private block: Buffer;
  private fill = 0;
  private raw = 0;
  private written = 0;
  /** Blocks in order, each holding its input buffer until its member is made. */
  private readonly pending: Array<{ rawOffset: number; member: Promise<Member>; input: Buffer }> = [];
  /** Output bytes of the last deflated member: what the next one's output buffer is sized from. */
  private lastDeflated: number | undefined;
  /** Block buffers whose compression finished, reused: a run of any size allocates maxInFlight + 2 of them, not one per block. */
  private readonly spare: Buffer[] = [];
  /** Output buffers of stored members that were written and hashed, reused the same way. */
  private readonly spareStored: Buffer[] = [];
  private readonly blocks: GzipBlock[] = [];
  /** Blocks being written and hashed, oldest first. */
  private readonly settling: Array<Promise<void>> = [];
  /** The background fsync under way, one at a time (one that fails breaks the writer), and the output the last one started covers. */
  private syncing: Promise<void> | undefined;
  private synced = 0;
  private readonly thread: OutputHashThread;
  private readonly hasher: OutputHasher;
  private failure: Error | undefined;
  private finished = false;
  private stored = 0;
  /** Whether the input has passed `threadAfter`: the thread takes work from then on, once it is ready. */
  private threaded = false;

  constructor(
    private readonly fh: BlockOutput,
    private readonly opts: BlockGzipOptions,
  ) {
    this.blockSize = opts.blockSize ?? MiB;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 3);
    if (!Number.isInteger(this.blockSize) || this.blockSize < 512) throw new RangeError(`blockSize must be an integer ≥ 512, got ${this.blockSize}`);
    this.block = Buffer.allocUnsafe(this.blockSize);
    this.thread = opts.thread ?? new OutputHashThread();
    this.hasher = new OutputHasher(this.thread);
  }

  /** Input bytes accepted so far. */
  get rawBytes(): number {
    return this.raw;
  }

  /** Output bytes made so far (being written, or written). */
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
   * Reads input straight into the block being filled, without the copy `write` makes:
   * `read(buffer, offset, length)` puts up to `length` bytes at `offset` of `buffer` and
   * resolves with how many (0 at the end of its input). It is asked for at most `max` bytes,
   * and no more than the block has room for. Resolves with the bytes read. A rejection of
   * `read` is passed on and leaves the writer as it was; the caller must not use the writer
   * until this resolves.
   */
  async readFrom(read: (buffer: Buffer, offset: number, length: number) => Promise<number>, max: number): Promise<number> {
    this.check();
    const n = await read(this.block, this.fill, Math.min(max, this.blockSize - this.fill));
    this.fill += n;
    this.raw += n;
    if (this.fill === this.blockSize) await this.cut();
    return n;
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
    let treeHash;
    try {
      while (this.pending.length > 0) await this.flushOne();
      for (const settled of this.settling.splice(0)) await settled;
      await this.syncing;
      // a background fsync that failed broke the writer
      if (this.failure) throw this.failure;
      await this.fh.sync();
      treeHash = await this.hasher.finish();
    } catch (err) {
      throw this.fail(err);
    }
    return { size: this.written, treeHash, blocks: this.blocks, rawSize: this.raw, storedBlocks: this.stored };
  }

  /** Ends the hashing thread, if one was started; idempotent. */
  close(): Promise<void> {
    return this.thread.close();
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('BlockGzipWriter: already finished');
  }

  private async cut(): Promise<void> {
    if (!this.threaded && this.raw >= (this.opts.threadAfter ?? THREAD_AFTER)) {
      this.threaded = true;
      this.thread.start();
    }
    this.startBlock();
    try {
      while (this.pending.length > this.maxInFlight) await this.flushOne();
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Breaks the writer with its first failure: what follows from it (blocks whose hashing stopped with the thread, say) does not replace it. */
  private fail(err: unknown): Error {
    this.failure ??= asError(err);
    void this.thread.close();
    return this.failure;
  }

  private get onThread(): boolean {
    return this.threaded && this.thread.ready;
  }

  private startBlock(): void {
    const input = this.block.subarray(0, this.fill);
    const member = this.compress(input);
    // awaited in order by flushOne; this keeps a failure from counting as unhandled meanwhile
    member.catch(() => undefined);
    this.pending.push({ rawOffset: this.raw - this.fill, member, input: this.block });
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.fill = 0;
  }

  /** The gzip member of `input`: stored when samples show deflate would gain nothing, else deflated on the thread pool. */
  private compress(input: Buffer): Promise<Member> {
    if (this.opts.level === 0 || !looksIncompressible(input)) return this.deflate(input);
    this.stored++;
    // built here at copying speed, into a reused buffer in shared memory (the hashing thread hashes it)
    let stored = this.spareStored.pop();
    if (stored === undefined || stored.length < storedGzipMemberSize(input.length)) stored = sharedBuffer(storedGzipMemberSize(this.blockSize));
    return Promise.resolve({ out: stored.subarray(0, writeStoredGzipMember(input, stored)), stored });
  }

  private async deflate(input: Buffer): Promise<Member> {
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
    const out = await gzip(input, { level: this.opts.level, chunkSize: Math.min(bound, guess), flush: constants.Z_FINISH });
    this.lastDeflated = out.length;
    return { out };
  }

  /**
   * Takes the oldest block's member, once made, and starts its hashes and its write (after
   * the block before's); the producer waits for them only SETTLING_AHEAD blocks later.
   * Blocks settle in order, so `onFlushed` reports output on disk with nothing missing
   * before it.
   */
  private async flushOne(): Promise<void> {
    const next = this.pending.shift()!;
    const { out, stored } = await next.member;
    // the member is made: its input buffer takes a later block
    this.spare.push(next.input);
    const block: GzipBlock = { rawOffset: next.rawOffset, gzOffset: this.written };
    this.blocks.push(block);
    this.written += out.length;
    const end = this.written;
    const hashed = this.hasher.add(out, this.onThread);
    hashed.catch(() => undefined);
    const before = this.settling.at(-1);
    const settled = (async () => {
      // one write at a time, in order (the age writer takes its input so)
      await before;
      await this.writeAll(out, block.gzOffset);
      this.syncAhead(end);
      block.sha256 = await hashed;
      // a stored member's buffer is reused once it is written and hashed
      if (stored) this.spareStored.push(stored);
      this.opts.onFlushed?.(end);
    })();
    // awaited in order below or by finish; this keeps a failure from counting as unhandled meanwhile
    settled.catch(() => undefined);
    this.settling.push(settled);
    while (this.settling.length > SETTLING_AHEAD) await this.settling.shift();
  }

  /** Starts a background fsync of the output written up to `end` when SYNC_EVERY more bytes were written since the last, and none is under way. */
  private syncAhead(end: number): void {
    if (this.syncing || end - this.synced < SYNC_EVERY) return;
    this.synced = end;
    // a failure breaks the writer at once, and finish rejects with it
    this.syncing = this.fh.sync().then(
      () => (this.syncing = undefined),
      (err: unknown) => {
        this.syncing = undefined;
        this.fail(err);
      },
    );
  }

  private async writeAll(out: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < out.length) {
      const { bytesWritten } = await this.fh.write(out, done, out.length - done, position + done);
      done += bytesWritten;
    }
  }
}
