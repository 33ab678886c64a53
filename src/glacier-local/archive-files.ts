/**
 * Archive bytes on disk, under the server's data directory:
 *
 *   tmp/                          uploads in flight (emptied at startup)
 *   uploads/<uploadId>/<i>-<hash>  part i of an open multipart upload, and <i>-<hash>.tree
 *   archives/<archiveId>/<i>-<hash> chunk i of an archive (a multipart upload's directory
 *                                  is renamed here on completion; a single upload has chunk 0)
 *   jobs/<jobId>.out               inventory job output
 *
 * A chunk file is named after its index and tree hash, so a re-uploaded part never
 * overwrites the file a recorded part points to; `.tree` files hold the chunk's 1 MiB
 * leaf digests (32 bytes each) so tree hashes of aligned ranges need no re-reading.
 * Files are written to tmp/ and renamed into place.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomId } from './glacier-ids.js';
import { MiB } from '../treehash/tree-hash.js';

/** A chunk of an archive (or a part of an upload) as the metadata records it. */
export interface ChunkRef {
  idx: number;
  size: number;
  treeHash: string;
}

const DIGEST = 32;

/** File layout of one data directory. Methods reject with Node system errors. */
export class ArchiveFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Creates the directories and empties tmp/. */
  async init(): Promise<void> {
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    for (const d of ['tmp', 'uploads', 'archives', 'jobs']) await mkdir(join(this.root, d), { recursive: true });
  }

  /** A fresh path under tmp/. */
  tmpPath(): string {
    return join(this.root, 'tmp', randomId(24));
  }

  /** Directory of an open upload's parts. */
  uploadDir(uploadId: string): string {
    return join(this.root, 'uploads', uploadId);
  }

  /** Directory of an archive's chunks. */
  archiveDir(archiveId: string): string {
    return join(this.root, 'archives', archiveId);
  }

  /** File holding an inventory job's output. */
  jobOutputPath(jobId: string): string {
    return join(this.root, 'jobs', `${jobId}.out`);
  }

  /** Creates the directory a new upload's parts go to. */
  async createUploadDir(uploadId: string): Promise<void> {
    await mkdir(this.uploadDir(uploadId), { recursive: true });
  }

  /** Moves a received part (data in `tmpData`) and its leaf digests into the upload's directory. */
  async commitPart(uploadId: string, chunk: ChunkRef, tmpData: string, leaves: readonly Buffer[]): Promise<void> {
    await this.commitChunk(this.uploadDir(uploadId), chunk, tmpData, leaves);
  }

  /** Removes a part's files (after it was replaced by a different upload of the same range). */
  async removePart(uploadId: string, chunk: ChunkRef): Promise<void> {
    const base = join(this.uploadDir(uploadId), chunkName(chunk));
    await rm(base, { force: true });
    await rm(`${base}.tree`, { force: true });
  }

  /** Creates an archive directory holding one chunk (a single-request upload). */
  async commitSingleArchive(archiveId: string, chunk: ChunkRef, tmpData: string, leaves: readonly Buffer[]): Promise<void> {
    const staging = this.tmpPath();
    await mkdir(staging);
    await this.commitChunk(staging, chunk, tmpData, leaves);
    await rename(staging, this.archiveDir(archiveId));
  }

  /** Turns a completed upload's directory into the archive's. */
  async promoteUpload(uploadId: string, archiveId: string): Promise<void> {
    await rename(this.uploadDir(uploadId), this.archiveDir(archiveId));
  }

  /** Removes an archive's data; absent data is fine. */
  async removeArchive(archiveId: string): Promise<void> {
    await rm(this.archiveDir(archiveId), { recursive: true, force: true });
  }

  /** Removes an upload's parts; absent parts are fine. */
  async removeUpload(uploadId: string): Promise<void> {
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  /** Removes an inventory job's output; absent output is fine. */
  async removeJobOutput(jobId: string): Promise<void> {
    await rm(this.jobOutputPath(jobId), { force: true });
  }

  /** Writes an inventory job's output. */
  async writeJobOutput(jobId: string, content: string): Promise<void> {
    const tmp = this.tmpPath();
    await writeFile(tmp, content);
    await rename(tmp, this.jobOutputPath(jobId));
  }

  /**
   * A stream of bytes [start, end] (inclusive) of an archive whose chunks are
   * `chunks` (in order, every one but the last `chunkSize` bytes long).
   */
  readRange(archiveId: string, chunks: readonly ChunkRef[], chunkSize: number, start: number, end: number): Readable {
    const dir = this.archiveDir(archiveId);
    async function* bytes(): AsyncGenerator<Buffer> {
      for (const chunk of chunks) {
        const chunkStart = chunk.idx * chunkSize;
        const chunkEnd = chunkStart + chunk.size - 1;
        if (chunkEnd < start) continue;
        if (chunkStart > end) break;
        const stream = createReadStream(join(dir, chunkName(chunk)), {
          start: Math.max(start, chunkStart) - chunkStart,
          end: Math.min(end, chunkEnd) - chunkStart,
          highWaterMark: 256 * 1024,
        });
        for await (const data of stream) yield data as Buffer;
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  /** The 1 MiB leaf digests number `first`..`last` (inclusive) of an archive. */
  async leafDigests(archiveId: string, chunks: readonly ChunkRef[], chunkSize: number, first: number, last: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    const leavesPerChunk = Math.max(1, Math.floor(chunkSize / MiB));
    let leaf = first;
    while (leaf <= last) {
      const chunkIdx = Math.floor((leaf * MiB) / chunkSize);
      const chunk = chunks[chunkIdx];
      if (!chunk || chunk.idx !== chunkIdx) throw new Error(`archive ${archiveId} has no chunk ${chunkIdx}`);
      const local = leaf - chunkIdx * leavesPerChunk;
      const chunkLeaves = Math.max(1, Math.ceil(chunk.size / MiB));
      const count = Math.min(last - leaf + 1, chunkLeaves - local);
      const fh = await open(join(this.archiveDir(archiveId), `${chunkName(chunk)}.tree`), 'r');
      try {
        const buf = Buffer.alloc(count * DIGEST);
        const { bytesRead } = await fh.read(buf, 0, buf.length, local * DIGEST);
        if (bytesRead !== buf.length) throw new Error(`leaf digests of archive ${archiveId} chunk ${chunkIdx} are truncated`);
        for (let i = 0; i < count; i++) out.push(buf.subarray(i * DIGEST, (i + 1) * DIGEST));
      } finally {
        await fh.close();
      }
      leaf += count;
    }
    return out;
  }

  /** Removes directories and files no metadata refers to (left by a crash between a rename and a commit). */
  async sweep(live: { archives: Set<string>; uploads: Set<string>; inventoryJobs: Set<string> }): Promise<void> {
    for (const name of await readdir(join(this.root, 'archives'))) {
      if (!live.archives.has(name)) await rm(join(this.root, 'archives', name), { recursive: true, force: true });
    }
    for (const name of await readdir(join(this.root, 'uploads'))) {
      if (!live.uploads.has(name)) await rm(join(this.root, 'uploads', name), { recursive: true, force: true });
    }
    for (const name of await readdir(join(this.root, 'jobs'))) {
      if (!live.inventoryJobs.has(name.replace(/\.out$/, ''))) await rm(join(this.root, 'jobs', name), { force: true });
    }
  }

  private async commitChunk(dir: string, chunk: ChunkRef, tmpData: string, leaves: readonly Buffer[]): Promise<void> {
    const base = join(dir, chunkName(chunk));
    const tmpTree = this.tmpPath();
    await writeFile(tmpTree, Buffer.concat(leaves));
    await rename(tmpTree, `${base}.tree`);
    await rename(tmpData, base);
  }
}

/** File name of a chunk: index and tree hash. */
export function chunkName(chunk: ChunkRef): string {
  return `${chunk.idx}-${chunk.treeHash}`;
}
