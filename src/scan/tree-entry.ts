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
