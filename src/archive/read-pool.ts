/**
 * Reader threads for the archive writer: each batch of small files is read on one of them
 * (round robin) while the writer's thread appends earlier batches to the gzip stream and
 * records members. Contract: `read` may be called many times before any result is awaited
 * (the caller bounds how many batches are out, which bounds memory); each promise settles
 * with that batch's members or rejects with a BackupError. After a thread fails, every
 * pending and later `read` on it rejects. `close` must be called (it ends the threads;
 * pending reads then reject, and their promises are already marked handled).
 */
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import type { SmallFileBatch, SmallFilesRead } from './read-small-files.js';

/** Threads that read batches of small files under one data directory. */
export class ReadPool {
  private readonly threads: Array<WorkerRequests<SmallFileBatch, SmallFilesRead>>;
  private sent = 0;

  constructor(root: string, threads: number) {
    this.threads = Array.from(
      { length: threads },
      () =>
        new WorkerRequests<SmallFileBatch, SmallFilesRead>(startWorker(import.meta.url, 'read-worker', { root }), {
          thread: 'a reader thread',
          failed: (f) => new BackupError('IO', `reading a file failed: ${f.message}`, { cause: f }),
        }),
    );
  }

  /** Reads `batch` on the next thread; its typed arrays are handed over (unusable here afterwards). */
  read(batch: SmallFileBatch): Promise<SmallFilesRead> {
    const buffers = [batch.sizes.buffer, batch.devs.buffer, batch.inos.buffer, batch.mtimes.buffer, batch.ctimes.buffer] as ArrayBuffer[];
    return this.threads[this.sent++ % this.threads.length].ask(batch, buffers);
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
