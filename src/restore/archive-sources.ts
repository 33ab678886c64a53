/**
 * Where a restore reads each archive's compressed bytes from: the local copy when there
 * is one, otherwise verified reads from the backend after warming the objects up (a Glacier
 * retrieval job per archive or MiB-aligned byte range, an S3 restore per object). Warm-ups
 * for every archive are started at once and recorded in the catalog; a later invocation
 * reuses them. Unverified bytes are never handed out, and each block is hashed once:
 *
 * - a local copy is checked against the catalog's block hashes (or tree hash) before the
 *   restore writes anything, and a damaged one is replaced by a retrieval when there is
 *   offsite storage. The copy stays open from that check on and reads of the checked
 *   blocks come from that descriptor without a second SHA-256: the state directory is the
 *   backup user's own, so only that user could change the file in between, and a block
 *   changed by accident (bit rot, a full disk) still fails gzip's CRC-32 and length check
 *   of its inflated bytes, which lie inside the bytes that were hashed. Blocks outside the
 *   checked ranges are verified as they are read;
 * - retrieved bytes are verified block by block as they are read, before any of a block
 *   is handed out.
 */
import { createReadStream, existsSync, readSync } from 'node:fs';
import { mkdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Db } from '../catalog/open-catalog.js';
import type { ArchiveRecord } from '../catalog/archive-store.js';
import { updateJob } from '../catalog/job-store.js';
import { tierHours, waitForPiece, warmUpPieces } from './warm-up-jobs.js';
import { BackupError } from '../errors.js';
import { assertStoredIn } from '../storage/assert-stored-in.js';
import type { Backend, Tier } from '../storage/backend.js';
import type { ByteRange } from './plan-byte-ranges.js';
import type { GzipBlock } from '../archive/gzip-block.js';
import { SpareBuffers } from '../archive/spare-buffers.js';
import type { BlockCheck } from './block-check.js';
import { blockChecks, openChecked, verifiedBlocks, type CopyChecks } from './verify-blocks.js';

export type { Tier } from '../storage/backend.js';

/** Bytes per read of a local copy whose blocks are not known (an encrypted archive's): about one gzip block's worth. */
const READ_CHUNK = 1024 * 1024;

/** Compressed bytes of one archive, readable by range. */
export interface ArchiveSource {
  /** Streams the compressed bytes [start, end] (inclusive) of the archive. The range must lie within what was fetched. */
  read(range: ByteRange): Readable;
  /** 'local' or 'retrieved'. */
  from: 'local' | 'retrieved';
  /**
   * Takes back a chunk a read handed out, once its reader no longer needs it (nothing may
   * refer to it any more): a local copy reads into it again. Chunks it did not make are
   * ignored.
   */
  release?: (chunk: Buffer) => void;
}

/** An archive the restore needs and the compressed ranges it needs of it (null = all of it). */
export interface ArchiveNeed {
  archive: ArchiveRecord;
  /** MiB-aligned ranges to retrieve when there is no local copy; null for the whole archive. */
  ranges: ByteRange[] | null;
  /** The catalog's gzip block table (with each block's SHA-256) that reads are verified against; absent or empty when unknown. */
  blocks?: readonly GzipBlock[];
}

/** The result of preparing sources: every archive ready, with the bytes retrieved. */
export interface PreparedSources {
  sources: Map<number, ArchiveSource>;
  /** Verified job outputs in stateDir/retrieved the sources read from (see discardDownloads). */
  downloads: Array<{ jobId: string; path: string }>;
  retrievedBytes: number;
  jobsStarted: number;
  jobsReused: number;
  /** Local copies held open since they were checked (see closeSources). */
  held: FileHandle[];
}

/** A local file holding an archive, if it still exists. */
export function localCopyOf(a: ArchiveRecord): string | undefined {
  for (const p of [a.localPath, a.stagedPath]) if (p && existsSync(p)) return p;
  return undefined;
}

/**
 * Makes every needed archive readable. Archives without a local copy need `backend`; their
 * warm-ups are started (or reused) all at once. Without `wait`, throws RETRIEVAL_PENDING
 * while any is still in progress.
 */
export async function prepareSources(deps: SourceDeps, needs: readonly ArchiveNeed[], opts: SourceOptions): Promise<PreparedSources> {
  const held: FileHandle[] = [];
  try {
    return await prepare(deps, needs, opts, held);
  } catch (err) {
    await Promise.all(held.map((fh) => fh.close()));
    throw err;
  }
}

/** How to prepare sources: the retrieval tier, whether to wait for retrievals, and local copies already being checked whole. */
export interface SourceOptions {
  tier: Tier;
  wait: boolean;
  ahead?: CopyChecks;
}

/** What preparing sources uses. */
type SourceDeps = { db: Db; stateDir: string; backend?: () => Promise<Backend>; signal: AbortSignal; log: (line: string) => void };

async function prepare(deps: SourceDeps, needs: readonly ArchiveNeed[], opts: SourceOptions, held: FileHandle[]): Promise<PreparedSources> {
  const sources = new Map<number, ArchiveSource>();
  // the buffers local copies are read into, given back once their blocks are inflated (0.15 s of
  // page faults on the main thread for a 30-archive chain's 164 MB when each was fresh)
  const buffers = new SpareBuffers(SPARE_BYTES, MAX_SPARE);
  const readers = new Map<number, (input: Readable, r: ByteRange) => Readable>();
  const remote: Array<{ need: ArchiveNeed; ranges: Array<ByteRange | null> }> = [];
  for (const need of needs) {
    const a = need.archive;
    const checks = blockChecks(need.blocks ?? [], a.size);
    // every read is verified block by block against the catalog before it is handed out
    const verified = (input: Readable, r: ByteRange) => (checks.length ? verifiedBlocks(input, checks, r, `archive ${a.seq} (${a.fileName})`) : input);
    readers.set(a.seq, verified);
    const local = localCopyOf(a);
    // the whole copy of an archive with block hashes may be under check on the hashing thread already
    const checking = local && need.ranges === null && need.blocks ? opts.ahead?.take(a.seq, local) : undefined;
    const copy = local ? await (checking ?? openChecked(local, { size: a.size, treeHash: a.treeHash, blocks: need.blocks ?? [] }, need.ranges)) : undefined;
    if (copy) held.push(copy.fh);
    const damage = copy?.damage;
    if (local && damage) {
      if (!deps.backend || !a.archiveId) {
        throw new BackupError('CHECKSUM_MISMATCH', `the local copy ${local} of archive ${a.seq} is damaged (${damage.what}) and ${a.archiveId ? 'the config has no offsite storage' : 'it was never uploaded'}; nothing was restored from it`, { subject: local });
      }
      deps.log(`the local copy ${local} of archive ${a.seq} is damaged (${damage.what}); retrieving the archive from offsite storage instead`);
    }
    if (copy && !damage) {
      const checked = need.ranges ?? [{ start: 0, end: a.size - 1 }];
      const fh = copy.fh;
      sources.set(a.seq, {
        from: 'local',
        release: (chunk) => buffers.give(chunk),
        read: (r) => {
          // one block per chunk (a byte-mode stream joins the chunks it holds on every read), two read ahead
          const input = Readable.from(readRange(fh.fd, r, checks, buffers), { objectMode: true, highWaterMark: 2 });
          // checked blocks were hashed when the copy was opened; anything else is hashed now
          return checked.some((c) => c.start <= r.start && r.end <= c.end) ? input : verified(input, r);
        },
      });
    } else {
      if (!need.archive.archiveId) {
        throw new BackupError('NOT_FOUND', `archive ${need.archive.seq} (${need.archive.fileName}) has no local copy and was never uploaded; it cannot be restored`);
      }
      remote.push({ need, ranges: need.ranges ?? [null] });
    }
  }
  const result: PreparedSources = { sources, downloads: [], retrievedBytes: 0, jobsStarted: 0, jobsReused: 0, held };
  if (remote.length === 0) return result;
  if (!deps.backend) throw new BackupError('CONFIG_INVALID', 'archives must be retrieved from offsite storage but the config has neither "vault" nor "s3"; add the one they were stored in, or restore with --from-archives');
  const backend = await deps.backend();
  for (const { need } of remote) assertStoredIn(need.archive, backend.info);
  const dir = join(deps.stateDir, 'retrieved');
  await mkdir(dir, { recursive: true });

  // 1. make sure a job exists for every piece, starting all missing ones before waiting on any
  const warmDeps = { db: deps.db, backend, log: deps.log };
  const warm = await warmUpPieces(warmDeps, remote.flatMap(({ need, ranges }) => ranges.map((range) => ({ archive: need.archive, range }))), opts.tier);
  result.jobsStarted = warm.started;
  result.jobsReused = warm.reused;

  // 2. wait, or tell the user to come back
  const pending = warm.pieces.filter((p) => p.job.status === 'InProgress');
  if (pending.length > 0 && !opts.wait) {
    throw new BackupError('RETRIEVAL_PENDING', `${pending.length} retrieval job(s) in progress (${result.jobsStarted} started now, ${result.jobsReused} already running; ${opts.tier} takes ${tierHours(opts.tier)} on AWS); run the same command again later, or add --wait`);
  }
  for (const p of pending) await waitForPiece(warmDeps, p, deps.signal);
  const pieces = warm.pieces.map((p) => ({ a: p.archive, range: p.range, job: p.job }));

  // 3. download and verify each piece, then serve reads from the verified files
  const files = new Map<number, Array<{ range: ByteRange; path: string }>>();
  for (const p of pieces) {
    const range = p.range ?? { start: 0, end: p.a.size - 1 };
    let path = p.job.outputPath && existsSync(p.job.outputPath) ? p.job.outputPath : undefined;
    if (!path) {
      path = join(dir, `${p.a.fileName}.${range.start}-${range.end}`);
      deps.log(`downloading archive ${p.a.seq}${p.range ? ` bytes ${range.start}-${range.end}` : ''} (${range.end - range.start + 1} bytes)`);
      await backend.read({ id: p.a.archiveId!, token: p.job.jobId, ...(p.range ? { range: p.range } : {}), outPath: path, size: range.end - range.start + 1, expectedTreeHash: p.range || !p.a.treeHash ? undefined : p.a.treeHash, signal: deps.signal });
      updateJob(deps.db, p.job.jobId, { status: 'Downloaded', outputPath: path });
    }
    result.retrievedBytes += range.end - range.start + 1;
    result.downloads.push({ jobId: p.job.jobId, path });
    const list = files.get(p.a.seq) ?? [];
    list.push({ range, path });
    files.set(p.a.seq, list);
  }
  for (const [seq, list] of files) {
    sources.set(seq, {
      from: 'retrieved',
      read: (r) => {
        const f = list.find((x) => x.range.start <= r.start && r.end <= x.range.end);
        if (!f) throw new BackupError('INTERNAL', `bytes ${r.start}-${r.end} of archive ${seq} were not retrieved`);
        return readers.get(seq)!(createReadStream(f.path, { start: r.start - f.range.start, end: r.end - f.range.start }), r);
      },
    });
  }
  return result;
}

/**
 * Deletes the downloaded job outputs once the restore that needed them has finished, so
 * stateDir/retrieved does not keep a copy of everything ever restored. Their jobs stay
 * recorded as succeeded: a later restore within Glacier's 24 hours of job output downloads
 * them again without paying for a new retrieval.
 */
export async function discardDownloads(db: Db, prepared: PreparedSources): Promise<void> {
  for (const d of prepared.downloads) {
    await rm(d.path, { force: true });
    updateJob(db, d.jobId, { status: 'Succeeded', outputPath: null });
  }
}

/**
 * Bytes [start, end] of an open file, one gzip block per chunk when the blocks are known (the
 * inflater takes each whole, without joining pieces), read synchronously: from the page cache
 * the check just filled that is cheaper than a trip to the thread pool, whose queue is full of
 * inflating blocks that a read would wait behind. A stream over a held descriptor that never
 * closes it.
 */
function* readRange(fd: number, r: ByteRange, blocks: readonly BlockCheck[], buffers: SpareBuffers): Generator<Buffer> {
  let i = 0;
  for (let pos = r.start; pos <= r.end; ) {
    while (i < blocks.length && blocks[i].end <= pos) i++;
    const end = i < blocks.length && blocks[i].start <= pos ? blocks[i].end : pos + READ_CHUNK;
    const buf = buffers.take(Math.min(end, r.end + 1) - pos);
    const bytesRead = readSync(fd, buf, 0, buf.length, pos);
    if (bytesRead === 0) throw new BackupError('CHECKSUM_MISMATCH', `the local copy ended at byte ${pos} while it was read; it changed after it was checked`);
    pos += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

/** Size of a read buffer: a 1 MiB block stored (incompressible) with its deflate and gzip framing. */
const SPARE_BYTES = 1024 * 1024 + 64 * 1024;
/** Free read buffers kept at most: the reads in flight of two spans. */
const MAX_SPARE = 16;

/** Closes the local copies the sources read from; call it once the restore is done with them, whether or not it succeeded. */
export async function closeSources(prepared: PreparedSources): Promise<void> {
  await Promise.all(prepared.held.splice(0).map((fh) => fh.close()));
}
