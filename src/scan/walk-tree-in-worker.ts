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
 * tree, however fast the walk is; until the first batch is taken it may post START_IN_FLIGHT,
 * so a walk started before the run has set up (startWalkInWorker) gets that far ahead. The
 * worker is ended when the walk is done, fails or is aborted, or when whoever started it
 * ends it unread; a worker that stops without saying the walk is complete is an INTERNAL
 * error, never a short scan.
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
/** The same, until the calling thread takes the first batch: about 130 bytes a record, so a few MiB. */
export const START_IN_FLIGHT = 32;

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

/** What receive takes: ScanOptions less what the walk was started with. */
export type ReceiveOptions = Omit<WorkerScanOptions, 'exclude' | 'oneFileSystem'>;

/**
 * A walk running on a worker thread, started before its findings are wanted: what the worker
 * posts in the meantime waits here, in order. Whoever starts one owns it: it takes the
 * findings with `receive` (once) or calls `end`, which stops the worker whatever receive
 * was doing; a walk neither received to the end nor ended keeps its thread, and the process,
 * alive.
 */
export interface StartedWalk {
  /** What the walk leaves out. */
  readonly exclude: ExcludeRules;
  /** Takes the findings, walkTree's contract (see the top of this file); ends the worker when the walk is done, fails or is aborted. */
  receive(opts: ReceiveOptions, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): Promise<void>;
  /** Stops the worker unless it has stopped already, and waits until it has. Idempotent. */
  end(): Promise<void>;
}

/** Starts walking `root` on a worker thread; the findings wait until `receive` takes them. */
export function startWalkInWorker(root: string, opts: { exclude?: ExcludeRules; oneFileSystem?: boolean }): StartedWalk {
  const taken = new SharedArrayBuffer(4);
  const exclude = opts.exclude ?? { patterns: [], own: [] };
  const data: WalkWorkerData = { root, exclude, oneFileSystem: opts.oneFileSystem ?? false, taken };
  return walkOnWorker(startWorker(import.meta.url, 'walk-worker', data), taken, exclude);
}

/** walkTree's contract, with the walk on a worker thread (see the top of this file). */
export function walkTreeInWorker(root: string, opts: WorkerScanOptions, onEntry: (e: TreeEntry) => void, onUnreadable: (path: string) => void): Promise<void> {
  try {
    throwIfAborted(opts.signal);
  } catch (err) {
    return Promise.reject(asError(err));
  }
  return startWalkInWorker(root, opts).receive(opts, onEntry, onUnreadable);
}

/** What the worker thread told: a message, or that it failed or stopped. */
type WorkerEvent = WalkMessage | { kind: 'failed'; err: Error } | { kind: 'exit'; code: number };

/**
 * The StartedWalk of a walk worker already running (`taken` is the one it was given). Its
 * events are listened to from here on, so none is lost before receive. receive rejects with
 * the walk's error, with ABORTED on abort, and with INTERNAL when the worker fails or stops
 * first, or when onEntry or onUnreadable throws (then with that error).
 */
export function walkOnWorker(worker: Worker, taken: SharedArrayBuffer, exclude: ExcludeRules): StartedWalk {
  const takenCount = new Int32Array(taken);
  const early: WorkerEvent[] = [];
  let take: ((ev: WorkerEvent) => void) | undefined;
  let ended: Promise<void> | undefined;
  const event = (ev: WorkerEvent) => {
    if (ended) return;
    if (take) take(ev);
    else early.push(ev);
  };
  worker.on('message', (m: WalkMessage) => event(m));
  worker.on('error', (err) => event({ kind: 'failed', err }));
  worker.on('exit', (code) => event({ kind: 'exit', code }));
  const end = () => {
    if (!ended) {
      early.length = 0;
      // terminate() resolves once the thread has stopped (at once if it already had)
      ended = worker.terminate().then(() => undefined);
    }
    return ended;
  };
  return {
    exclude,
    end,
    receive(opts, onEntry, onUnreadable) {
      if (take || ended) return Promise.reject(new BackupError('INTERNAL', 'a walk is received once, and not after it was ended'));
      const sink = callerSink(opts, onEntry, onUnreadable);
      return new Promise((resolve, reject) => {
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          opts.signal?.removeEventListener('abort', onAbort);
          void end();
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
        take = (ev) => {
          if (settled) return;
          try {
            if (ev.kind === 'batch') {
              readWalkBatch(ev.batch, sink);
              Atomics.add(takenCount, 0, 1);
              Atomics.notify(takenCount, 0);
            } else if (ev.kind === 'done') {
              sink.end();
              finish();
            } else if (ev.kind === 'failed') {
              finish(new BackupError('INTERNAL', `the scan's worker thread failed: ${ev.err.message}`, { cause: ev.err }));
            } else if (ev.kind === 'exit') {
              finish(new BackupError('INTERNAL', `the scan's worker thread stopped (exit code ${ev.code}) before the walk was complete`));
            } else if (ev.code) {
              finish(new BackupError(ev.code, ev.message, { subject: ev.subject }));
            } else {
              finish(new BackupError('INTERNAL', `the scan failed in its worker thread: ${ev.message}`, { cause: Object.assign(new Error(ev.message), { stack: ev.stack }) }));
            }
          } catch (err) {
            finish(err);
          }
        };
        onAbort();
        if (settled) return;
        opts.signal?.addEventListener('abort', onAbort);
        for (const ev of early.splice(0)) take(ev);
      });
    },
  };
}
