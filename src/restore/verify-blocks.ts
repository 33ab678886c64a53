/**
 * Verification of an archive's compressed bytes against the catalog before anything from
 * them is used: each gzip block's SHA-256 was recorded when the block was written, so a
 * local copy (or a retrieved range) is checked block by block, and a stream of blocks is
 * passed on one whole, verified block at a time. Archives recorded without block hashes
 * (older catalogs, catalogs rebuilt from descriptions) are checked whole against their tree
 * hash instead.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { GzipBlock } from '../archive/gzip-block.js';
import { BackupError } from '../errors.js';
import { TreeHasher } from '../treehash/tree-hash.js';
import type { ByteRange } from './plan-byte-ranges.js';
import { blockMatches, type BlockCheck } from './block-check.js';
import { BlockHasher } from './block-hasher.js';

/** Blocks read and hashed at once by a check: enough to keep a read in flight while the main thread hashes. */
const CHECKS_IN_FLIGHT = 4;

/** What a verification found wrong, in words for a one-line message. */
export interface Damage {
  what: string;
}

/** The block extents of an archive of `size` compressed bytes. */
export function blockChecks(blocks: readonly GzipBlock[], size: number): BlockCheck[] {
  return blocks.map((b, i) => ({ index: i, start: b.gzOffset, end: i + 1 < blocks.length ? blocks[i + 1].gzOffset : size, sha256: b.sha256 }));
}

/** True when every block has a recorded hash (and there is at least one block). */
export function hasBlockHashes(blocks: readonly GzipBlock[]): boolean {
  return blocks.length > 0 && blocks.every((b) => b.sha256 !== undefined);
}

/**
 * Checks the local file `path` against the catalog: its size, then the blocks that overlap
 * `ranges` (all of them when null) by their SHA-256, or, without block hashes, the whole
 * file's tree hash. Resolves undefined when it matches.
 */
export async function findDamage(path: string, a: { size: number; treeHash: string; blocks: readonly GzipBlock[] }, ranges: readonly ByteRange[] | null): Promise<Damage | undefined> {
  const fh = await open(path, 'r');
  try {
    return await damageIn(fh, a, ranges);
  } finally {
    await fh.close();
  }
}

/** A local copy checked against the catalog and held open, so that later reads come from the very file that was checked. */
export interface CheckedCopy {
  /** Open for reading; the caller closes it. */
  fh: FileHandle;
  /** What is wrong with it; undefined when it matches. */
  damage?: Damage;
}

/**
 * findDamage on a file that stays open: each checked block's SHA-256 is computed once,
 * here, and a read of those blocks through `fh` later needs no second hash (see
 * prepareSources for why that read can be trusted).
 */
export async function openChecked(path: string, a: { size: number; treeHash: string; blocks: readonly GzipBlock[] }, ranges: readonly ByteRange[] | null): Promise<CheckedCopy> {
  const fh = await open(path, 'r');
  try {
    return { fh, damage: await damageIn(fh, a, ranges) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Local copies being checked whole on a thread of their own (see checkCopiesAhead). */
export interface CopyChecks {
  /**
   * The whole-file check of archive `seq`'s copy at `path`, when one was started (a copy with
   * block hashes); from then on the caller owns its descriptor, and close() leaves it alone.
   */
  take(seq: number, path: string): Promise<CheckedCopy> | undefined;
  /** Ends the thread, then closes the copies not taken. */
  close(): Promise<void>;
}

/** A local copy to check whole. */
export interface CopyToCheck {
  seq: number;
  path: string;
  size: number;
  blocks: readonly GzipBlock[];
}

/**
 * Starts checking `copies` whole (each as openChecked with no ranges), on a thread of their
 * own: a restore of everything needs every copy it reads checked whole, and the thread does
 * that while the restore's own thread loads the catalog's tree and plans (issue 10: the
 * 177 MB of a 30-archive chain's copies take about 0.25 s to hash, all of it before the
 * first file could be written). Copies without block hashes are left to openChecked.
 */
export async function checkCopiesAhead(copies: readonly CopyToCheck[]): Promise<CopyChecks> {
  const whole = copies.filter((c) => hasBlockHashes(c.blocks));
  const hasher = whole.length > 0 ? new BlockHasher() : undefined;
  // every copy is opened and its check sent before this returns: the caller's thread is then
  // busy for a while, and no callback of this one could run to send more
  const opened = await Promise.all(whole.map((c) => openSized(c.path)));
  const started = new Map<number, { path: string; copy: Promise<CheckedCopy> }>();
  whole.forEach((c, i) => {
    const o = opened[i];
    let copy: Promise<CheckedCopy>;
    if ('error' in o) copy = Promise.reject(o.error);
    else if (o.size !== c.size) copy = Promise.resolve({ fh: o.fh, damage: { what: `it is ${o.size} bytes, the catalog says ${c.size}` } });
    else {
      const checks = blockChecks(c.blocks, c.size);
      copy = hasher!.check(o.fh.fd, checks).then(
        (damaged) => ({ fh: o.fh, damage: damaged === null ? undefined : blockDamage(checks[damaged]) }),
        async (err: unknown) => {
          await o.fh.close();
          throw err;
        },
      );
    }
    copy.catch(() => undefined);
    started.set(c.seq, { path: c.path, copy });
  });
  return {
    take(seq, path) {
      const s = started.get(seq);
      if (!s || s.path !== path) return undefined;
      started.delete(seq);
      return s.copy;
    },
    async close() {
      await hasher?.close();
      await Promise.all([...started.values()].map(async (s) => (await s.copy.catch(() => undefined))?.fh.close()));
      started.clear();
    },
  };
}

/** `path` opened for reading, with its size; or what failed. */
async function openSized(path: string): Promise<{ fh: FileHandle; size: number } | { error: Error }> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    return { fh, size: (await fh.stat()).size };
  } catch (error) {
    await fh?.close();
    return { error: error as Error };
  }
}

/** The one-line finding for a block that does not match. */
function blockDamage(c: BlockCheck): Damage {
  return { what: `gzip block ${c.index} (bytes ${c.start}-${c.end - 1}) differs from the catalog` };
}

async function damageIn(fh: FileHandle, a: { size: number; treeHash: string; blocks: readonly GzipBlock[] }, ranges: readonly ByteRange[] | null): Promise<Damage | undefined> {
  const size = (await fh.stat()).size;
  if (size !== a.size) return { what: `it is ${size} bytes, the catalog says ${a.size}` };
  if (!hasBlockHashes(a.blocks)) {
    const hasher = new TreeHasher();
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) return { what: 'it ended early' };
      hasher.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return hasher.digest() === a.treeHash ? undefined : { what: 'its tree hash differs from the catalog' };
  }
  const todo = blockChecks(a.blocks, a.size).filter((c) => !ranges || ranges.some((r) => c.start <= r.end && r.start < c.end));
  // a few blocks at once, each read on the thread pool while the main thread hashes another:
  // one at a time, the check waited for every read in turn (issue 10: 30 local copies of a
  // chain, 177 MB, checked in about 0.7 s of a 2.6 s restore)
  let next = 0;
  const damaged: BlockCheck[] = [];
  const checkSome = async (): Promise<void> => {
    let buf = Buffer.allocUnsafe(0);
    while (next < todo.length && damaged.length === 0) {
      const c = todo[next++];
      if (buf.length < c.end - c.start) buf = Buffer.allocUnsafe(c.end - c.start);
      const block = buf.subarray(0, c.end - c.start);
      const { bytesRead } = await fh.read(block, 0, block.length, c.start);
      if (!blockMatches(block.subarray(0, bytesRead), c)) damaged.push(c);
    }
  };
  await Promise.all(Array.from({ length: CHECKS_IN_FLIGHT }, checkSome));
  if (damaged.length === 0) return undefined;
  // the lowest damaged block found: reads finish in any order
  return blockDamage(damaged.reduce((x, y) => (y.index < x.index ? y : x)));
}

/**
 * Passes on `input`, compressed bytes [start, end] of an archive (start on a block boundary),
 * one whole block at a time, each only after its SHA-256 matched; a mismatch destroys the
 * output with CHECKSUM_MISMATCH naming `what` (the archive). Blocks without a recorded hash
 * pass unchecked. Input that ends inside a block is an error too.
 */
export function verifiedBlocks(input: Readable, checks: readonly BlockCheck[], range: ByteRange, what: string): Readable {
  const within = checks.filter((c) => c.end > range.start && c.start <= range.end);
  if (within.length === 0 || within[0].start !== range.start) {
    throw new BackupError('INTERNAL', `verifiedBlocks: ${what}: range ${range.start}-${range.end} does not start on a gzip block`);
  }
  async function* verify(): AsyncGenerator<Buffer> {
    let i = 0;
    let pos = range.start;
    let held: Buffer[] = [];
    let heldBytes = 0;
    const release = (c: BlockCheck): Buffer => {
      const block = held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
      if (!blockMatches(block, c)) {
        throw new BackupError('CHECKSUM_MISMATCH', `${what}: gzip block ${c.index} (bytes ${c.start}-${c.end - 1}) does not match the catalog; nothing from it was written`, { subject: what });
      }
      held = [];
      heldBytes = 0;
      return block;
    };
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const c = within[i];
        if (!c) return;
        const n = Math.min(chunk.length - off, c.end - pos);
        held.push(chunk.subarray(off, off + n));
        heldBytes += n;
        off += n;
        pos += n;
        if (pos === c.end) {
          yield release(c);
          i++;
        }
      }
    }
    // ranges end on block ends: input that stops inside a block was cut short
    if (heldBytes > 0) throw new BackupError('CHECKSUM_MISMATCH', `${what}: the data ended at byte ${pos}, inside gzip block ${within[i].index}; nothing from it was written`, { subject: what });
  }
  return Readable.from(verify(), { objectMode: false });
}
