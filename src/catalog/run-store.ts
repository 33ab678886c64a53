/** Run rows: one per `backup run`, from start to outcome, feeding status, email and cost. */
import type { RunSummary } from '../notify/run-summary.js';
import type { Db } from './open-catalog.js';

export type RunStatus = 'running' | 'ok' | 'warnings' | 'failed' | 'interrupted';

/** Fields a run fills in as it goes. */
export interface RunUpdate {
  status?: RunStatus;
  endedAt?: string;
  level?: number;
  archiveSeq?: number;
  filesAdded?: number;
  filesChanged?: number;
  filesDeleted?: number;
  filesUnchanged?: number;
  bytesRead?: number;
  archiveBytes?: number;
  uploadBytes?: number;
  uploadMs?: number;
  archiveId?: string;
  warnings?: string[];
  errors?: string[];
  logPath?: string;
}

const columnOf: Record<keyof RunUpdate, string> = {
  status: 'status', endedAt: 'ended_at', level: 'level', archiveSeq: 'archive_seq', filesAdded: 'files_added',
  filesChanged: 'files_changed', filesDeleted: 'files_deleted', filesUnchanged: 'files_unchanged', bytesRead: 'bytes_read',
  archiveBytes: 'archive_bytes', uploadBytes: 'upload_bytes', uploadMs: 'upload_ms', archiveId: 'archive_id',
  warnings: 'warnings', errors: 'errors', logPath: 'log_path',
};

/** Starts a run row in state 'running' and returns its id. */
export function startRun(db: Db, command: string, startedAt: string): number {
  return Number(db.prepare("INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')").run(command, startedAt).lastInsertRowid);
}

/** Updates a run row. */
export function updateRun(db: Db, id: number, u: RunUpdate): void {
  const keys = (Object.keys(u) as Array<keyof RunUpdate>).filter((k) => u[k] !== undefined);
  if (keys.length === 0) return;
  const values = keys.map((k) => (Array.isArray(u[k]) ? JSON.stringify(u[k]) : u[k]));
  db.prepare(`UPDATE runs SET ${keys.map((k) => `${columnOf[k]} = ?`).join(', ')} WHERE id = ?`).run(...(values as Array<string | number>), id);
}

/** Marks runs other than `currentRunId` left 'running' by a process that died as 'interrupted'. Call while holding the run lock. */
export function markInterruptedRuns(db: Db, endedAt: string, currentRunId: number): number {
  return db.prepare("UPDATE runs SET status = 'interrupted', ended_at = COALESCE(ended_at, ?) WHERE status = 'running' AND id != ?").run(endedAt, currentRunId).changes;
}

interface RunRow {
  id: number; command: string; started_at: string; ended_at: string | null; status: RunStatus; level: number | null;
  files_added: number; files_changed: number; files_deleted: number; archive_bytes: number | null; upload_bytes: number | null;
  upload_ms: number | null; archive_id: string | null; warnings: string; errors: string; log_path: string | null; emailed: number;
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    startedAt: r.started_at,
    ...(r.ended_at ? { endedAt: r.ended_at } : {}),
    status: r.status === 'interrupted' ? 'failed' : r.status,
    ...(r.level === null ? {} : { level: r.level }),
    filesAdded: r.files_added,
    filesChanged: r.files_changed,
    filesDeleted: r.files_deleted,
    ...(r.archive_bytes === null ? {} : { archiveBytes: r.archive_bytes }),
    ...(r.upload_bytes === null ? {} : { uploadBytes: r.upload_bytes }),
    ...(r.upload_ms === null ? {} : { uploadMs: r.upload_ms }),
    ...(r.archive_id === null ? {} : { archiveId: r.archive_id }),
    warnings: JSON.parse(r.warnings) as string[],
    errors: r.status === 'interrupted' && r.errors === '[]' ? ['interrupted before it finished'] : (JSON.parse(r.errors) as string[]),
    ...(r.log_path === null ? {} : { logPath: r.log_path }),
  };
}

/** Finished `run` runs not yet included in an email, oldest first. */
export function unsentRuns(db: Db): RunSummary[] {
  return (db.prepare("SELECT * FROM runs WHERE emailed = 0 AND command = 'run' AND status != 'running' ORDER BY id").all() as RunRow[]).map(toSummary);
}

/** Marks runs as emailed. */
export function markEmailed(db: Db, ids: readonly number[]): void {
  const stmt = db.prepare('UPDATE runs SET emailed = 1 WHERE id = ?');
  db.transaction(() => ids.forEach((id) => stmt.run(id)))();
}

/** The newest runs, newest first. */
export function recentRuns(db: Db, limit: number): RunSummary[] {
  return (db.prepare("SELECT * FROM runs WHERE command = 'run' ORDER BY id DESC LIMIT ?").all(limit) as RunRow[]).map(toSummary);
}

/** The newest run that finished ok or with warnings (a restorable point was made), if any. */
export function lastSuccessfulRun(db: Db): RunSummary | undefined {
  const row = db.prepare("SELECT * FROM runs WHERE command = 'run' AND status IN ('ok', 'warnings') ORDER BY id DESC LIMIT 1").get() as RunRow | undefined;
  return row && toSummary(row);
}
