/**
 * The shapes that flow from the scan to the archive writer and into the catalog.
 * Paths are relative to the data directory, POSIX-separated, without a leading "./";
 * the data directory itself is "" (the empty string).
 */

/** What the scan records: regular files, directories, symlinks, FIFOs and device nodes (sockets are skipped, as GNU tar does). */
export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev';

/** What an archive member is: a scanned type, or a GNU tar hard link member ('1') naming an earlier member of the same archive. */
export type MemberType = EntryType | 'hardlink';

/** The special types stored as header-only members with device numbers. */
export function isSpecialType(t: MemberType): t is 'fifo' | 'chardev' | 'blockdev' {
  return t === 'fifo' || t === 'chardev' || t === 'blockdev';
}

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
  /** Number of names of the inode (regular files): above 1, the archive writer stores the later names as hard links. */
  nlink?: number;
  /** Allocated 512-byte blocks (regular files): fewer than the size needs marks a sparse candidate. */
  blocks?: number;
  /** Device numbers of a character or block device. */
  devMajor?: number;
  devMinor?: number;
}
