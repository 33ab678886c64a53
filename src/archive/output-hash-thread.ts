/**
 * A worker thread (output-hash-worker.ts) that takes the two SHA-256 passes over each member
 * of a BlockGzipWriter's output (the member's own hash, and the stream's tree hash) off the
 * writer's thread, where they were a third of the CPU of writing photos. The thread reads
 * the members in shared memory (sharedBuffer): a member from elsewhere (a deflated one, a
 * fraction of its input) is copied into a shared buffer first.
 *
 * Contract: `start` once; requests are made only once `ready` is true, and are answered in
 * order; every buffer passed must stay unchanged until its request resolves. `close` ends
 * the thread (idempotent); a thread left running keeps the process alive only while a
 * request waits for it. After the thread fails, every pending and later request rejects
 * with the same error.
 */
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import { MiB } from '../treehash/tree-hash.js';
import type { HashReply, HashRequest, SharedSlice } from './output-hash-worker.js';

/** A buffer in shared memory, which the hashing thread reads without a copy. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

const isShared = (b: Buffer) => b.buffer instanceof SharedArrayBuffer;
const slice = (b: Buffer): SharedSlice => ({ buffer: b.buffer as SharedArrayBuffer, offset: b.byteOffset, length: b.length });

/** The hashing thread of one output stream. */
export class OutputHashThread {
  private thread: WorkerRequests<HashRequest, HashReply> | undefined;
  private closed = false;
  /** Shared buffers that pieces outside shared memory are copied into, reused once answered. */
  private readonly scratch: Buffer[] = [];

  /** Starts the thread (it takes ~50 ms to be ready); a second call does nothing. */
  start(): void {
    if (this.thread || this.closed) return;
    this.thread = new WorkerRequests(startWorker(import.meta.url, 'output-hash-worker'), {
      thread: 'the hashing thread',
      failed: (f) => new BackupError('INTERNAL', `the hashing thread failed: ${f.message}`, { cause: f }),
    });
  }

  /** True once the thread takes requests. */
  get ready(): boolean {
    return this.thread?.ready ?? false;
  }

  /** Feeds `piece`, the stream's next member, from `treeFrom` on to the tree hash; resolves with the piece's SHA-256. */
  async piece(piece: Buffer, treeFrom: number): Promise<string> {
    let copy: Buffer | undefined;
    let shared = piece;
    if (!isShared(piece)) {
      const i = this.scratch.findIndex((b) => b.length >= piece.length);
      copy = i < 0 ? sharedBuffer(Math.max(piece.length, MiB + 64 * 1024)) : this.scratch.splice(i, 1)[0];
      piece.copy(copy);
      shared = copy.subarray(0, piece.length);
    }
    const r = (await this.ask({ op: 'piece', piece: slice(shared), treeFrom })) as { sha256: string };
    if (copy) this.scratch.push(copy);
    return r.sha256;
  }

  /** The leaf digests of the tree hash of every piece fed (none when no bytes were). */
  async end(): Promise<Buffer[]> {
    const r = (await this.ask({ op: 'end' })) as { leaves: Uint8Array[] };
    return r.leaves.map((l) => Buffer.from(l.buffer, l.byteOffset, l.length));
  }

  /** Ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await this.thread?.close();
  }

  private ask(request: HashRequest): Promise<HashReply> {
    if (!this.thread) return Promise.reject(new BackupError('INTERNAL', 'the hashing thread was not started'));
    return this.thread.ask(request);
  }
}
