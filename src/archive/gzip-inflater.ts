/**
 * Inflates whole gzip members on libuv's thread pool with zlib contexts and output buffers
 * that are used again, member after member. `zlib.gunzip()` makes a new stream, a new zlib
 * context and a new output buffer for every member: for a 30-archive chain's restore (369
 * blocks of 1 MiB) that was 375 MB of fresh memory, whose page faults cost the thread pool
 * and whose external bytes count against V8's old-generation limit, so the collector ran a
 * full mark-compact every 25 MB or so inflated, with an 11 MB heap.
 *
 * Each lane is one Gunzip stream with `flush: Z_FINISH`, so each write is one whole member
 * and ends it: a member cut short fails ("unexpected end of file") as with `gunzip()`, and
 * zlib checks every member's CRC-32 and length. Before each write the lane is reset and
 * given the output buffer to inflate into (the stream's `_outBuffer` and `_outOffset`, which
 * Node 20 and 24 pass to zlib on every write); the output comes back as one view of that
 * buffer. Should Node ever ignore them, the output is Node's own buffer, still right, and
 * never handed out again (only buffers made here are); and an output whose length is not
 * the member's ISIZE (zlib has checked it) fails as INTERNAL rather than pass.
 *
 * Contract: the caller gives each output back (release) once nothing refers to its bytes;
 * until then the buffer is never reused. A lane whose member failed is dropped with its
 * buffer. close() closes the idle lanes; lanes still inflating close when they finish.
 */
import { constants, createGunzip, type Gunzip } from 'node:zlib';
import { BackupError } from '../errors.js';
import { SpareBuffers } from './spare-buffers.js';

/** Bounds of an output buffer: zlib's default chunk, and a size no sane block reaches (damage may announce anything). */
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 64 * 1024 * 1024;
/** Output buffers are sized in steps of this, so that a chain's last, shorter blocks use the same lanes and buffers. */
const SIZE_STEP = 64 * 1024;
/** Idle lanes and free output buffers kept: what two spans inflating 4 members each, and their reader, hold. */
const MAX_IDLE_LANES = 8;
const MAX_FREE_BUFFERS = 16;

/** One inflated member: `data` is valid until it is given back with release(). */
export interface Inflated {
  data: Buffer;
  /** The buffer made here that `data` lies in; absent when the output came in another buffer. */
  buffer?: Buffer;
}

/** A Gunzip stream whose Node-internal output fields are set before each write (see the header). */
interface LaneStream extends Gunzip {
  reset(): void;
  _outBuffer: Buffer;
  _outOffset: number;
}

/** One zlib context, reused member after member. */
class Lane {
  readonly stream: LaneStream;
  private outputs: Buffer[] = [];
  private failure: ((err: Error) => void) | undefined;
  closed = false;

  constructor(readonly chunkSize: number) {
    this.stream = createGunzip({ chunkSize, flush: constants.Z_FINISH }) as LaneStream;
    this.stream.on('data', (b: Buffer) => this.outputs.push(b));
    this.stream.on('error', (err: Error) => {
      this.closed = true;
      this.failure?.(err);
    });
  }

  /** Inflates `member` (one whole gzip member) into `out` (at least chunkSize bytes). */
  inflate(member: Buffer, out: Buffer): Promise<Buffer> {
    const s = this.stream;
    s.reset();
    s._outBuffer = out;
    s._outOffset = 0;
    this.outputs = [];
    return new Promise<Buffer>((resolve, reject) => {
      this.failure = reject;
      s.write(member, (err) => {
        this.failure = undefined;
        if (err) return reject(err);
        const parts = this.outputs;
        this.outputs = [];
        resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts));
      });
    });
  }

  close(): void {
    this.closed = true;
    this.stream.destroy();
  }
}

/** Lanes and output buffers for inflating many gzip members, several at once (see the header). */
export class GzipInflater {
  private readonly idle: Lane[] = [];
  private readonly free = new SpareBuffers(MIN_CHUNK, MAX_FREE_BUFFERS);
  private closed = false;

  /**
   * Inflates one whole gzip member. `member` must not change until the promise settles.
   * Damaged data rejects with zlib's error (code Z_...).
   */
  async inflate(member: Buffer): Promise<Inflated> {
    // the size the member's trailer announces (ISIZE, the input size mod 2^32), one byte
    // more: an output that fills its buffer exactly makes Node ask zlib again for nothing
    const isize = member.length >= 18 ? member.readUInt32LE(member.length - 4) : 0;
    const size = Math.min(Math.ceil(Math.max(isize + 1, MIN_CHUNK) / SIZE_STEP) * SIZE_STEP, MAX_CHUNK);
    const lane = this.takeLane(size);
    const out = this.free.take(lane.chunkSize);
    let data: Buffer;
    try {
      data = await lane.inflate(member, out);
    } catch (err) {
      lane.close();
      throw err;
    }
    this.giveLane(lane);
    // zlib checked the length against ISIZE; a difference here is output lost on the way
    if (member.length >= 18 && data.length % 2 ** 32 !== isize) {
      throw new BackupError('INTERNAL', `GzipInflater: a member announcing ${isize} bytes inflated to ${data.length}`);
    }
    if (data.buffer === out.buffer && data.byteOffset === out.byteOffset) return { data, buffer: out };
    // the output is not in `out` (longer than announced, or Node used its own buffer): `out` is free again
    this.release({ data: out, buffer: out });
    return { data };
  }

  /** Takes back the buffer of an output nothing refers to any more; others are left alone. */
  release(o: Inflated): void {
    if (o.buffer && !this.closed) this.free.give(o.buffer);
  }

  /** Closes the idle lanes and drops the free buffers; later inflates still work, with new ones. */
  close(): void {
    this.closed = true;
    for (const lane of this.idle.splice(0)) lane.close();
    this.free.clear();
  }

  private takeLane(size: number): Lane {
    // the smallest idle lane that fits
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const c = this.idle[i].chunkSize;
      if (c >= size && (best < 0 || c < this.idle[best].chunkSize)) best = i;
    }
    return best >= 0 ? this.idle.splice(best, 1)[0] : new Lane(size);
  }

  private giveLane(lane: Lane): void {
    if (this.closed || lane.closed || this.idle.length >= MAX_IDLE_LANES) lane.close();
    else this.idle.push(lane);
  }
}
