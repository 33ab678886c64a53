/**
 * After a successful run, a consistent copy of the catalog (SQLite online backup,
 * gzip-compressed) goes to the vault as an archive of kind "catalog", so a machine that
 * lost its state directory can rebuild everything from the vault's inventory. With
 * encryption the snapshot is an age file (`….db.gz.age`) for the same recipients as the
 * archives; its tree hash is over the ciphertext.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Db } from '../catalog/open-catalog.js';
import { nextSeq } from '../catalog/archive-store.js';
import { recordCatalogSnapshot } from '../catalog/inventory-store.js';
import { clearUpload, uploadJournal } from '../catalog/upload-journal-store.js';
import { TreeHasher } from '../treehash/tree-hash.js';
import { encodeDescription, type ArchiveDescription } from '../storage/archive-description.js';
import type { Backend } from '../storage/backend.js';
import type { AgeRecipient } from '../age/age-keys.js';
import { encryptToFile } from '../age/encrypt-to-file.js';

/** Uploads a snapshot of the catalog; returns its archive ID. */
export async function uploadCatalogSnapshot(db: Db, backend: Backend, opts: { set: string; stagingDir: string; signal: AbortSignal; now: Date; encryptTo?: readonly AgeRecipient[] }): Promise<string> {
  const stamp = opts.now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const fileName = `${opts.set}-catalog-${stamp}.db.gz${opts.encryptTo ? '.age' : ''}`;
  const dbCopy = join(opts.stagingDir, `${fileName}.sqlite`);
  const gzPath = join(opts.stagingDir, fileName);
  try {
    await db.backup(dbCopy);
    let size: number;
    let treeHash: string;
    if (opts.encryptTo) {
      const gz = createGzip({ level: 9 });
      createReadStream(dbCopy).on('error', (err) => gz.destroy(err)).pipe(gz);
      ({ size, treeHash } = await encryptToFile(gz, gzPath, opts.encryptTo));
    } else {
      const hasher = new TreeHasher();
      await pipeline(createReadStream(dbCopy), createGzip({ level: 9 }), async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          hasher.update(chunk);
          yield chunk;
        }
      }, createWriteStream(gzPath));
      size = hasher.size;
      treeHash = hasher.digest();
    }
    const latestSeq = nextSeq(db) - 1;
    const meta: ArchiveDescription = { kind: 'catalog', host: hostname(), set: opts.set, seq: latestSeq, level: 0, parentSeq: null, createdAt: opts.now, fileName, treeHash, size };
    const description = encodeDescription(meta);
    const done = await backend.put({ path: gzPath, meta, expectedBytes: size, journal: uploadJournal(db, fileName), signal: opts.signal });
    db.transaction(() => {
      recordCatalogSnapshot(db, { createdAt: opts.now.toISOString(), archiveId: done.id, size, treeHash, description, store: backend.info.kind, storageClass: done.storageClass ?? null });
      clearUpload(db, fileName);
    })();
    return done.id;
  } finally {
    await rm(dbCopy, { force: true });
    await rm(gzPath, { force: true });
  }
}
