/** Archive rows: committing a new archive with its members, blocks and deletions; reading chains. */
import type { ArchivedMember } from '../archive/archived-member.js';
import type { GzipBlock } from '../archive/gzip-block.js';
import type { TreeEntry } from '../scan/tree-entry.js';
import type { Db } from './open-catalog.js';
import { replaceSnapshot } from './snapshot-store.js';
import { applyScan, markUntrusted } from './scan-store.js';
import { nameColumn, nameFromColumn } from './name-column.js';

export type UploadState = 'none' | 'pending' | 'uploaded' | 'deleted';

/** Which storage holds an archive (the Backend's info.kind when it was put there). */
export type Store = 'glacier' | 's3' | 'memory';

/** The store an id names, for rows recorded without one (catalog rebuilds): an S3 key (or memory id) holds a '/', a Glacier archive id never does. */
export function storeOfId(id: string): Store {
  return id.includes('/') ? 's3' : 'glacier';
}

/** An archive as the catalog records it. */
export interface ArchiveRecord {
  seq: number;
  level: number;
  parentSeq: number | null;
  chainSeq: number;
  createdAt: string;
  fileName: string;
  size: number;
  rawSize: number;
  treeHash: string;
  blockSize: number;
  fileCount: number;
  stagedPath: string | null;
  localPath: string | null;
  uploadState: UploadState;
  archiveId: string | null;
  description: string | null;
  uploadedAt: string | null;
  uploadRequests: number | null;
  deletedAt: string | null;
  runId: number | null;
  /** The chain's random identity (in the file name and description); null for archives from before it existed. */
  chainId: string | null;
  /** Where archiveId lives; null while the archive is not uploaded. */
  store: Store | null;
  /** The S3 storage class the object was stored in; null for a vault archive or when not known. */
  storageClass: string | null;
}

const columns = `seq, level, parent_seq AS parentSeq, chain_seq AS chainSeq, created_at AS createdAt, file_name AS fileName,
  size, raw_size AS rawSize, tree_hash AS treeHash, block_size AS blockSize, file_count AS fileCount, staged_path AS stagedPath,
  local_path AS localPath, upload_state AS uploadState, archive_id AS archiveId, description, uploaded_at AS uploadedAt,
  upload_requests AS uploadRequests, deleted_at AS deletedAt, run_id AS runId, chain_id AS chainId, store, storage_class AS storageClass`;

/** Everything recorded about one newly written archive, committed atomically. */
export interface NewArchive {
  record: Omit<ArchiveRecord, 'uploadedAt' | 'uploadRequests' | 'deletedAt' | 'archiveId' | 'chainId' | 'store' | 'storageClass'> & { archiveId?: string | null; chainId?: string | null; store?: Store | null };
  members: readonly ArchivedMember[];
  blocks: readonly GzipBlock[];
  deleted: readonly string[];
  /** The new snapshot; omitted for archives recorded without one (catalog rebuilds). */
  snapshot?: Iterable<TreeEntry>;
  /**
   * Instead of `snapshot`: the run's scan in the catalog (scan-store.ts), which also recorded
   * the members and deletions under this seq as it went; `untrusted` are paths of scanned
   * files to record with an identity no file has.
   */
  scan?: { full: boolean; untrusted: readonly string[] };
}

/** Records an archive, its members, blocks and deletions (and the new snapshot) in one transaction. */
export function commitArchive(db: Db, a: NewArchive): void {
  const r = a.record;
  db.transaction(() => {
    db.prepare(
      `INSERT INTO archives (seq, level, parent_seq, chain_seq, created_at, file_name, size, raw_size, tree_hash, block_size,
        file_count, staged_path, local_path, upload_state, archive_id, description, run_id, chain_id, store)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.seq, r.level, r.parentSeq, r.chainSeq, r.createdAt, r.fileName, r.size, r.rawSize, r.treeHash, r.blockSize,
      r.fileCount, r.stagedPath, r.localPath, r.uploadState, r.archiveId ?? null, r.description, r.runId, r.chainId ?? null,
      r.store ?? (r.archiveId ? storeOfId(r.archiveId) : null));
    const file = db.prepare(
      `INSERT INTO archive_files (seq, path, type, mode, size, mtime, tar_offset, link_target, uid, gid, uname, gname, dev_major, dev_minor)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const m of a.members) {
      file.run(r.seq, nameColumn(m.path), m.type, m.mode, m.size, m.mtime, m.tarOffset, m.linkTarget === undefined ? null : nameColumn(m.linkTarget), m.uid ?? null, m.gid ?? null, m.uname ?? null, m.gname ?? null, m.devMajor ?? null, m.devMinor ?? null);
    }
    const block = db.prepare('INSERT INTO archive_blocks (seq, idx, raw_offset, gz_offset, sha256) VALUES (?, ?, ?, ?, ?)');
    a.blocks.forEach((b, i) => block.run(r.seq, i, b.rawOffset, b.gzOffset, b.sha256 ?? null));
    const del = db.prepare('INSERT INTO archive_deletions (seq, path) VALUES (?, ?)');
    for (const p of a.deleted) del.run(r.seq, nameColumn(p));
    if (a.scan) {
      markUntrusted(db, a.scan.untrusted);
      applyScan(db, { seq: r.seq, full: a.scan.full });
    } else if (a.snapshot) replaceSnapshot(db, a.snapshot);
  })();
}

/** Updates some fields of an archive row. */
export function updateArchive(db: Db, seq: number, fields: Partial<Pick<ArchiveRecord, 'stagedPath' | 'localPath' | 'uploadState' | 'archiveId' | 'description' | 'uploadedAt' | 'uploadRequests' | 'deletedAt' | 'store' | 'storageClass'>>): void {
  const map: Record<string, string> = {
    stagedPath: 'staged_path', localPath: 'local_path', uploadState: 'upload_state', archiveId: 'archive_id',
    description: 'description', uploadedAt: 'uploaded_at', uploadRequests: 'upload_requests', deletedAt: 'deleted_at', store: 'store', storageClass: 'storage_class',
  };
  const keys = Object.keys(fields) as Array<keyof typeof fields>;
  if (keys.length === 0) return;
  db.prepare(`UPDATE archives SET ${keys.map((k) => `${map[k]} = ?`).join(', ')} WHERE seq = ?`).run(...keys.map((k) => fields[k] ?? null), seq);
}

/** All archives, oldest first. */
export function listArchives(db: Db): ArchiveRecord[] {
  return db.prepare(`SELECT ${columns} FROM archives ORDER BY seq`).all() as ArchiveRecord[];
}

/** One archive by sequence number. */
export function getArchive(db: Db, seq: number): ArchiveRecord | undefined {
  return db.prepare(`SELECT ${columns} FROM archives WHERE seq = ?`).get(seq) as ArchiveRecord | undefined;
}

/** The newest archive that is not deleted, if any. */
export function latestArchive(db: Db): ArchiveRecord | undefined {
  return db.prepare(`SELECT ${columns} FROM archives WHERE upload_state != 'deleted' ORDER BY seq DESC LIMIT 1`).get() as ArchiveRecord | undefined;
}

/** Archives waiting to be uploaded, oldest first. */
export function pendingUploads(db: Db): ArchiveRecord[] {
  return db.prepare(`SELECT ${columns} FROM archives WHERE upload_state = 'pending' ORDER BY seq`).all() as ArchiveRecord[];
}

/** The next free sequence number. */
export function nextSeq(db: Db): number {
  return ((db.prepare('SELECT MAX(seq) AS m FROM archives').get() as { m: number | null }).m ?? 0) + 1;
}

/** Staging files committed archives still refer to (everything else in staging is left over from a dead run). */
export function stagedPaths(db: Db): Set<string> {
  return new Set(db.prepare('SELECT staged_path FROM archives WHERE staged_path IS NOT NULL').pluck().all() as string[]);
}

/**
 * Marks an archive deleted (gone from storage and local copies) and drops its members, block
 * table and deletions, which serve nothing any more; one transaction.
 */
export function markArchivePruned(db: Db, seq: number, at: string): void {
  db.transaction(() => {
    updateArchive(db, seq, { uploadState: 'deleted', deletedAt: at, localPath: null, stagedPath: null });
    db.prepare('DELETE FROM archive_files WHERE seq = ?').run(seq);
    db.prepare('DELETE FROM archive_blocks WHERE seq = ?').run(seq);
    db.prepare('DELETE FROM archive_deletions WHERE seq = ?').run(seq);
  })();
}

const memberColumns = `path, type, mode, size, mtime, tar_offset AS tarOffset, link_target AS linkTarget, uid, gid, uname, gname,
  dev_major AS devMajor, dev_minor AS devMinor`;

type Nullable<T> = { [K in keyof T]-?: T[K] | null };

/** A member row without its NULL columns (archives from before owners were recorded restore with the restorer's ids). */
function toMember(row: Nullable<ArchivedMember>): ArchivedMember {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null) m[k] = v;
  // names are stored as their bytes (see name-column.ts)
  m.path = nameFromColumn(m.path as string | Buffer);
  if (m.linkTarget !== undefined) m.linkTarget = nameFromColumn(m.linkTarget as string | Buffer);
  return m as unknown as ArchivedMember;
}

/** Members stored in one archive, in tar order. */
export function archiveMembers(db: Db, seq: number): ArchivedMember[] {
  return (db.prepare(`SELECT ${memberColumns} FROM archive_files WHERE seq = ? ORDER BY tar_offset`).all(seq) as Array<Nullable<ArchivedMember>>).map(toMember);
}

/** One member of an archive by path. */
export function archiveMember(db: Db, seq: number, path: string): ArchivedMember | undefined {
  const row = db.prepare(`SELECT ${memberColumns} FROM archive_files WHERE seq = ? AND path = ?`).get(seq, nameColumn(path)) as Nullable<ArchivedMember> | undefined;
  return row && toMember(row);
}

/** Paths one archive deletes. */
export function archiveDeletions(db: Db, seq: number): string[] {
  return (db.prepare('SELECT path FROM archive_deletions WHERE seq = ?').pluck().all(seq) as Array<string | Buffer>).map(nameFromColumn);
}

/** The gzip block table of one archive. */
export function archiveBlocks(db: Db, seq: number): GzipBlock[] {
  const rows = db.prepare('SELECT raw_offset AS rawOffset, gz_offset AS gzOffset, sha256 FROM archive_blocks WHERE seq = ? ORDER BY idx').all(seq) as Array<GzipBlock & { sha256: string | null }>;
  return rows.map(({ sha256, ...b }) => (sha256 === null ? b : { ...b, sha256 }));
}

/** Marks the chain starting at `chainSeq` broken (idempotent: the first reason is kept). */
export function markChainBroken(db: Db, chainSeq: number, reason: string, at: string): void {
  db.prepare('INSERT OR IGNORE INTO broken_chains (chain_seq, reason, marked_at) VALUES (?, ?, ?)').run(chainSeq, reason, at);
}

/** Why the chain starting at `chainSeq` is broken, or undefined when it is whole. */
export function chainBroken(db: Db, chainSeq: number): string | undefined {
  return db.prepare('SELECT reason FROM broken_chains WHERE chain_seq = ?').pluck().get(chainSeq) as string | undefined;
}

/** Every chain marked broken: its first seq → why. */
export function brokenChains(db: Db): Map<number, string> {
  const rows = db.prepare('SELECT chain_seq AS chainSeq, reason FROM broken_chains').all() as Array<{ chainSeq: number; reason: string }>;
  return new Map(rows.map((r) => [r.chainSeq, r.reason]));
}
