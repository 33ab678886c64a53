/** What the scan decides one archive will hold, handed to the archive writer. Paths as in TreeEntry. */
import type { TreeEntry } from './tree-entry.js';

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
  /** Paths new since the previous snapshot, and paths stored again because they changed (byte order); with `deleted`, what the run log lists. */
  added: string[];
  changed: string[];
}
