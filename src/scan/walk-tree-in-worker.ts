/**
 * walkTree on a worker thread: the worker lists, lstats and orders the tree (walkTreeSync,
 * walk-worker.ts) while the calling thread takes its findings in batches (walk-batch.ts) and
 * runs the planner and the catalog writes, so the two halves of a scan use two cores.
 *
 * Same contract as walkTree: entries in full-path UTF-8 byte order, `onUnreadable` before
 * any entry that sorts after the path, the same warnings, DATA_DIR_MISSING and ABORTED.
 * The exclude matcher is a function and cannot cross threads, so the worker builds it from
 * the patterns and the tool's own directories. Flow control: the worker waits while
 * IN_FLIGHT batches are posted and not yet taken, so memory holds a few batches, not the
 * tree, however fast the walk is. The worker is ended when the walk is done, fails or is
 * aborted; a worker that stops without saying the walk is complete is an INTERNAL error,
 * never a short scan.
 */
import type { Worker } from 'node:worker_threads';
import { asError, BackupError, throwIfAborted, type ErrorCode } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import type { OwnDir } from './own-dirs-excluder.js';
import { callerSink, type ScanOptions } from './scan-tree.js';
import { readWalkBatch, type WalkBatch } from './walk-batch.js';
import type { TreeEntry } from './tree-entry.js';

/** Records per batch: large enough that posting costs little per entry, small enough to keep the planner fed. */
export const BATCH_RECORDS = 1024;
/** Batches the worker may have posted that the calling thread has not finished with. */
export const IN_FLIGHT = 8;

/** What the exclude matcher is built from: the config's patterns, and the tool's own directories (excluded with all below them). */
export interface ExcludeRules {
  patterns: readonly string[];
  own: readonly OwnDir[];
}

/** ScanOptions for walkTreeInWorker: the same, with the exclude matcher given by what builds it. */
export interface WorkerScanOptions extends Omit<ScanOptions, 'exclude'> {
  exclude?: ExcludeRules;
}

/** What the worker is started with (structured-cloned). */
export interface WalkWorkerData {
  root: string;
  exclude: ExcludeRules;
  oneFileSystem: boolean;
  /** Int32 at index 0: batches the calling thread has finished with. */
  taken: SharedArrayBuffer;
}

/** What the worker posts: batches in walk order, then `done` or `error`. */
export type WalkMessage =
  | { kind: 'batch'; batch: WalkBatch }
  | { kind: 'done' }
  /** `code` when the walk threw a BackupError (DATA_DIR_MISSING, CONFIG_INVALID, …). */
  | { kind: 'error'; code?: ErrorCode; message: string; subject?: string; stack?: string };

/** walkTree's contract, with the walk on a worker thread (see the top of this file). */
export function walkTreeInWorker(root: string, opts: WorkerScanOptions, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): Promise<void> {
  try {
    throwIfAborted(opts.signal);
  } catch (err) {
    return Promise.reject(asError(err));
  }
  const taken = new SharedArrayBuffer(4);
  const data: WalkWorkerData = { root, exclude: opts.exclude ?? { patterns: [], own: [] }, oneFileSystem: opts.oneFileSystem ?? false, taken };
  return receiveWalk(startWorker(import.meta.url, 'walk-worker', data), taken, opts, onEntry, onUnreadable);
}

/**
 * Takes what a walk worker posts until it says `done`, and ends it. Rejects with the walk's
 * error, with ABORTED on abort, and with INTERNAL when the worker fails or stops first, or
 * when onEntry or onUnreadable throws (then with that error).
 */
export function receiveWalk(worker: Worker, taken: SharedArrayBuffer, opts: Omit<WorkerScanOptions, 'exclude' | 'oneFileSystem'>, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): Promise<void> {
  const takenCount = new Int32Array(taken);
  const sink = callerSink(opts, onEntry, onUnreadable);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      worker.removeAllListeners('message');
      void worker.terminate();
      if (err === undefined) resolve();
      else reject(asError(err));
    };
    const onAbort = () => {
      try {
        throwIfAborted(opts.signal);
      } catch (err) {
        finish(err);
      }
    };
    opts.signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: WalkMessage) => {
      if (settled) return;
      try {
        if (m.kind === 'batch') {
          readWalkBatch(m.batch, sink);
          Atomics.add(takenCount, 0, 1);
          Atomics.notify(takenCount, 0);
        } else if (m.kind === 'done') {
          sink.end();
          finish();
        } else if (m.code) {
          finish(new BackupError(m.code, m.message, { subject: m.subject }));
        } else {
          finish(new BackupError('INTERNAL', `the scan failed in its worker thread: ${m.message}`, { cause: Object.assign(new Error(m.message), { stack: m.stack }) }));
        }
      } catch (err) {
        finish(err);
      }
    });
    worker.on('error', (err) => finish(new BackupError('INTERNAL', `the scan's worker thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => finish(new BackupError('INTERNAL', `the scan's worker thread stopped (exit code ${code}) before the walk was complete`)));
  });
}
