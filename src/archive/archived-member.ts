/** What the archive writer reports about each member it wrote; the catalog records it. */
import type { MemberType } from '../scan/tree-entry.js';

/** A member as written to an archive, recorded in the catalog. */
export interface ArchivedMember {
  path: string;
  type: MemberType;
  mode: number;
  /** File size (for a hard link, the size of the file it names). */
  size: number;
  /** Whole seconds since the epoch, as stored in the tar header. */
  mtime: number;
  /** Offset in the uncompressed tar stream of the member's first header block (a LongLink header when there is one). */
  tarOffset: number;
  /** Symlink target; for a hard link, the data-relative path of the member (same archive) that holds the content. */
  linkTarget?: string;
  /** Owner ids; absent for members recorded before the catalog kept them (restored with the restorer's ids). */
  uid?: number;
  gid?: number;
  /** Owner names as the header carries them (GNU tar restores by name when the name exists, else by id). */
  uname?: string;
  gname?: string;
  devMajor?: number;
  devMinor?: number;
}
