/**
 * A thread that hashes blocks of files this thread holds open (hash-worker.ts), so that a
 * restore's check of its local copies runs while this thread loads the catalog's tree.
 * Contract (WorkerRequests'): `check` may be called many times before any result is awaited;
 * requests are served one after the other, in order. Each promise settles with the index of
 * the first block that does not match, or null, or rejects with a BackupError (a failing
 * read, or the thread failing, after which every pending and later check rejects). The
 * descriptor must stay open until its check settles. `close` ends the thread (pending
 * checks then reject, and their promises are already marked handled).
 */
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import type { BlockCheck } from './block-check.js';

/** What the thread is asked: the blocks `checks` of the file open as `fd`. */
export interface HashRequest {
  fd: number;
  checks: readonly BlockCheck[];
}

/** One hashing thread. */
export class BlockHasher {
  private readonly thread = new WorkerRequests<HashRequest, number | null>(startWorker(import.meta.url, 'hash-worker'), {
    thread: 'the hashing thread',
    failed: (f) => new BackupError('IO', `reading a local copy failed: ${f.message}`, { cause: f }),
  });

  /** Hashes `checks` of the open file `fd` on the thread; resolves the index of the first that differs, or null. */
  check(fd: number, checks: readonly BlockCheck[]): Promise<number | null> {
    return this.thread.ask({ fd, checks });
  }

  /** Ends the thread. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
