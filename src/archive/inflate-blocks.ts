/**
 * Inflates a run of independent gzip members whose compressed lengths are known (from the
 * catalog's block table), several at once on libuv's thread pool, and yields their output
 * in order: what a single gunzip stream does one member after the other, on every core.
 *
 * Memory: at most `maxInFlight` members are held, each as its compressed bytes and its
 * output (about 1 MiB each with the default block size), whatever the archive's size.
 * Damaged data rejects with zlib's error (code Z_...), in order: blocks before the damaged
 * one are yielded first.
 */
import { promisify } from 'node:util';
import { constants, gunzip as gunzipCallback } from 'node:zlib';

const gunzip = promisify(gunzipCallback);

/**
 * Members inflating at once: 4 keeps both cores of a small machine busy while the caller
 * writes the previous output, and matches libuv's default thread pool.
 */
const DEFAULT_IN_FLIGHT = 4;

/** Bounds of the output buffer: zlib's default chunk, and a size no sane block reaches (damage may announce anything). */
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
}

/**
 * The inflated bytes of the gzip members in `input`, in order. `lengths` are the members'
 * compressed lengths; input beyond their sum belongs to one more member (the last one,
 * whose length need not be known). The caller may stop iterating at any time; it owns
 * (and destroys) `input`.
 */
export async function* inflateBlocks(input: AsyncIterable<Uint8Array>, lengths: readonly number[], opts: InflateOptions = {}): AsyncGenerator<Buffer> {
  const maxInFlight = opts.maxInFlight ?? DEFAULT_IN_FLIGHT;
  const pending: Array<Promise<Buffer>> = [];
  const start = (member: Buffer, cut = false, whole?: Buffer) => {
    // an output buffer the size the member's trailer announces (ISIZE, the input size mod 2^32):
    // one trip to the thread pool per member instead of one per 16 KiB, each waiting for the event loop;
    // a cut member has no trailer, and stored data (the most it can hold) inflates to about its own size
    // One byte more than the output: a buffer the output fills exactly makes Node allocate
    // another and ask zlib again, a second thread-pool trip for nothing.
    const isize = cut ? member.length : member.length >= 18 ? member.readUInt32LE(member.length - 4) : 0;
    const chunkSize = Math.min(Math.max(isize + 1, MIN_CHUNK), MAX_CHUNK);
    const p = gunzip(member, cut ? { chunkSize, finishFlush: constants.Z_SYNC_FLUSH } : { chunkSize });
    // awaited in order below; this keeps a failure from counting as unhandled if the caller stops first
    p.catch(() => undefined);
    const release = opts.release;
    if (whole && release) void p.then(() => release(whole), () => release(whole));
    pending.push(p);
  };
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
        while (pending.length >= maxInFlight) yield await pending.shift()!;
      }
    }
  }
  if (have > 0) start(parts.length === 1 ? parts[0] : Buffer.concat(parts, have), opts.lastIsCut, parts.length === 1 ? whole : undefined);
  while (pending.length > 0) yield await pending.shift()!;
}
