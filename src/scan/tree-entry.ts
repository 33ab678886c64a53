/**
 * The shapes that flow from the scan to the archive writer and into the catalog.
 * Paths are relative to the data directory, POSIX-separated, without a leading "./";
 * the data directory itself is "" (the empty string).
 */

export type EntryType = 'file' | 'dir' | 'symlink';

/** One thing found in the data directory, with what change detection compares. */
export interface TreeEntry {
  path: string;
  type: EntryType;
  /** Permission bits only (mode & 0o7777). */
  mode: number;
  /** Bytes for files; 0 for directories and symlinks. */
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  /** Symlink target, as stored in the link. */
  linkTarget?: string;
}

/** A dumpdir entry flag, as GNU tar writes it: Y = stored in this archive, N = unchanged (an earlier archive holds it), D = subdirectory. */
export type DumpdirFlag = 'Y' | 'N' | 'D';

/** A directory member of an incremental archive and its listing. */
export interface PlannedDir {
  entry: TreeEntry;
  /** Names directly inside the directory, sorted by raw UTF-8 bytes (Buffer.compare). */
  listing: Array<{ name: string; flag: DumpdirFlag }>;
}

/**
 * What one archive will contain, in member order: every directory (sorted by full path,
 * byte order) as a dumpdir member, then the stored (Y) non-directories in the same order.
 */
export interface ArchivePlan {
  level: number;
  dirs: PlannedDir[];
  files: TreeEntry[];
  /** Paths present in the previous snapshot and absent now, or whose type changed (restore removes them). */
  deleted: string[];
  /** Entries the next snapshot will hold if the archive is written as planned. */
  snapshot: TreeEntry[];
  /** Totals for reporting. */
  counts: { added: number; changed: number; unchanged: number; deleted: number; bytes: number };
}

/** A member as written to an archive, recorded in the catalog. */
export interface ArchivedMember {
  path: string;
  type: EntryType;
  mode: number;
  size: number;
  /** Whole seconds since the epoch, as stored in the tar header. */
  mtime: number;
  /** Offset in the uncompressed tar stream of the member's first header block (a LongLink header when there is one). */
  tarOffset: number;
  linkTarget?: string;
}

/** One gzip member of a block-gzipped archive: where its tar bytes start and where its compressed bytes start. */
export interface GzipBlock {
  rawOffset: number;
  gzOffset: number;
}
