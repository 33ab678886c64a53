/**
 * The server's metadata in SQLite (better-sqlite3, file `metadata.db` in the data
 * directory, separate from any backup catalog): vaults, archives, multipart uploads
 * and their parts, jobs. Archive bytes live in files (see ArchiveFiles). Deleted
 * archives keep their row (with deleted_at) so inventories as of a past instant and
 * DeleteVault's "written since the last inventory" rule can be answered.
 * All methods are synchronous; the owner closes the store once.
 */
import Database from 'better-sqlite3';

/** A vault. Times are epoch milliseconds throughout. */
export interface VaultRow {
  id: number;
  name: string;
  createdAt: number;
  /** Last archive addition or deletion (epoch ms), null when never written. */
  lastWriteAt: number | null;
}

/** An archive; deleted ones keep their row with deletedAt set. */
export interface ArchiveRow {
  id: number;
  archiveId: string;
  vaultId: number;
  description: string | null;
  size: number;
  treeHash: string;
  /** Size of every data chunk but the last (the part size, or the whole size for single uploads). */
  chunkSize: number;
  /** uploads.id for multipart archives; null for single-request uploads. */
  uploadRow: number | null;
  createdAt: number;
  deletedAt: number | null;
}

/** open → completed | aborted. */
export type UploadState = 'open' | 'completed' | 'aborted';

/** A multipart upload; completed and aborted ones are kept for idempotent repeats. */
export interface UploadRow {
  id: number;
  uploadId: string;
  vaultId: number;
  description: string | null;
  partSize: number;
  createdAt: number;
  state: UploadState;
  archiveId: string | null;
  archiveSize: number | null;
  archiveTreeHash: string | null;
  finishedAt: number | null;
}

/** A part (or an archive chunk): index = start offset / part size. */
export interface PartRow {
  idx: number;
  size: number;
  treeHash: string;
}

/** Glacier's job actions and statuses. */
export type JobAction = 'ArchiveRetrieval' | 'InventoryRetrieval';
export type JobStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** A job; its status is settled lazily from completeAt (see settleJobs). */
export interface JobRow {
  id: number;
  jobId: string;
  vaultId: number;
  action: JobAction;
  archiveRow: number | null;
  description: string | null;
  tier: string | null;
  snsTopic: string | null;
  rangeStart: number | null;
  rangeEnd: number | null;
  /** Tree hash of the retrieved range when it is tree-hash aligned. */
  rangeTreeHash: string | null;
  format: 'JSON' | 'CSV' | null;
  /** The InventoryRetrievalParameters given (JSON text), null when none. */
  inventoryParams: string | null;
  /** Inventory marker to continue from, once the job completed. */
  nextMarker: string | null;
  /** Inventory output size (bytes), known at initiation. */
  outputSize: number | null;
  createdAt: number;
  completeAt: number;
  status: JobStatus;
  statusMessage: string | null;
  expiresAt: number;
}

/** A job as inserted (always InProgress). */
export type NewJob = Omit<JobRow, 'id' | 'status' | 'statusMessage'>;

const schema = `
CREATE TABLE IF NOT EXISTS vaults (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_write_at INTEGER
);
CREATE TABLE IF NOT EXISTS archives (
  id INTEGER PRIMARY KEY,
  archive_id TEXT NOT NULL UNIQUE,
  vault_id INTEGER NOT NULL,
  description TEXT,
  size INTEGER NOT NULL,
  tree_hash TEXT NOT NULL,
  chunk_size INTEGER NOT NULL,
  upload_row INTEGER,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER,
  data_removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS archives_by_vault ON archives(vault_id, created_at, id);
CREATE TABLE IF NOT EXISTS uploads (
  id INTEGER PRIMARY KEY,
  upload_id TEXT NOT NULL UNIQUE,
  vault_id INTEGER NOT NULL,
  description TEXT,
  part_size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  archive_id TEXT,
  archive_size INTEGER,
  archive_tree_hash TEXT,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS uploads_by_vault ON uploads(vault_id, state, id);
CREATE TABLE IF NOT EXISTS parts (
  upload_row INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  size INTEGER NOT NULL,
  tree_hash TEXT NOT NULL,
  PRIMARY KEY (upload_row, idx)
);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  vault_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  archive_row INTEGER,
  description TEXT,
  tier TEXT,
  sns_topic TEXT,
  range_start INTEGER,
  range_end INTEGER,
  range_tree_hash TEXT,
  format TEXT,
  inventory_params TEXT,
  next_marker TEXT,
  output_size INTEGER,
  created_at INTEGER NOT NULL,
  complete_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_vault ON jobs(vault_id, id);
CREATE INDEX IF NOT EXISTS jobs_by_archive ON jobs(archive_row);
`;

const vaultCols = 'id, name, created_at AS createdAt, last_write_at AS lastWriteAt';
const archiveCols =
  'id, archive_id AS archiveId, vault_id AS vaultId, description, size, tree_hash AS treeHash, chunk_size AS chunkSize, upload_row AS uploadRow, created_at AS createdAt, deleted_at AS deletedAt';
const uploadCols =
  'id, upload_id AS uploadId, vault_id AS vaultId, description, part_size AS partSize, created_at AS createdAt, state, archive_id AS archiveId, archive_size AS archiveSize, archive_tree_hash AS archiveTreeHash, finished_at AS finishedAt';
const jobCols =
  'id, job_id AS jobId, vault_id AS vaultId, action, archive_row AS archiveRow, description, tier, sns_topic AS snsTopic, range_start AS rangeStart, range_end AS rangeEnd, range_tree_hash AS rangeTreeHash, format, inventory_params AS inventoryParams, next_marker AS nextMarker, output_size AS outputSize, created_at AS createdAt, complete_at AS completeAt, status, status_message AS statusMessage, expires_at AS expiresAt';

/** Metadata store. Not safe for use after close(). */
export class GlacierStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
  }

  /** Closes the database; safe to call twice. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- vaults ----

  /** The vault named `name`, if any. */
  getVault(name: string): VaultRow | undefined {
    return this.db.prepare(`SELECT ${vaultCols} FROM vaults WHERE name = ?`).get(name) as VaultRow | undefined;
  }

  /** Creates the vault unless it exists; returns it either way. */
  createVault(name: string, now: number): VaultRow {
    this.db.prepare('INSERT OR IGNORE INTO vaults (name, created_at) VALUES (?, ?)').run(name, now);
    return this.getVault(name)!;
  }

  /** How many vaults exist. */
  countVaults(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM vaults').get() as { n: number }).n;
  }

  /** Up to `limit` vaults in ASCII name order, starting at `fromName` (inclusive). */
  listVaults(fromName: string | null, limit: number): VaultRow[] {
    return this.db
      .prepare(`SELECT ${vaultCols} FROM vaults WHERE name >= ? ORDER BY name COLLATE BINARY LIMIT ?`)
      .all(fromName ?? '', limit) as VaultRow[];
  }

  /** Deletes the vault and every row under it; returns the archive IDs and upload IDs whose files must go. */
  deleteVault(vaultId: number): { archiveIds: string[]; uploadIds: string[]; jobIds: string[] } {
    return this.transaction(() => {
      const archiveIds = (this.db.prepare('SELECT archive_id AS a FROM archives WHERE vault_id = ? AND data_removed = 0').all(vaultId) as { a: string }[]).map((r) => r.a);
      const uploadIds = (this.db.prepare("SELECT upload_id AS u FROM uploads WHERE vault_id = ? AND state = 'open'").all(vaultId) as { u: string }[]).map((r) => r.u);
      const jobIds = (this.db.prepare('SELECT job_id AS j FROM jobs WHERE vault_id = ?').all(vaultId) as { j: string }[]).map((r) => r.j);
      this.db.prepare('DELETE FROM parts WHERE upload_row IN (SELECT id FROM uploads WHERE vault_id = ?)').run(vaultId);
      this.db.prepare('DELETE FROM uploads WHERE vault_id = ?').run(vaultId);
      this.db.prepare('DELETE FROM archives WHERE vault_id = ?').run(vaultId);
      this.db.prepare('DELETE FROM jobs WHERE vault_id = ?').run(vaultId);
      this.db.prepare('DELETE FROM vaults WHERE id = ?').run(vaultId);
      return { archiveIds, uploadIds, jobIds };
    });
  }

  // ---- inventory views ----

  /** The latest archive addition or deletion in the vault at or before `at`, or null. */
  lastChangeAtOrBefore(vaultId: number, at: number): number | null {
    const row = this.db
      .prepare(
        `SELECT MAX(t) AS t FROM (
           SELECT MAX(created_at) AS t FROM archives WHERE vault_id = ? AND created_at <= ?
           UNION ALL SELECT MAX(deleted_at) FROM archives WHERE vault_id = ? AND deleted_at <= ?)`,
      )
      .get(vaultId, at, vaultId, at) as { t: number | null };
    return row.t;
  }

  /** True when an archive was added to or deleted from the vault after `at`. */
  changedAfter(vaultId: number, at: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM archives WHERE vault_id = ? AND (created_at > ? OR deleted_at > ?) LIMIT 1').get(vaultId, at, at);
  }

  /** Number and total size of the archives the vault held at instant `at`. */
  statsAsOf(vaultId: number, at: number): { count: number; size: number } {
    const row = this.db
      .prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS size FROM archives WHERE vault_id = ? AND created_at <= ? AND (deleted_at IS NULL OR deleted_at > ?)')
      .get(vaultId, at, at) as { count: number; size: number };
    return row;
  }

  /** The archives the vault held at instant `at`, oldest first, filtered by creation time [from, before). */
  archivesAsOf(vaultId: number, at: number, from = 0, before = Number.MAX_SAFE_INTEGER): ArchiveRow[] {
    return this.db
      .prepare(
        `SELECT ${archiveCols} FROM archives WHERE vault_id = ? AND created_at <= ? AND (deleted_at IS NULL OR deleted_at > ?)
         AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
      )
      .all(vaultId, at, at, from, before) as ArchiveRow[];
  }

  // ---- archives ----

  /** An archive by its ID (deleted ones included). */
  getArchive(archiveId: string): ArchiveRow | undefined {
    return this.db.prepare(`SELECT ${archiveCols} FROM archives WHERE archive_id = ?`).get(archiveId) as ArchiveRow | undefined;
  }

  /** An archive by its row id. */
  getArchiveByRow(id: number): ArchiveRow | undefined {
    return this.db.prepare(`SELECT ${archiveCols} FROM archives WHERE id = ?`).get(id) as ArchiveRow | undefined;
  }

  /** Records a new archive and the vault write. */
  insertArchive(a: Omit<ArchiveRow, 'id' | 'deletedAt'>): ArchiveRow {
    return this.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO archives (archive_id, vault_id, description, size, tree_hash, chunk_size, upload_row, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(a.archiveId, a.vaultId, a.description, a.size, a.treeHash, a.chunkSize, a.uploadRow, a.createdAt);
      this.db.prepare('UPDATE vaults SET last_write_at = ? WHERE id = ?').run(a.createdAt, a.vaultId);
      return this.getArchive(a.archiveId)!;
    });
  }

  /** Marks the archive deleted at `now` and records the vault write. */
  markArchiveDeleted(archive: ArchiveRow, now: number): void {
    this.transaction(() => {
      this.db.prepare('UPDATE archives SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, archive.id);
      this.db.prepare('UPDATE vaults SET last_write_at = ? WHERE id = ?').run(now, archive.vaultId);
    });
  }

  /** The data chunks of an archive in order: one for single uploads, the parts for multipart ones. */
  chunks(archive: ArchiveRow): PartRow[] {
    if (archive.uploadRow === null) return [{ idx: 0, size: archive.size, treeHash: archive.treeHash }];
    return this.allParts(archive.uploadRow);
  }

  /** Deleted archives whose data no live job still needs; marks them removed and returns their IDs. */
  takePurgeableArchives(): string[] {
    return this.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT id, archive_id AS archiveId FROM archives a WHERE deleted_at IS NOT NULL AND data_removed = 0
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.archive_row = a.id AND j.status = 'Succeeded')`,
        )
        .all() as { id: number; archiveId: string }[];
      const mark = this.db.prepare('UPDATE archives SET data_removed = 1 WHERE id = ?');
      for (const r of rows) mark.run(r.id);
      return rows.map((r) => r.archiveId);
    });
  }

  /** Multipart archives whose data should be on disk, with the upload each came from. */
  multipartArchiveLocations(): { archiveId: string; uploadId: string }[] {
    return this.db
      .prepare('SELECT a.archive_id AS archiveId, u.upload_id AS uploadId FROM archives a JOIN uploads u ON u.id = a.upload_row WHERE a.data_removed = 0')
      .all() as { archiveId: string; uploadId: string }[];
  }

  /** Archive IDs whose data should be on disk. */
  liveArchiveIds(): Set<string> {
    return new Set((this.db.prepare('SELECT archive_id AS a FROM archives WHERE data_removed = 0').all() as { a: string }[]).map((r) => r.a));
  }

  // ---- multipart uploads ----

  /** Records a new open upload. */
  insertUpload(u: Pick<UploadRow, 'uploadId' | 'vaultId' | 'description' | 'partSize' | 'createdAt'>): UploadRow {
    this.db
      .prepare("INSERT INTO uploads (upload_id, vault_id, description, part_size, created_at, state) VALUES (?, ?, ?, ?, ?, 'open')")
      .run(u.uploadId, u.vaultId, u.description, u.partSize, u.createdAt);
    return this.getUpload(u.uploadId)!;
  }

  /** An upload in any state. */
  getUpload(uploadId: string): UploadRow | undefined {
    return this.db.prepare(`SELECT ${uploadCols} FROM uploads WHERE upload_id = ?`).get(uploadId) as UploadRow | undefined;
  }

  /** Up to `limit` open uploads of the vault in creation order, starting at row `fromRow` (inclusive). */
  listOpenUploads(vaultId: number, fromRow: number, limit: number): UploadRow[] {
    return this.db
      .prepare(`SELECT ${uploadCols} FROM uploads WHERE vault_id = ? AND state = 'open' AND id >= ? ORDER BY id LIMIT ?`)
      .all(vaultId, fromRow, limit) as UploadRow[];
  }

  /** Upload IDs of every open upload (for the startup sweep). */
  openUploadIds(): Set<string> {
    return new Set((this.db.prepare("SELECT upload_id AS u FROM uploads WHERE state = 'open'").all() as { u: string }[]).map((r) => r.u));
  }

  /** Records (or replaces) a part; returns the replaced part, if any. */
  putPart(uploadRow: number, part: PartRow): PartRow | undefined {
    return this.transaction(() => {
      const old = this.db.prepare('SELECT idx, size, tree_hash AS treeHash FROM parts WHERE upload_row = ? AND idx = ?').get(uploadRow, part.idx) as PartRow | undefined;
      this.db.prepare('INSERT OR REPLACE INTO parts (upload_row, idx, size, tree_hash) VALUES (?, ?, ?, ?)').run(uploadRow, part.idx, part.size, part.treeHash);
      return old;
    });
  }

  /** Up to `limit` parts in offset order, starting at index `fromIdx` (inclusive). */
  listParts(uploadRow: number, fromIdx: number, limit: number): PartRow[] {
    return this.db
      .prepare('SELECT idx, size, tree_hash AS treeHash FROM parts WHERE upload_row = ? AND idx >= ? ORDER BY idx LIMIT ?')
      .all(uploadRow, fromIdx, limit) as PartRow[];
  }

  /** Every part of an upload in offset order. */
  allParts(uploadRow: number): PartRow[] {
    return this.db.prepare('SELECT idx, size, tree_hash AS treeHash FROM parts WHERE upload_row = ? ORDER BY idx').all(uploadRow) as PartRow[];
  }

  /** Turns an open upload into an archive, atomically. */
  completeUpload(upload: UploadRow, archive: Omit<ArchiveRow, 'id' | 'deletedAt'>): ArchiveRow {
    return this.transaction(() => {
      const changed = this.db
        .prepare("UPDATE uploads SET state = 'completed', archive_id = ?, archive_size = ?, archive_tree_hash = ?, finished_at = ? WHERE id = ? AND state = 'open'")
        .run(archive.archiveId, archive.size, archive.treeHash, archive.createdAt, upload.id);
      if (changed.changes !== 1) throw new Error(`upload ${upload.uploadId} is no longer open`);
      return this.insertArchive(archive);
    });
  }

  /** Marks an open upload aborted; returns false when it was not open. */
  abortUpload(upload: UploadRow, now: number): boolean {
    return this.transaction(() => {
      const changed = this.db.prepare("UPDATE uploads SET state = 'aborted', finished_at = ? WHERE id = ? AND state = 'open'").run(now, upload.id);
      if (changed.changes === 1) this.db.prepare('DELETE FROM parts WHERE upload_row = ?').run(upload.id);
      return changed.changes === 1;
    });
  }

  /** Forgets aborted uploads finished before `before` (their idempotency window is over). */
  forgetAbortedUploads(before: number): void {
    this.db.prepare("DELETE FROM uploads WHERE state = 'aborted' AND finished_at < ?").run(before);
  }

  // ---- jobs ----

  /** Records a new job (InProgress). */
  insertJob(j: NewJob): JobRow {
    this.db
      .prepare(
        `INSERT INTO jobs (job_id, vault_id, action, archive_row, description, tier, sns_topic, range_start, range_end, range_tree_hash, format,
           inventory_params, next_marker, output_size, created_at, complete_at, status, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'InProgress', ?)`,
      )
      .run(
        j.jobId, j.vaultId, j.action, j.archiveRow, j.description, j.tier, j.snsTopic, j.rangeStart, j.rangeEnd, j.rangeTreeHash, j.format,
        j.inventoryParams, j.nextMarker, j.outputSize, j.createdAt, j.completeAt, j.expiresAt,
      );
    return this.getJob(j.jobId)!;
  }

  /** A job by ID, until it expires. */
  getJob(jobId: string): JobRow | undefined {
    return this.db.prepare(`SELECT ${jobCols} FROM jobs WHERE job_id = ?`).get(jobId) as JobRow | undefined;
  }

  /** Up to `limit` jobs of the vault in creation order from row `fromRow` (inclusive), filtered by status. */
  listJobs(vaultId: number, fromRow: number, limit: number, filter: { statuses?: JobStatus[] }): JobRow[] {
    const statuses = filter.statuses ?? ['InProgress', 'Succeeded', 'Failed'];
    const marks = statuses.map(() => '?').join(', ');
    return this.db
      .prepare(`SELECT ${jobCols} FROM jobs WHERE vault_id = ? AND id >= ? AND status IN (${marks}) ORDER BY id LIMIT ?`)
      .all(vaultId, fromRow, ...statuses, limit) as JobRow[];
  }

  /**
   * Completes jobs whose time has come: an archive retrieval fails when its archive
   * was deleted before the job's completion time, every other job succeeds.
   */
  settleJobs(now: number): void {
    this.transaction(() => {
      this.db
        .prepare(
          `UPDATE jobs SET status = 'Failed', status_message = 'The archive was deleted before the retrieval job completed'
           WHERE status = 'InProgress' AND complete_at <= ? AND action = 'ArchiveRetrieval'
           AND EXISTS (SELECT 1 FROM archives a WHERE a.id = jobs.archive_row AND a.deleted_at IS NOT NULL AND a.deleted_at <= jobs.complete_at)`,
        )
        .run(now);
      this.db.prepare("UPDATE jobs SET status = 'Succeeded', status_message = 'Succeeded' WHERE status = 'InProgress' AND complete_at <= ?").run(now);
    });
  }

  /** Deletes jobs whose output expired at or before `now`; returns their IDs and actions. */
  expireJobs(now: number): { jobId: string; action: JobAction }[] {
    return this.transaction(() => {
      const rows = this.db.prepare('SELECT job_id AS jobId, action FROM jobs WHERE expires_at <= ?').all(now) as { jobId: string; action: JobAction }[];
      this.db.prepare('DELETE FROM jobs WHERE expires_at <= ?').run(now);
      return rows;
    });
  }

  /** Job IDs of every inventory job (for the startup sweep). */
  inventoryJobIds(): Set<string> {
    return new Set((this.db.prepare("SELECT job_id AS j FROM jobs WHERE action = 'InventoryRetrieval'").all() as { j: string }[]).map((r) => r.j));
  }

  /** The row id of the vault's job `jobId` (a ListJobs marker), or undefined. */
  jobRowOf(vaultId: number, jobId: string): number | undefined {
    return (this.db.prepare('SELECT id FROM jobs WHERE vault_id = ? AND job_id = ?').get(vaultId, jobId) as { id: number } | undefined)?.id;
  }

  /** The row id of the vault's open upload `uploadId` (a ListMultipartUploads marker), or undefined. */
  uploadRowOf(vaultId: number, uploadId: string): number | undefined {
    return (this.db.prepare("SELECT id FROM uploads WHERE vault_id = ? AND upload_id = ? AND state = 'open'").get(vaultId, uploadId) as { id: number } | undefined)?.id;
  }
}
