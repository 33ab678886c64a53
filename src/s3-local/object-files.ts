/**
 * Object bytes on disk, under the server's data directory:
 *
 *   s3/tmp/                 bodies being received (emptied at startup)
 *   s3/data/<dataId>/<file>  the files of one object, or the parts of one open
 *                           multipart upload (its dataId is the upload ID; when the
 *                           upload completes, the object keeps the directory)
 *
 * Every file gets a fresh random name, so a re-uploaded part or an overwritten
 * object never replaces a file a row still points to. Bodies are written to tmp/
 * and renamed into place before the metadata refers to them; files no row refers
 * to (a crash between the two steps, or after a commit and before a removal) are
 * removed by the startup sweep.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ChunkRow } from './s3-store.js';

/** File layout of the S3 side of one data directory. Methods reject with Node system errors. */
export class ObjectFiles {
  private readonly root: string;

  constructor(serverDir: string) {
    this.root = join(serverDir, 's3');
  }

  /** Creates the directories and empties tmp/. */
  async init(): Promise<void> {
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    for (const d of ['tmp', 'data']) await mkdir(join(this.root, d), { recursive: true });
  }

  /** A fresh path under tmp/. */
  tmpPath(): string {
    return join(this.root, 'tmp', newFileName());
  }

  /** Moves a received body into the data directory `dataId` (created if missing) under a fresh name; returns that name. */
  async commit(dataId: string, tmpFile: string): Promise<string> {
    const dir = join(this.root, 'data', dataId);
    await mkdir(dir, { recursive: true });
    const name = newFileName();
    await rename(tmpFile, join(dir, name));
    return name;
  }

  /** Removes one file of a data directory; absent is fine. */
  async removeFile(dataId: string, file: string): Promise<void> {
    await rm(join(this.root, 'data', dataId, file), { force: true });
  }

  /** Removes a data directory; absent is fine. */
  async removeData(dataId: string): Promise<void> {
    await rm(join(this.root, 'data', dataId), { recursive: true, force: true });
  }

  /** A stream of bytes [start, end] (inclusive) of the object made of `chunks` (in order). */
  readRange(dataId: string, chunks: readonly ChunkRow[], start: number, end: number): Readable {
    const dir = join(this.root, 'data', dataId);
    async function* bytes(): AsyncGenerator<Buffer> {
      let chunkStart = 0;
      for (const chunk of chunks) {
        const chunkEnd = chunkStart + chunk.size - 1;
        if (chunkEnd >= start && chunkStart <= end && chunk.size > 0) {
          const stream = createReadStream(join(dir, chunk.file), {
            start: Math.max(start, chunkStart) - chunkStart,
            end: Math.min(end, chunkEnd) - chunkStart,
            highWaterMark: 256 * 1024,
          });
          for await (const data of stream) yield data as Buffer;
        }
        chunkStart += chunk.size;
        if (chunkStart > end) break;
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  /** Removes data directories and files that no object or open upload refers to. */
  async sweep(live: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const data = join(this.root, 'data');
    for (const dataId of await readdir(data)) {
      const files = live.get(dataId);
      if (!files) {
        await rm(join(data, dataId), { recursive: true, force: true });
        continue;
      }
      for (const name of await readdir(join(data, dataId))) {
        if (!files.has(name)) await rm(join(data, dataId, name), { force: true });
      }
    }
  }
}

function newFileName(): string {
  return randomBytes(12).toString('base64url');
}
