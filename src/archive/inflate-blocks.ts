/**
 * Inflates a run of independent gzip members whose compressed lengths are known (from the
 * catalog's block table), several at once on libuv's thread pool, and yields their output
 * in order: what a single gunzip stream does one member after the other, on every core.
 *
 * Memory: at most `maxInFlight` members are held, each as its compressed bytes and its
 * output (about 1 MiB each with the default block size), whatever the archive's size; the
 * output buffers are used again (see GzipInflater). Damaged data rejects with zlib's error
 * (code Z_...), in order: blocks before the damaged one are yielded first.
 */
import { promisify } from 'node:util';
import { constants, gunzip as gunzipCallback } from 'node:zlib';
import { GzipInflater, type Inflated } from './gzip-inflater.js';

const gunzip = promisify(gunzipCallback);

/**
 * Members inflating at once: 4 keeps both cores of a small machine busy while the caller
 * writes the previous output, and matches libuv's default thread pool.
 */
const DEFAULT_IN_FLIGHT = 4;

/** Bounds of a cut member's output buffer: zlib's default chunk, and a size no sane block reaches. */
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 64 * 1024 * 1024;

/** How to inflate. */
export interface InflateOptions {
  maxInFlight?: number;
  /**
   * The input past `lengths` is only the start of the last member (a range cut inside a
   * gzip block): it is inflated as far as it goes, with no trailer to check. Only for input
   * authenticated otherwise (age chunks).
   */
  lastIsCut?: boolean;
  /**
   * Given, each input chunk that was exactly one member is handed back once zlib is done
   * with it (the member inflated or failed), so that the caller can read into it again.
   */
  release?: (chunk: Buffer) => void;
  /** Lanes and output buffers to use (a restore shares one across its spans); without it, a new one for this run. */
  inflater?: GzipInflater;
}

/**
 * The inflated bytes of the gzip members in `input`, in order. `lengths` are the members'
 * compressed lengths; input beyond their sum belongs to one more member (the last one,
 * whose length need not be known). Each yielded buffer is valid only until the next call
 * of next(): its memory is then used again. The caller may stop iterating at any time; it
 * owns (and destroys) `input`.
 */
export async function* inflateBlocks(input: AsyncIterable<Uint8Array>, lengths: readonly number[], opts: InflateOptions = {}): AsyncGenerator<Buffer> {
  const maxInFlight = opts.maxInFlight ?? DEFAULT_IN_FLIGHT;
  const inflater = opts.inflater ?? new GzipInflater();
  const pending: Array<Promise<Inflated>> = [];
  const start = (member: Buffer, cut = false, whole?: Buffer) => {
    const p = cut ? inflateCut(member) : inflater.inflate(member);
    // awaited in order below; this keeps a failure from counting as unhandled if the caller stops first
    p.catch(() => undefined);
    const release = opts.release;
    if (whole && release) void p.then(() => release(whole), () => release(whole));
    pending.push(p);
  };
  // the output yielded last: the caller is done with it when it asks for the next
  let shown: Inflated | undefined;
  const show = async (): Promise<Buffer> => {
    const o = await pending.shift()!;
    shown = o;
    return o.data;
  };
  const done = () => {
    if (shown) inflater.release(shown);
    shown = undefined;
  };
  try {
    let index = 0;
    let parts: Buffer[] = [];
    let have = 0;
    // the chunk the member being gathered is, when it is one whole chunk so far
    let whole: Buffer | undefined;
    for await (const chunk of input) {
      let c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      whole = have === 0 && Buffer.isBuffer(chunk) ? chunk : undefined;
      while (c.length > 0) {
        const want = index < lengths.length ? lengths[index] - have : Infinity;
        const take = Math.min(want, c.length);
        parts.push(c.subarray(0, take));
        have += take;
        c = c.subarray(take);
        if (index < lengths.length && have === lengths[index]) {
          // a chunk that is this member and nothing else is handed back once inflated
          start(parts.length === 1 ? parts[0] : Buffer.concat(parts, have), false, c.length === 0 ? whole : undefined);
          whole = undefined;
          parts = [];
          have = 0;
          index++;
          while (pending.length >= maxInFlight) {
            yield await show();
            done();
          }
        }
      }
    }
    if (have > 0) start(parts.length === 1 ? parts[0] : Buffer.concat(parts, have), opts.lastIsCut, parts.length === 1 ? whole : undefined);
    while (pending.length > 0) {
      yield await show();
      done();
    }
  } finally {
    done();
    // members still inflating give their buffers back when they finish
    for (const p of pending.splice(0)) p.then((o) => inflater.release(o), () => undefined);
    if (!opts.inflater) inflater.close();
  }
}

/**
 * A member cut short (see lastIsCut), inflated as far as it goes: an output buffer the size
 * stored data (the most it can hold) inflates to, and no trailer to check.
 */
async function inflateCut(member: Buffer): Promise<Inflated> {
  const chunkSize = Math.min(Math.max(member.length + 1, MIN_CHUNK), MAX_CHUNK);
  return { data: await gunzip(member, { chunkSize, finishFlush: constants.Z_SYNC_FLUSH }) };
}
