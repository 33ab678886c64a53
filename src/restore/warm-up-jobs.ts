/**
 * Warm-ups of stored objects (Glacier retrieval jobs, S3 restores) recorded in the catalog's
 * jobs table, so a later invocation reuses a running or finished one instead of paying for a
 * new one. Shared by restore, `check --read-data` and `migrate --to-s3`. A recorded job is
 * asked for its state first: a failed one, or one the service forgot (expired), is replaced by
 * a new warm-up; a downloaded one whose output file is gone is asked too, so its output is
 * read again while the service still has it. Every missing warm-up is started before the
 * caller waits on any, so they all progress together.
 */
import { existsSync } from 'node:fs';
import type { Db } from '../catalog/open-catalog.js';
import type { ArchiveRecord } from '../catalog/archive-store.js';
import { findRetrievalJob, recordJob, updateJob, type JobRecord } from '../catalog/job-store.js';
import { isBackupError } from '../errors.js';
import type { Backend, ByteRange, Tier } from '../storage/backend.js';

/** One object (or byte range of it) and the recorded job that warms it. */
export interface WarmPiece {
  archive: ArchiveRecord;
  range: ByteRange | null;
  job: JobRecord;
}

/** What the warm-ups need; `now` (default the clock) dates the records. */
export interface WarmDeps {
  db: Db;
  backend: Backend;
  log: (line: string) => void;
  now?: () => Date;
}

/** Finds or starts the warm-up of every wanted piece; `started` and `reused` count them. */
export async function warmUpPieces(
  deps: WarmDeps,
  wants: ReadonlyArray<{ archive: ArchiveRecord; range: ByteRange | null }>,
  tier: Tier,
): Promise<{ pieces: WarmPiece[]; started: number; reused: number }> {
  const { db, backend } = deps;
  const out = { pieces: [] as WarmPiece[], started: 0, reused: 0 };
  for (const { archive: a, range } of wants) {
    let job = findRetrievalJob(db, a.archiveId!, range);
    if (job && job.status === 'Downloaded' && !(job.outputPath && existsSync(job.outputPath))) {
      updateJob(db, job.jobId, { status: 'Succeeded', outputPath: null });
      job = { ...job, status: 'Succeeded', outputPath: null };
    }
    if (job && job.status !== 'Downloaded') {
      const jobId = job.jobId;
      try {
        const d = await backend.warmState(jobId);
        const status = d.state === 'ready' ? 'Succeeded' : d.state === 'failed' ? 'Failed' : 'InProgress';
        updateJob(db, jobId, { status });
        job = status === 'Failed' ? undefined : { ...job, status };
      } catch (err) {
        if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
        updateJob(db, jobId, { status: 'Expired' });
        job = undefined;
      }
    }
    if (job) {
      out.reused++;
    } else {
      const warm = await backend.warmUp({ id: a.archiveId!, size: a.size, tier, ...(range ? { range } : {}) });
      recordJob(db, { jobId: warm.token, action: 'archive', archiveId: a.archiveId, seq: a.seq, rangeStart: range?.start ?? null, rangeEnd: range?.end ?? null, tier, status: warm.ready ? 'Succeeded' : 'InProgress', createdAt: (deps.now?.() ?? new Date()).toISOString() });
      job = findRetrievalJob(db, a.archiveId!, range)!;
      out.started++;
      deps.log(`started ${tier} retrieval for archive ${a.seq}${range ? ` bytes ${range.start}-${range.end}` : ''}: ${warm.token}`);
    }
    out.pieces.push({ archive: a, range, job });
  }
  return out;
}

/** Waits (polling with backoff) until a pending piece is readable and records it as succeeded; throws ABORTED on the signal with the job kept. */
export async function waitForPiece(deps: WarmDeps, piece: WarmPiece, signal: AbortSignal): Promise<void> {
  deps.log(`waiting for retrieval ${piece.job.jobId} (archive ${piece.archive.seq})`);
  await deps.backend.waitWarm(piece.job.jobId, { signal });
  updateJob(deps.db, piece.job.jobId, { status: 'Succeeded', completedAt: (deps.now?.() ?? new Date()).toISOString() });
  piece.job = { ...piece.job, status: 'Succeeded' };
}

/** How long a tier takes on AWS, for messages. */
export function tierHours(tier: Tier): string {
  return tier === 'Expedited' ? '1-5 minutes' : tier === 'Bulk' ? '5-12 hours' : '3-5 hours';
}
