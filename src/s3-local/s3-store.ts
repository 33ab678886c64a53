/**
 * The S3 side's metadata in SQLite (better-sqlite3, file `s3.db` in the server's data
 * directory, beside Glacier's `metadata.db`): buckets, objects with their data chunks
 * and restore state, multipart uploads and their parts. Object bytes live in files
 * (see ObjectFiles); a row names the files, and the data directory of a multipart
 * object is the directory its upload wrote its parts to. Keys compare as UTF-8
 * bytes (SQLite's BINARY collation), which is S3's listing order.
 * All methods are synchronous; the owner closes the store once.
 */
import Database from 'better-sqlite3';

/** A bucket. Times are epoch milliseconds throughout. */
export interface BucketRow {
  id: number;
  name: string;
  createdAt: number;
}

/** Checksum as stored: algorithm, base64 value (with "-N" for composites) and type. */
export interface StoredChecksum {
  algorithm: string;
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** An object (the current one under its key). */
export interface ObjectRow {
  id: number;
  bucketId: number;
  key: string;
  dataId: string;
  size: number;
  /** Without quotes. */
  etag: string;
  storageClass: string;
  contentType: string | null;
  /** x-amz-meta-* values by lowercase name (without the prefix). */
  metadata: Record<string, string>;
  checksum: StoredChecksum | null;
  partsCount: number | null;
  createdAt: number;
  restoreTier: string | null;
  restoreRequestedAt: number | null;
  /** When the restored copy is (or was) readable from. */
  restoreReadyAt: number | null;
  restoreExpiresAt: number | null;
}

/** One data file of an object, in order. */
export interface ChunkRow {
  idx: number;
  size: number;
  file: string;
}

/** An open multipart upload. */
export interface UploadRow {
  id: number;
  uploadId: string;
  bucketId: number;
  key: string;
  storageClass: string;
  contentType: string | null;
  metadata: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumType: 'FULL_OBJECT' | 'COMPOSITE' | null;
  createdAt: number;
}

/** An uploaded part. */
export interface PartRow {
  partNumber: number;
  size: number;
  /** MD5 hex, without quotes. */
  etag: string;
  /** The part checksum of the upload's algorithm (base64), when it has one. */
  checksum: string | null;
  file: string;
  createdAt: number;
}

/** A completed upload as remembered for repeated CompleteMultipartUpload requests. */
export interface CompletedUpload {
  uploadId: string;
  bucketId: number;
  key: string;
  /** The part list completed with, as "number:etag" joined by ','. */
  parts: string;
  /** The response document and headers given, as JSON. */
  result: string;
  completedAt: number;
}

/** An object as inserted. */
export type NewObject = Omit<ObjectRow, 'id' | 'restoreTier' | 'restoreRequestedAt' | 'restoreReadyAt' | 'restoreExpiresAt'>;

const schema = `
CREATE TABLE IF NOT EXISTS buckets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
  id INTEGER PRIMARY KEY,
  bucket_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  data_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  content_type TEXT,
  metadata TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum TEXT,
  checksum_type TEXT,
  parts_count INTEGER,
  created_at INTEGER NOT NULL,
  restore_tier TEXT,
  restore_requested_at INTEGER,
  restore_ready_at INTEGER,
  restore_expires_at INTEGER,
  UNIQUE (bucket_id, key)
);
CREATE TABLE IF NOT EXISTS object_chunks (
  object_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  size INTEGER NOT NULL,
  file TEXT NOT NULL,
  PRIMARY KEY (object_id, idx)
);
CREATE TABLE IF NOT EXISTS uploads (
  id INTEGER PRIMARY KEY,
  upload_id TEXT NOT NULL UNIQUE,
  bucket_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  content_type TEXT,
  metadata TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket_id, key, id);
CREATE TABLE IF NOT EXISTS upload_parts (
  upload_row INTEGER NOT NULL,
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  checksum TEXT,
  file TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (upload_row, part_number)
);
CREATE TABLE IF NOT EXISTS completed_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  parts TEXT NOT NULL,
  result TEXT NOT NULL,
  completed_at INTEGER NOT NULL
);
`;

const objectCols = `id, bucket_id AS bucketId, key, data_id AS dataId, size, etag, storage_class AS storageClass, content_type AS contentType,
  metadata, checksum_algorithm AS checksumAlgorithm, checksum, checksum_type AS checksumType, parts_count AS partsCount, created_at AS createdAt,
  restore_tier AS restoreTier, restore_requested_at AS restoreRequestedAt, restore_ready_at AS restoreReadyAt, restore_expires_at AS restoreExpiresAt`;
const uploadCols = `id, upload_id AS uploadId, bucket_id AS bucketId, key, storage_class AS storageClass, content_type AS contentType, metadata,
  checksum_algorithm AS checksumAlgorithm, checksum_type AS checksumType, created_at AS createdAt`;
const partCols = 'part_number AS partNumber, size, etag, checksum, file, created_at AS createdAt';

type RawObject = Omit<ObjectRow, 'metadata' | 'checksum'> & { metadata: string; checksumAlgorithm: string | null; checksum: string | null; checksumType: string | null };
type RawUpload = Omit<UploadRow, 'metadata'> & { metadata: string };

function toObject(raw: RawObject | undefined): ObjectRow | undefined {
  if (!raw) return undefined;
  const { checksumAlgorithm, checksumType, checksum, metadata, ...rest } = raw;
  return {
    ...rest,
    metadata: JSON.parse(metadata) as Record<string, string>,
    checksum: checksumAlgorithm && checksum ? { algorithm: checksumAlgorithm, value: checksum, type: checksumType === 'COMPOSITE' ? 'COMPOSITE' : 'FULL_OBJECT' } : null,
  };
}

function toUpload(raw: RawUpload | undefined): UploadRow | undefined {
  return raw ? { ...raw, metadata: JSON.parse(raw.metadata) as Record<string, string> } : undefined;
}

/** Metadata store of the S3 side. Not safe for use after close(). */
export class S3Store {
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

  // ---- buckets ----

  /** The bucket named `name`, if any. */
  getBucket(name: string): BucketRow | undefined {
    return this.db.prepare('SELECT id, name, created_at AS createdAt FROM buckets WHERE name = ?').get(name) as BucketRow | undefined;
  }

  /** Creates the bucket; false when it already existed. */
  createBucket(name: string, now: number): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO buckets (name, created_at) VALUES (?, ?)').run(name, now).changes === 1;
  }

  /** Every bucket in name order. */
  listBuckets(): BucketRow[] {
    return this.db.prepare('SELECT id, name, created_at AS createdAt FROM buckets ORDER BY name').all() as BucketRow[];
  }

  /** True when the bucket holds objects or open uploads. */
  bucketInUse(bucketId: number): boolean {
    return !!(
      this.db.prepare('SELECT 1 FROM objects WHERE bucket_id = ? LIMIT 1').get(bucketId) ?? this.db.prepare('SELECT 1 FROM uploads WHERE bucket_id = ? LIMIT 1').get(bucketId)
    );
  }

  /** Deletes an empty bucket. */
  deleteBucket(bucketId: number): void {
    this.db.prepare('DELETE FROM buckets WHERE id = ?').run(bucketId);
  }

  // ---- objects ----

  /** The object under `key`, if any. */
  getObject(bucketId: number, key: string): ObjectRow | undefined {
    return toObject(this.db.prepare(`SELECT ${objectCols} FROM objects WHERE bucket_id = ? AND key = ?`).get(bucketId, key) as RawObject | undefined);
  }

  /** The object's data files in order. */
  chunks(objectId: number): ChunkRow[] {
    return this.db.prepare('SELECT idx, size, file FROM object_chunks WHERE object_id = ? ORDER BY idx').all(objectId) as ChunkRow[];
  }

  /**
   * Stores `obj` under its key with its data files, replacing (and returning) the
   * data ID of the object it overwrites, if any; with `upload`, the upload is
   * removed and remembered as completed in the same transaction.
   */
  putObject(obj: NewObject, chunks: readonly ChunkRow[], upload?: { row: number; completed: CompletedUpload }): { replacedDataId: string | undefined } {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT id, data_id AS dataId FROM objects WHERE bucket_id = ? AND key = ?').get(obj.bucketId, obj.key) as { id: number; dataId: string } | undefined;
      if (old) this.deleteObjectRow(old.id);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO objects (bucket_id, key, data_id, size, etag, storage_class, content_type, metadata, checksum_algorithm, checksum, checksum_type, parts_count, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          obj.bucketId, obj.key, obj.dataId, obj.size, obj.etag, obj.storageClass, obj.contentType, JSON.stringify(obj.metadata),
          obj.checksum?.algorithm ?? null, obj.checksum?.value ?? null, obj.checksum?.type ?? null, obj.partsCount, obj.createdAt,
        );
      const insert = this.db.prepare('INSERT INTO object_chunks (object_id, idx, size, file) VALUES (?, ?, ?, ?)');
      for (const c of chunks) insert.run(lastInsertRowid, c.idx, c.size, c.file);
      if (upload !== undefined) {
        this.db.prepare('DELETE FROM upload_parts WHERE upload_row = ?').run(upload.row);
        this.db.prepare('DELETE FROM uploads WHERE id = ?').run(upload.row);
        const c = upload.completed;
        this.db
          .prepare('INSERT OR REPLACE INTO completed_uploads (upload_id, bucket_id, key, parts, result, completed_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(c.uploadId, c.bucketId, c.key, c.parts, c.result, c.completedAt);
      }
      return { replacedDataId: old && old.dataId !== obj.dataId ? old.dataId : undefined };
    })();
  }

  /** Deletes the object under `key`; returns its data ID, or undefined when there was none. */
  deleteObject(bucketId: number, key: string): string | undefined {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT id, data_id AS dataId FROM objects WHERE bucket_id = ? AND key = ?').get(bucketId, key) as { id: number; dataId: string } | undefined;
      if (!old) return undefined;
      this.deleteObjectRow(old.id);
      return old.dataId;
    })();
  }

  /** Up to `limit` objects with keys starting with `prefix`, greater than `after`, in key order. */
  listObjects(bucketId: number, prefix: string, after: string | null, limit: number): ObjectRow[] {
    const from = after !== null && after >= prefix ? after : null;
    const rows = (
      from === null
        ? this.db.prepare(`SELECT ${objectCols} FROM objects WHERE bucket_id = ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?`).all(bucketId, prefix, prefix.length, prefix, limit)
        : this.db.prepare(`SELECT ${objectCols} FROM objects WHERE bucket_id = ? AND key > ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?`).all(bucketId, from, prefix.length, prefix, limit)
    ) as RawObject[];
    return rows.map((r) => toObject(r)!);
  }

  /** Records a restore request (replacing any earlier restore state). */
  startRestore(objectId: number, tier: string, requestedAt: number, readyAt: number, expiresAt: number): void {
    this.db
      .prepare('UPDATE objects SET restore_tier = ?, restore_requested_at = ?, restore_ready_at = ?, restore_expires_at = ? WHERE id = ?')
      .run(tier, requestedAt, readyAt, expiresAt, objectId);
  }

  /** Sets a new expiry for a restored copy. */
  extendRestore(objectId: number, expiresAt: number): void {
    this.db.prepare('UPDATE objects SET restore_expires_at = ? WHERE id = ?').run(expiresAt, objectId);
  }

  /** Data IDs of every object (for the startup sweep). */
  liveDataIds(): Map<string, Set<string>> {
    const rows = this.db.prepare('SELECT o.data_id AS dataId, c.file FROM objects o JOIN object_chunks c ON c.object_id = o.id').all() as { dataId: string; file: string }[];
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = out.get(r.dataId) ?? new Set<string>();
      set.add(r.file);
      out.set(r.dataId, set);
    }
    return out;
  }

  private deleteObjectRow(id: number): void {
    this.db.prepare('DELETE FROM object_chunks WHERE object_id = ?').run(id);
    this.db.prepare('DELETE FROM objects WHERE id = ?').run(id);
  }

  // ---- multipart uploads ----

  /** Records a new upload. */
  insertUpload(u: Omit<UploadRow, 'id'>): UploadRow {
    this.db
      .prepare(
        'INSERT INTO uploads (upload_id, bucket_id, key, storage_class, content_type, metadata, checksum_algorithm, checksum_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(u.uploadId, u.bucketId, u.key, u.storageClass, u.contentType, JSON.stringify(u.metadata), u.checksumAlgorithm, u.checksumType, u.createdAt);
    return this.getUpload(u.uploadId)!;
  }

  /** An open upload. */
  getUpload(uploadId: string): UploadRow | undefined {
    return toUpload(this.db.prepare(`SELECT ${uploadCols} FROM uploads WHERE upload_id = ?`).get(uploadId) as RawUpload | undefined);
  }

  /** Up to `limit` open uploads of the bucket under `prefix`, ordered by key then initiation, after the (key, upload row) marker. */
  listUploads(bucketId: number, prefix: string, afterKey: string | null, afterRow: number | null, limit: number): UploadRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${uploadCols} FROM uploads WHERE bucket_id = ? AND substr(key, 1, ?) = ?
         AND (? IS NULL OR key > ? OR (key = ? AND ? IS NOT NULL AND id > ?)) ORDER BY key, id LIMIT ?`,
      )
      .all(bucketId, prefix.length, prefix, afterKey, afterKey, afterKey, afterRow, afterRow, limit) as RawUpload[];
    return rows.map((r) => toUpload(r)!);
  }

  /** Records (or replaces) a part; returns the replaced part's file, if any. */
  putPart(uploadRow: number, part: PartRow): string | undefined {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT file FROM upload_parts WHERE upload_row = ? AND part_number = ?').get(uploadRow, part.partNumber) as { file: string } | undefined;
      this.db
        .prepare('INSERT OR REPLACE INTO upload_parts (upload_row, part_number, size, etag, checksum, file, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(uploadRow, part.partNumber, part.size, part.etag, part.checksum, part.file, part.createdAt);
      return old?.file;
    })();
  }

  /** Up to `limit` parts with numbers above `after`, in order. */
  listParts(uploadRow: number, after: number, limit: number): PartRow[] {
    return this.db.prepare(`SELECT ${partCols} FROM upload_parts WHERE upload_row = ? AND part_number > ? ORDER BY part_number LIMIT ?`).all(uploadRow, after, limit) as PartRow[];
  }

  /** Every part of an upload, by part number. */
  allParts(uploadRow: number): Map<number, PartRow> {
    const rows = this.db.prepare(`SELECT ${partCols} FROM upload_parts WHERE upload_row = ?`).all(uploadRow) as PartRow[];
    return new Map(rows.map((p) => [p.partNumber, p]));
  }

  /** Removes an upload and its parts; false when it was not open. */
  abortUpload(uploadRow: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM upload_parts WHERE upload_row = ?').run(uploadRow);
      return this.db.prepare('DELETE FROM uploads WHERE id = ?').run(uploadRow).changes === 1;
    })();
  }

  /** A completed upload remembered since `since` (epoch ms), if any. */
  getCompletedUpload(uploadId: string, since: number): CompletedUpload | undefined {
    return this.db
      .prepare('SELECT upload_id AS uploadId, bucket_id AS bucketId, key, parts, result, completed_at AS completedAt FROM completed_uploads WHERE upload_id = ? AND completed_at >= ?')
      .get(uploadId, since) as CompletedUpload | undefined;
  }

  /** Forgets completed uploads finished before `before`. */
  forgetCompletedUploads(before: number): void {
    this.db.prepare('DELETE FROM completed_uploads WHERE completed_at < ?').run(before);
  }

  /** Upload IDs of every open upload with their part files (for the startup sweep). */
  openUploadFiles(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const { uploadId } of this.db.prepare('SELECT upload_id AS uploadId FROM uploads').all() as { uploadId: string }[]) out.set(uploadId, new Set());
    const rows = this.db.prepare('SELECT u.upload_id AS uploadId, p.file FROM uploads u JOIN upload_parts p ON p.upload_row = u.id').all() as { uploadId: string; file: string }[];
    for (const r of rows) out.get(r.uploadId)?.add(r.file);
    return out;
  }
}
