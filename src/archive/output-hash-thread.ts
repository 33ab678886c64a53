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
import type { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
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
  private worker: Worker | undefined;
  private isReady = false;
  private closed = false;
  private readonly replies: Array<{ resolve: (r: HashReply) => void; reject: (e: Error) => void }> = [];
  /** Shared buffers that pieces outside shared memory are copied into, reused once answered. */
  private readonly scratch: Buffer[] = [];
  private failure: Error | undefined;

  /** Starts the thread (it takes ~50 ms to be ready); a second call does nothing. */
  start(): void {
    if (this.worker || this.closed) return;
    const w = startWorker(import.meta.url, 'output-hash-worker');
    w.on('message', (m: HashReply | 'ready') => {
      if (m === 'ready') this.isReady = true;
      else this.replies.shift()?.resolve(m);
      if (this.replies.length === 0) w.unref();
    });
    w.on('error', (err) => this.fail(new BackupError('INTERNAL', `the hashing thread failed: ${err.message}`, { cause: err })));
    w.on('exit', (code) => this.closed || this.fail(new BackupError('INTERNAL', `the hashing thread stopped (exit code ${code})`)));
    w.unref();
    this.worker = w;
  }

  /** True once the thread takes requests. */
  get ready(): boolean {
    return this.isReady && !this.closed;
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
    if (this.closed) return;
    this.closed = true;
    await this.worker?.terminate();
    this.fail(new BackupError('INTERNAL', 'the hashing thread was closed'));
  }

  private ask(request: HashRequest): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<HashReply>((resolve, reject) => this.replies.push({ resolve, reject }));
    this.worker!.ref();
    this.worker!.postMessage(request);
    return reply;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const r of this.replies.splice(0)) r.reject(this.failure);
  }
}
