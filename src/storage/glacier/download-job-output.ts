/**
 * Downloads a job's output in ranged, tree-hash-aligned chunks, in parallel, verified and
 * resumable:
 *
 * - Chunks are `chunkSize` bytes (a power of two MiB) at multiples of it, so each is a whole
 *   subtree of the output's tree: the service returns its tree hash, which must equal the
 *   bytes' (else the chunk is fetched again), and the chunk hashes combine into the whole
 *   output's tree hash, checked against `expectedTreeHash`.
 * - Bytes go to `outPath.part` at their offsets. A sidecar `outPath.part.json` records the
 *   chunks written (after fdatasync) and their tree hashes, so an interrupted download fetches
 *   only what is missing; recorded chunks are re-hashed from disk first, and any that no longer
 *   match are fetched again.
 * - Only a fully verified file is renamed to `outPath`; unverified bytes never appear there.
 * - Memory: `concurrency` pooled buffers of `chunkSize`.
 */
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import pLimit from 'p-limit';
import { GetJobOutputCommand } from '@aws-sdk/client-glacier';
import { asError, BackupError, fromSystemError, isBackupError } from '../../errors.js';
import { MiB, combineTreeHashes, treeHash } from '../../treehash/tree-hash.js';
import { BufferPool } from '../buffer-pool.js';
import { account, retryPolicy, type VaultTarget } from './vault-call.js';
import { toVaultError, withRetry } from '../with-retry.js';

/** Progress of a download. */
export interface DownloadProgress {
  bytesDone: number;
  bytesTotal: number;
  chunksDone: number;
  chunksTotal: number;
}

/** What downloadJobOutput needs besides the vault. */
export interface DownloadJobOutputOptions extends VaultTarget {
  jobId: string;
  outPath: string;
  /** Bytes of the job's output (see jobOutputSize). */
  size: number;
  /** Tree hash the whole output must have (the job's SHA256TreeHash, or the catalog's). */
  expectedTreeHash?: string;
  /** Bytes per ranged GET: a power of two MiB. Default 8 MiB. */
  chunkSize?: number;
  /** Chunks in flight. Default 4. Memory ≈ concurrency × chunkSize. */
  concurrency?: number;
  onProgress?: (p: DownloadProgress) => void;
  log?: (message: string) => void;
}

/** A verified download. */
export interface DownloadResult {
  size: number;
  treeHash: string;
  /** Chunks fetched by this call (the rest were already on disk and verified). */
  chunksFetched: number;
}

interface Sidecar {
  version: 1;
  size: number;
  chunkSize: number;
  expectedTreeHash: string | null;
  /** Chunk index → tree hash of the bytes written there. */
  done: Record<string, string>;
}

/** Downloads and verifies a job's output into `outPath`; resumable after any interruption. */
export async function downloadJobOutput(o: DownloadJobOutputOptions): Promise<DownloadResult> {
  const chunkSize = o.chunkSize ?? 8 * MiB;
  if (!(chunkSize >= MiB && chunkSize % MiB === 0 && ((chunkSize / MiB) & (chunkSize / MiB - 1)) === 0)) {
    throw new BackupError('INTERNAL', `download chunk size must be a power of two MiB, got ${chunkSize}`);
  }
  const partPath = `${o.outPath}.part`;
  const sidecarPath = `${o.outPath}.part.json`;
  const chunks = Math.ceil(o.size / chunkSize);
  const sidecar = await loadSidecar(sidecarPath, o.size, chunkSize, o.expectedTreeHash);
  const fresh = Object.keys(sidecar.done).length === 0;
  const fh = await open(partPath, fresh ? 'w+' : 'r+').catch(async (err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, partPath);
    sidecar.done = {};
    return open(partPath, 'w+').catch((e: unknown) => {
      throw fromSystemError(e, partPath);
    });
  });
  let closed = false;
  try {
    await fh.truncate(o.size);
    const hashes: string[] = new Array<string>(chunks);
    let bytesDone = 0;
    let chunksDone = 0;
    const progress = () => o.onProgress?.({ bytesDone, bytesTotal: o.size, chunksDone, chunksTotal: chunks });
    const concurrency = Math.max(1, o.concurrency ?? 4);
    const pool = new BufferPool(Math.min(chunkSize, Math.max(1, o.size)), concurrency);

    // re-verify what an earlier run recorded
    for (const [key, recorded] of Object.entries(sidecar.done)) {
      const k = Number(key);
      const [start, end] = chunkRange(k, chunkSize, o.size);
      const lease = pool.take(end - start + 1);
      const onDisk = treeHash(await readAt(fh, partPath, start, lease.buf));
      lease.release();
      if (k < chunks && onDisk === recorded) {
        hashes[k] = recorded;
        bytesDone += end - start + 1;
        chunksDone++;
      } else {
        o.log?.(`chunk ${k + 1} of ${partPath} does not match its recorded tree hash; fetching it again`);
        delete sidecar.done[key];
      }
    }
    await saveSidecar(sidecarPath, sidecar);
    progress();

    const saves = new Serial();
    const limit = pLimit(concurrency);
    let fetched = 0;
    const missing = Array.from({ length: chunks }, (_, k) => k).filter((k) => hashes[k] === undefined);
    // set by the chunk tasks below (the cast keeps TypeScript from narrowing it to null)
    let failure = null as Error | null;
    await Promise.all(
      missing.map((k) =>
        limit(async () => {
          if (failure !== null) return;
          const [start, end] = chunkRange(k, chunkSize, o.size);
          const lease = pool.take(end - start + 1);
          let length: number;
          try {
            const { buf, treeHash: hash } = await fetchChunk(o, start, end, lease.buf);
            await writeAt(fh, partPath, buf, start);
            hashes[k] = hash;
            length = buf.length;
          } finally {
            lease.release();
          }
          await fh.datasync();
          await saves.run(() => {
            sidecar.done[String(k)] = hashes[k];
            return saveSidecar(sidecarPath, sidecar);
          });
          fetched++;
          bytesDone += length;
          chunksDone++;
          progress();
        }).catch((err: unknown) => {
          failure ??= asError(err);
        }),
      ),
    );
    if (failure !== null) throw failure;

    const whole = o.size === 0 ? treeHash(Buffer.alloc(0)) : combineTreeHashes(hashes);
    if (o.expectedTreeHash !== undefined && whole !== o.expectedTreeHash) {
      await fh.close();
      closed = true;
      await rm(partPath, { force: true });
      await rm(sidecarPath, { force: true });
      throw new BackupError('CHECKSUM_MISMATCH', `job ${o.jobId} output has tree hash ${whole}, expected ${o.expectedTreeHash}; discarded it (wrong archive or corrupt in the vault)`, { subject: o.jobId });
    }
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(partPath, o.outPath).catch((err: unknown) => {
      throw fromSystemError(err, o.outPath);
    });
    await rm(sidecarPath, { force: true });
    return { size: o.size, treeHash: whole, chunksFetched: fetched };
  } finally {
    if (!closed) await fh.close().catch(() => undefined);
  }
}

/** Inclusive byte range of chunk k. */
function chunkRange(k: number, chunkSize: number, size: number): [number, number] {
  const start = k * chunkSize;
  return [start, Math.min(size, start + chunkSize) - 1];
}

/** A chunk whose bytes disagree with the service's checksum: worth fetching again. */
class ChunkChecksumError extends Error {
  override readonly name = 'ChunkChecksumError';
  readonly $retryable = { throttling: false };
}

/** GETs bytes [start, end] of the output into `into`, verified against the returned tree hash, with retries. */
async function fetchChunk(o: DownloadJobOutputOptions, start: number, end: number, into: Buffer): Promise<{ buf: Buffer; treeHash: string }> {
  try {
    return await withRetry(
      async () => {
        const res = await o.client.send(
          new GetJobOutputCommand({ accountId: account(o), vaultName: o.vaultName, jobId: o.jobId, range: `bytes=${start}-${end}` }),
          { abortSignal: o.signal },
        );
        const buf = await readBody(res.body, into);
        const hash = treeHash(buf);
        if (res.checksum && res.checksum !== hash) {
          throw new ChunkChecksumError(`bytes ${start}-${end} arrived with tree hash ${hash}, the vault says ${res.checksum}`);
        }
        return { buf, treeHash: hash };
      },
      { ...retryPolicy(o), signal: o.signal, operation: `GetJobOutput ${o.jobId} bytes ${start}-${end}` },
    );
  } catch (err) {
    if (err instanceof ChunkChecksumError) {
      throw new BackupError('CHECKSUM_MISMATCH', `job ${o.jobId}: ${err.message}, on every attempt; run the command again`, { cause: err, subject: o.jobId });
    }
    if (isBackupError(err)) throw err;
    throw toVaultError(err, { vaultName: o.vaultName, endpoint: o.endpoint ?? 'the Glacier endpoint', operation: 'GetJobOutput', resource: `job ${o.jobId}` });
  }
}

/** Reads a response body that must hold exactly `buf.length` bytes into `buf`. */
async function readBody(body: unknown, buf: Buffer): Promise<Buffer> {
  const length = buf.length;
  let got = 0;
  if (body) {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (got + chunk.length > length) {
        (body as { destroy?: () => void }).destroy?.();
        throw Object.assign(new Error(`the response holds more than the ${length} bytes asked for`), { $retryable: {} });
      }
      buf.set(chunk, got);
      got += chunk.length;
    }
  }
  if (got !== length) throw Object.assign(new Error(`premature close: got ${got} of ${length} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  return buf;
}

/** Fills `buf` from `position` (zeros past the end of the file). */
async function readAt(fh: FileHandle, path: string, position: number, buf: Buffer): Promise<Buffer> {
  const length = buf.length;
  buf.fill(0);
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (err) {
    throw fromSystemError(err, path);
  }
  return buf;
}

async function writeAt(fh: FileHandle, path: string, buf: Buffer, position: number): Promise<void> {
  let put = 0;
  try {
    while (put < buf.length) {
      const { bytesWritten } = await fh.write(buf, put, buf.length - put, position + put);
      put += bytesWritten;
    }
  } catch (err) {
    throw fromSystemError(err, path);
  }
}

async function loadSidecar(path: string, size: number, chunkSize: number, expected: string | undefined): Promise<Sidecar> {
  const fresh: Sidecar = { version: 1, size, chunkSize, expectedTreeHash: expected ?? null, done: {} };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return fresh;
  }
  try {
    const s = JSON.parse(text) as Sidecar;
    const same = s.version === 1 && s.size === size && s.chunkSize === chunkSize && s.expectedTreeHash === (expected ?? null) && s.done && typeof s.done === 'object';
    return same ? s : fresh;
  } catch {
    return fresh;
  }
}

/** Replaces the sidecar atomically (write a temporary file, then rename over it). */
async function saveSidecar(path: string, s: Sidecar): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(s));
    await rename(tmp, path);
  } catch (err) {
    throw fromSystemError(err, path);
  }
}

/** Runs async steps one at a time, in call order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
