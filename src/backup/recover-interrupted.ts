/**
 * Cleans up after a run that died (kill -9, power loss): marks its run row interrupted,
 * deletes staging files no committed archive refers to, and aborts multipart uploads of
 * archives that were never committed. Call while holding the run lock. Idempotent.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../catalog/open-catalog.js';
import { stagedPaths } from '../catalog/archive-store.js';
import { markInterruptedRuns } from '../catalog/run-store.js';
import { clearUpload, orphanUploads } from '../catalog/upload-journal-store.js';
import type { Backend } from '../storage/backend.js';

/** What recovery did, for the run log. */
export interface Recovered {
  interruptedRuns: number;
  removedStagingFiles: string[];
  abortedUploads: string[];
}

/** Recovers the state directory; `backend` is needed only when orphan uploads exist. */
export async function recoverInterrupted(db: Db, stagingDir: string, backend: (() => Promise<Backend>) | undefined, now: Date, currentRunId: number): Promise<Recovered> {
  const interruptedRuns = markInterruptedRuns(db, now.toISOString(), currentRunId);
  const referenced = stagedPaths(db);
  const removedStagingFiles: string[] = [];
  let names: string[] = [];
  try {
    names = await readdir(stagingDir);
  } catch {
    names = [];
  }
  for (const name of names) {
    const path = join(stagingDir, name);
    if (referenced.has(path)) continue;
    await unlink(path).catch(() => undefined);
    removedStagingFiles.push(name);
  }
  const abortedUploads: string[] = [];
  const orphans = orphanUploads(db);
  if (orphans.length > 0 && backend) {
    const s = await backend();
    for (const o of orphans) {
      await s.abortUpload(o.uploadId);
      clearUpload(db, o.fileName);
      abortedUploads.push(o.uploadId);
    }
  }
  return { interruptedRuns, removedStagingFiles, abortedUploads };
}
