/** Glacier jobs this catalog started, so a later invocation reuses them instead of paying again. */
import type { Db } from './open-catalog.js';

/** A recorded job. */
export interface JobRecord {
  jobId: string;
  action: 'archive' | 'inventory';
  archiveId: string | null;
  seq: number | null;
  rangeStart: number | null;
  rangeEnd: number | null;
  tier: string | null;
  status: string;
  createdAt: string;
  completedAt: string | null;
  outputPath: string | null;
}

const columns = `job_id AS jobId, action, archive_id AS archiveId, seq, range_start AS rangeStart, range_end AS rangeEnd, tier, status,
  created_at AS createdAt, completed_at AS completedAt, output_path AS outputPath`;

/** Records a new job. */
export function recordJob(db: Db, j: Omit<JobRecord, 'completedAt' | 'outputPath'>): void {
  db.prepare('INSERT INTO jobs (job_id, action, archive_id, seq, range_start, range_end, tier, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(j.jobId, j.action, j.archiveId, j.seq, j.rangeStart, j.rangeEnd, j.tier, j.status, j.createdAt);
}

/** Updates a job's status (and completion time / output path). */
export function updateJob(db: Db, jobId: string, u: { status?: string; completedAt?: string; outputPath?: string | null }): void {
  const sets: string[] = [];
  const values: Array<string | null> = [];
  if (u.status !== undefined) {
    sets.push('status = ?');
    values.push(u.status);
  }
  if (u.completedAt !== undefined) {
    sets.push('completed_at = ?');
    values.push(u.completedAt);
  }
  if (u.outputPath !== undefined) {
    sets.push('output_path = ?');
    values.push(u.outputPath);
  }
  if (sets.length) db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE job_id = ?`).run(...values, jobId);
}

/** The newest usable (not failed or expired) archive-retrieval job for exactly this archive and range. */
export function findRetrievalJob(db: Db, archiveId: string, range: { start: number; end: number } | null): JobRecord | undefined {
  return db
    .prepare(`SELECT ${columns} FROM jobs WHERE action = 'archive' AND archive_id = ? AND range_start IS ? AND range_end IS ? AND status NOT IN ('Failed', 'Expired') ORDER BY created_at DESC LIMIT 1`)
    .get(archiveId, range?.start ?? null, range?.end ?? null) as JobRecord | undefined;
}

/** Jobs of one kind, newest first. */
export function listJobs(db: Db, action?: JobRecord['action']): JobRecord[] {
  return (action
    ? db.prepare(`SELECT ${columns} FROM jobs WHERE action = ? ORDER BY created_at DESC`).all(action)
    : db.prepare(`SELECT ${columns} FROM jobs ORDER BY created_at DESC`).all()) as JobRecord[];
}

/** Jobs still in progress as far as the catalog knows. */
export function openJobs(db: Db): JobRecord[] {
  return db.prepare(`SELECT ${columns} FROM jobs WHERE status = 'InProgress' ORDER BY created_at`).all() as JobRecord[];
}

/** Marks every job expired (a catalog restored from a snapshot: the old machine's jobs are not ours to reuse). */
export function expireAllJobs(db: Db): void {
  db.prepare("UPDATE jobs SET status = 'Expired' WHERE status != 'Expired'").run();
}
