/**
 * A file that may still be being written: answers "are bytes [0, end) on disk yet?" and
 * reads exact ranges. Pipelined uploads send a part as soon as its bytes are there.
 *
 * Waiting is by polling `bytesOnDisk()` every `pollMs` (default 50 ms), woken early when the
 * writer's `done` settles. Polling was chosen over a flush event because the writer (a
 * tar → gzip → file pipeline) has no single place that knows when bytes reached the file;
 * a 50 ms tick costs nothing next to a part's transfer time and never busy-loops.
 */
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { asError, BackupError, fromSystemError, throwIfAborted } from '../errors.js';

/** The writer's side of a file still being written. */
export interface UploadSource {
  /** Bytes of the file already written and readable (monotonic). */
  bytesOnDisk(): number;
  /** Resolves when the file is complete with its final size and tree hash; rejects if writing failed. */
  done: Promise<{ size: number; treeHash: string }>;
}

/** The final state of a complete file; `treeHash` is the writer's, when there is a writer. */
export interface CompleteFile {
  size: number;
  treeHash?: string;
}

/** Read access to a possibly-growing file; the caller owns (and closes) the handle. */
export class GrowingFile {
  private completed: CompleteFile | null = null;
  private failed: unknown = null;
  private readonly settled: Promise<void>;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly source: UploadSource | undefined,
    private readonly pollMs: number,
  ) {
    if (!source) {
      this.settled = Promise.resolve();
    } else {
      this.settled = source.done.then(
        (d) => {
          this.completed = { size: d.size, treeHash: d.treeHash };
        },
        (err: unknown) => {
          this.failed = err;
        },
      );
    }
  }

  /** Wraps an open handle; without a source the file is complete at its current size. */
  static async open(fh: FileHandle, path: string, source?: UploadSource, pollMs = 50): Promise<GrowingFile> {
    const f = new GrowingFile(fh, path, source, pollMs);
    if (!source) {
      const st = await fh.stat().catch((err: unknown) => {
        throw fromSystemError(err, path);
      });
      f.completed = { size: st.size };
    }
    return f;
  }

  /** The complete file's size and hash, or null while it is still being written. */
  get complete(): CompleteFile | null {
    this.throwIfFailed();
    return this.completed;
  }

  /**
   * Waits until bytes [0, end) are on disk or the file is complete; returns how many of them
   * exist (end, or the final size when that is smaller).
   */
  async waitFor(end: number, signal?: AbortSignal): Promise<number> {
    for (;;) {
      throwIfAborted(signal);
      this.throwIfFailed();
      if (this.completed) return Math.min(end, this.completed.size);
      if (this.source!.bytesOnDisk() >= end) return end;
      const tick = sleep(this.pollMs, undefined, { signal }).catch(() => undefined);
      await Promise.race([tick, this.settled]);
    }
  }

  /** Waits for the writer to finish. */
  async whenComplete(signal?: AbortSignal): Promise<CompleteFile> {
    await this.waitFor(Number.MAX_SAFE_INTEGER, signal);
    return this.completed!;
  }

  /** Reads exactly `length` bytes at `position` into `into` (or a new buffer) and returns them. */
  async read(position: number, length: number, into?: Buffer): Promise<Buffer> {
    const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    if (buf.length !== length) throw new RangeError(`read of ${length} bytes into a ${into?.length}-byte buffer`);
    let got = 0;
    while (got < length) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(buf, got, length - got, position + got));
      } catch (err) {
        throw fromSystemError(err, this.path);
      }
      if (n === 0) throw new BackupError('IO', `${this.path} is shorter than expected (${position + got} bytes, needed ${position + length}); was it changed while uploading?`, { subject: this.path });
      got += n;
    }
    return buf;
  }

  private throwIfFailed(): void {
    if (this.failed !== null) {
      const err = this.failed;
      throw err instanceof BackupError ? err : new BackupError('IO', `writing ${this.path} failed: ${asError(err).message}`, { cause: err, subject: this.path });
    }
  }
}
