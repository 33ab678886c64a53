/**
 * A thread that hashes blocks of files this thread holds open (hash-worker.ts), so that a
 * restore's check of its local copies runs while this thread loads the catalog's tree.
 * Contract: `check` may be called many times before any result is awaited; requests are
 * served one after the other, in order. Each promise settles with the index of the first
 * block that does not match, or null, or rejects with a BackupError (a failing read, or
 * the thread failing, after which every pending and later check rejects). The descriptor
 * must stay open until its check settles. `close` ends the thread (pending checks then
 * reject, and their promises are already marked handled).
 */
import type { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import type { BlockCheck } from './verify-blocks.js';

/** What the thread is asked: the blocks `checks` of the file open as `fd`. */
export interface HashRequest {
  id: number;
  fd: number;
  checks: readonly BlockCheck[];
}

/** What the thread answers for one request. */
export type HashReply = { id: number; damaged: number | null } | { id: number; error: { message: string; code?: string } };

/** One hashing thread. */
export class BlockHasher {
  private readonly thread: Worker;
  private readonly waiting = new Map<number, { resolve: (damaged: number | null) => void; reject: (e: Error) => void }>();
  private sent = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor() {
    this.thread = startWorker(import.meta.url, 'hash-worker');
    this.thread.on('message', (m: HashReply) => this.settle(m));
    this.thread.on('error', (err) => this.fail(new BackupError('INTERNAL', `the hashing thread failed: ${err.message}`, { cause: err })));
    this.thread.on('exit', (code) => this.closing || this.fail(new BackupError('INTERNAL', `the hashing thread stopped (exit code ${code})`)));
  }

  /** Hashes `checks` of the open file `fd` on the thread; resolves the index of the first that differs, or null. */
  check(fd: number, checks: readonly BlockCheck[]): Promise<number | null> {
    const id = this.sent++;
    const p = new Promise<number | null>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiting.set(id, { resolve, reject });
    });
    p.catch(() => undefined);
    if (!this.failure) this.thread.postMessage({ id, fd, checks } satisfies HashRequest);
    return p;
  }

  /** Ends the thread. */
  async close(): Promise<void> {
    this.closing = true;
    await this.thread.terminate();
    this.fail(new BackupError('INTERNAL', 'the hashing thread was closed'));
  }

  private settle(m: HashReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if ('damaged' in m) w.resolve(m.damaged);
    else w.reject(new BackupError('IO', `reading a local copy failed: ${m.error.message}`, { cause: m.error }));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
