/**
 * Reader threads for the archive writer: each batch of small files is read on one of them
 * (round robin) while the writer's thread appends earlier batches to the gzip stream and
 * records members. Contract: `read` may be called many times before any result is awaited
 * (the caller bounds how many batches are out, which bounds memory); each promise settles
 * with that batch's members or rejects with a BackupError. After a thread fails, every
 * pending and later `read` rejects. `close` must be called (it ends the threads; pending
 * reads then reject, and their promises are already marked handled).
 */
import type { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import type { SmallFileBatch, SmallFilesRead } from './read-small-files.js';

type Reply = { id: number; read: SmallFilesRead } | { id: number; error: { message: string; code?: string } };

/** Threads that read batches of small files under one data directory. */
export class ReadPool {
  private readonly threads: Worker[];
  private readonly waiting = new Map<number, { resolve: (r: SmallFilesRead) => void; reject: (e: Error) => void }>();
  private sent = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(root: string, threads: number) {
    this.threads = Array.from({ length: threads }, () => {
      const w = startWorker(import.meta.url, 'read-worker', { root });
      w.on('message', (m: Reply) => this.settle(m));
      w.on('error', (err) => this.fail(new BackupError('INTERNAL', `a reader thread failed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => this.closing || this.fail(new BackupError('INTERNAL', `a reader thread stopped (exit code ${code})`)));
      return w;
    });
  }

  /** Reads `batch` on the next thread; its typed arrays are handed over (unusable here afterwards). */
  read(batch: SmallFileBatch): Promise<SmallFilesRead> {
    const id = this.sent++;
    const p = new Promise<SmallFilesRead>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiting.set(id, { resolve, reject });
    });
    p.catch(() => undefined);
    if (!this.failure) {
      const buffers = [batch.sizes.buffer, batch.devs.buffer, batch.inos.buffer, batch.mtimes.buffer, batch.ctimes.buffer] as ArrayBuffer[];
      this.threads[id % this.threads.length].postMessage({ id, batch }, buffers);
    }
    return p;
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((w) => w.terminate()));
    this.fail(new BackupError('INTERNAL', 'the reader threads were closed'));
  }

  private settle(m: Reply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if ('read' in m) w.resolve(m.read);
    else w.reject(new BackupError('IO', `reading a file failed: ${m.error.message}`, { cause: m.error }));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
