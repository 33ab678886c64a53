/**
 * Requests to one worker thread and their replies. The thread's module serves them with
 * serveRequests (serve-requests.ts), which answers each request in the order received and
 * says when it is ready.
 *
 * Contract: `ask` may be called many times before any reply is awaited. Each promise
 * settles with the thread's answer to that request, or rejects with the error `failed`
 * makes of the failure the thread reported for it. After the thread itself fails or stops,
 * every pending and later request rejects with one BackupError naming the thread. Every
 * promise `ask` returns is already marked handled, so requests left pending at `close` (which
 * rejects them) raise no unhandled rejection. The thread keeps the process alive only while a
 * request waits for it, or `close` waits for it to end. `close` ends it (idempotent).
 */
import type { Transferable, Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import type { Answer, ReportedFailure } from './serve-requests.js';

export interface WorkerRequestsOptions {
  /** The thread as errors name it: 'the hashing thread'. */
  thread: string;
  /** The error a request rejects with when the thread reports that answering it failed. */
  failed: (failure: ReportedFailure) => Error;
}

/** A worker thread that answers requests of type `Q` with replies of type `A`. */
export class WorkerRequests<Q, A> {
  private readonly waiting: Array<{ resolve: (a: A) => void; reject: (e: Error) => void }> = [];
  private isReady = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly opts: WorkerRequestsOptions,
  ) {
    worker.on('message', (m: Answer<A> | 'ready') => this.settle(m));
    worker.on('error', (err) => this.fail(new BackupError('INTERNAL', `${opts.thread} failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.closed || this.fail(new BackupError('INTERNAL', `${opts.thread} stopped (exit code ${code})`)));
    worker.unref();
  }

  /** True once the thread has loaded and takes requests (a request made before waits for it). */
  get ready(): boolean {
    return this.isReady && !this.failure;
  }

  /** Sends `request` (the `transfer` objects are handed over, unusable here afterwards); resolves with the thread's answer. */
  ask(request: Q, transfer?: readonly Transferable[]): Promise<A> {
    const reply = new Promise<A>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiting.push({ resolve, reject });
    });
    reply.catch(() => undefined);
    if (!this.failure) {
      this.worker.ref();
      this.worker.postMessage(request, transfer);
    }
    return reply;
  }

  /** Ends the thread; pending requests reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // an idle thread is unref'd: without this the process could exit while close waits for
    // the thread to end, and it stays ref'd however the pending requests settle meanwhile
    this.worker.ref();
    await this.worker.terminate();
    this.fail(new BackupError('INTERNAL', `${this.opts.thread} was closed`));
  }

  private settle(m: Answer<A> | 'ready'): void {
    if (m === 'ready') this.isReady = true;
    else {
      const w = this.waiting.shift();
      if ('answer' in m) w?.resolve(m.answer);
      else w?.reject(this.opts.failed(m.failure));
    }
    if (this.waiting.length === 0 && !this.closed) this.worker.unref();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
    if (!this.closed) this.worker.unref();
  }
}
