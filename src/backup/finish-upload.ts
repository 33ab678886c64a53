/**
 * Takes a committed archive the rest of the way: upload it (resuming any multipart
 * upload the journal recorded), record the archive ID, then keep or drop the staged file.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Db } from '../catalog/open-catalog.js';
import { updateArchive, type ArchiveRecord, type Store } from '../catalog/archive-store.js';
import { clearUpload, uploadJournal } from '../catalog/upload-journal-store.js';
import { BackupError } from '../errors.js';
import { decodeDescription } from '../storage/archive-description.js';
import type { Backend, PutRequest, Stored, UploadSource } from '../storage/backend.js';
import { placeLocalCopy } from './place-local-copy.js';

/** Where an archive goes after staging. */
export interface Placement {
  keepLocalCopy: boolean;
  localDir: string;
}

/** Uploads a pending archive and records the result; returns what the backend stored. */
export async function finishUpload(
  db: Db,
  backend: Backend,
  a: ArchiveRecord,
  opts: { placement: Placement; signal: AbortSignal; source?: UploadSource; onProgress?: PutRequest['onProgress'] },
): Promise<Stored> {
  const path = a.stagedPath ?? a.localPath;
  if (!path || !existsSync(path)) {
    throw new BackupError('IO', `archive ${a.seq} (${a.fileName}) is pending upload but its file is gone from ${path ?? 'staging'}; run "backup run --full" to start a new chain`, { subject: a.fileName });
  }
  const meta = decodeDescription(a.description);
  if (!meta) throw new BackupError('INTERNAL', `archive ${a.seq} has no valid description`);
  const done = await backend.put({
    path,
    meta,
    expectedBytes: a.size,
    source: opts.source,
    journal: uploadJournal(db, a.fileName),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  await recordUploaded(db, a, done, opts.placement, backend.info.kind);
  return done;
}

/** Records a finished upload (after checking its tree hash) and settles the staged file. */
export async function recordUploaded(db: Db, a: ArchiveRecord, done: Stored, placement: Placement, store: Store): Promise<void> {
  if (done.treeHash !== a.treeHash) {
    throw new BackupError('CHECKSUM_MISMATCH', `stored tree hash ${done.treeHash} of archive ${a.seq} differs from the local ${a.treeHash}; the staged file may be damaged`);
  }
  db.transaction(() => {
    updateArchive(db, a.seq, { uploadState: 'uploaded', archiveId: done.id, store, uploadedAt: new Date().toISOString(), uploadRequests: done.requests, storageClass: done.storageClass ?? null });
    clearUpload(db, a.fileName);
  })();
  await settleStagedFile(db, { ...a, uploadState: 'uploaded' }, placement);
}

/** Moves a staged archive to the local copy directory, or deletes it once the vault has it. */
export async function settleStagedFile(db: Db, a: ArchiveRecord, placement: Placement): Promise<void> {
  if (!a.stagedPath) return;
  if (placement.keepLocalCopy) {
    const localPath = await placeLocalCopy(a.stagedPath, placement.localDir, a.fileName);
    updateArchive(db, a.seq, { localPath, stagedPath: null });
  } else if (a.uploadState === 'uploaded') {
    updateArchive(db, a.seq, { stagedPath: null });
    await unlink(a.stagedPath).catch(() => undefined);
  }
}
