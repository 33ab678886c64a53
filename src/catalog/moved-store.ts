/**
 * The catalog side of moving a vault to a bucket (`backup migrate --to-s3`): which archives
 * and catalog snapshots are still in the vault, the switch of one archive to its verified
 * copy in the bucket (one transaction), and the vault archives left to delete. A crash
 * between two of these steps leaves either the old location or the new one recorded, never
 * an archive at a place that was not verified.
 */
import type { Store } from './archive-store.js';
import type { Db } from './open-catalog.js';
import { clearUpload } from './upload-journal-store.js';

/** A vault archive already moved, not yet deleted from the vault. */
export interface MovedArchive {
  sourceId: string;
  kind: 'data' | 'catalog';
  seq: number | null;
  targetId: string | null;
  size: number;
  /** When the vault got it: its minimum storage duration counts from here. */
  storedAt: string;
  movedAt: string;
}

/** A catalog snapshot recorded in the vault. */
export interface VaultSnapshot {
  archiveId: string;
  createdAt: string;
  size: number;
}

/** Switches archive `seq` from its vault id to its verified copy in the bucket, in one transaction. */
export function recordMove(db: Db, m: { seq: number; fileName: string; sourceId: string; targetId: string; store: Store; size: number; storedAt: string; movedAt: string; requests: number }): void {
  db.transaction(() => {
    db.prepare('UPDATE archives SET archive_id = ?, store = ?, uploaded_at = ?, upload_requests = ? WHERE seq = ? AND archive_id = ?')
      .run(m.targetId, m.store, m.movedAt, m.requests, m.seq, m.sourceId);
    db.prepare("INSERT OR IGNORE INTO moved_archives (source_id, kind, seq, target_id, size, stored_at, moved_at) VALUES (?, 'data', ?, ?, ?, ?, ?)")
      .run(m.sourceId, m.seq, m.targetId, m.size, m.storedAt, m.movedAt);
    clearUpload(db, m.fileName);
  })();
}

/** Catalog snapshots the catalog records in the vault, newest first. */
export function vaultSnapshots(db: Db): VaultSnapshot[] {
  return db.prepare("SELECT archive_id AS archiveId, created_at AS createdAt, size FROM catalog_backups WHERE store = 'glacier' ORDER BY created_at DESC, id DESC").all() as VaultSnapshot[];
}

/**
 * Retires the vault's catalog snapshots (they name vault ids, so a bucket has no use for
 * them; a fresh snapshot replaces them): they leave the snapshot list, so snapshot pruning
 * never sends their ids to the bucket, and wait in moved_archives for --delete-source.
 */
export function retireVaultSnapshots(db: Db, movedAt: string): number {
  return db.transaction(() => {
    const snaps = vaultSnapshots(db);
    const insert = db.prepare("INSERT OR IGNORE INTO moved_archives (source_id, kind, seq, target_id, size, stored_at, moved_at) VALUES (?, 'catalog', NULL, NULL, ?, ?, ?)");
    for (const s of snaps) insert.run(s.archiveId, s.size, s.createdAt, movedAt);
    db.prepare("DELETE FROM catalog_backups WHERE store = 'glacier'").run();
    return snaps.length;
  })();
}

/** Moved vault archives not yet deleted from the vault, oldest first. */
export function movedNotDeleted(db: Db): MovedArchive[] {
  return db.prepare(`SELECT source_id AS sourceId, kind, seq, target_id AS targetId, size, stored_at AS storedAt, moved_at AS movedAt
    FROM moved_archives WHERE source_deleted_at IS NULL ORDER BY stored_at, source_id`).all() as MovedArchive[];
}

/** Records that a moved archive is gone from the vault. */
export function markSourceDeleted(db: Db, sourceId: string, at: string): void {
  db.prepare('UPDATE moved_archives SET source_deleted_at = ? WHERE source_id = ?').run(at, sourceId);
}

/** How many catalog snapshots the catalog records in a bucket. */
export function s3SnapshotCount(db: Db): number {
  return db.prepare("SELECT COUNT(*) FROM catalog_backups WHERE store = 's3'").pluck().get() as number;
}
