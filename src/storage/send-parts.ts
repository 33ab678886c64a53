/**
 * The parts loop both multipart uploaders share (glacier/upload-archive.ts, s3/s3-backend.ts):
 * part i is bytes [i × partSize, (i + 1) × partSize) of a possibly growing file, started as
 * soon as those bytes are on disk (or the file is complete), at most `concurrency` at once.
 * Each part is hashed here by one read through a pooled 1 MiB scratch buffer (hash-range.ts)
 * and handed to the backend's `send` with its hashes; the backend sends it by a second read
 * (paced-body.ts, 1 MiB at a time), so memory is about concurrency × 2 MiB whatever the
 * part size.
 *
 * Fails loudly: the first failed part stops the loop (and any wait for more bytes) at once;
 * the parts already in flight are let finish or fail, then the first error is thrown, so
 * the caller's journal holds every part that did finish and a later run resumes from there.
 */
import pLimit from 'p-limit';
import { asError } from '../errors.js';
import { MiB } from '../treehash/tree-hash.js';
import { BufferPool } from './buffer-pool.js';
import type { GrowingFile } from './growing-file.js';
import { hashRange, type RangeHashes } from './hash-range.js';

/** What sendParts needs from the backend. */
export interface SendPartsOptions {
  file: GrowingFile;
  partSize: number;
  concurrency: number;
  /** Parts the service allows per upload. */
  maxParts: number;
  signal?: AbortSignal;
  /** Called before each part is started, once its bytes are there (the vault starts its upload lazily here). */
  beforePart?: () => Promise<void>;
  /** Sends (or skips, when the service holds it) part i = bytes [start, end) with its hashes. */
  send(i: number, start: number, end: number, hashes: RangeHashes): Promise<void>;
}

/** Sends every part; returns how many there were, or null when the file outgrew `maxParts` parts (nothing more is started). */
export async function sendParts(o: SendPartsOptions): Promise<number | null> {
  const limit = pLimit(Math.max(1, o.concurrency));
  const pool = new BufferPool(MiB, limit.concurrency);
  const inflight = new Set<Promise<void>>();
  let failure: Error | null = null;
  // a failed part stops the wait for more bytes at once, not at the next part boundary
  const stop = new AbortController();
  const waitSignal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  let parts = 0;
  let outgrown = false;
  for (let i = 0; failure === null; i++) {
    const start = i * o.partSize;
    let end: number;
    try {
      end = await o.file.waitFor(start + o.partSize, waitSignal);
      if (end <= start) break;
      if (i >= o.maxParts) {
        outgrown = true;
        break;
      }
      await o.beforePart?.();
      while (limit.activeCount + limit.pendingCount >= limit.concurrency && failure === null) await Promise.race(inflight);
    } catch (err) {
      failure ??= asError(err);
      break;
    }
    if (failure !== null) break;
    parts = i + 1;
    const task = limit(async () => {
      const lease = pool.take(MiB);
      const hashes = await hashRange(o.file, start, end - start, lease.buf).finally(() => lease.release());
      await o.send(i, start, end, hashes);
    }).catch((err: unknown) => {
      failure ??= asError(err);
      stop.abort();
    });
    inflight.add(task);
    void task.finally(() => inflight.delete(task));
  }
  await Promise.all(inflight);
  if (failure !== null) throw failure;
  return outgrown ? null : parts;
}
