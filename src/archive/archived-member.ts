/** What the archive writer reports about each member it wrote; the catalog records it. */
import type { EntryType } from '../scan/tree-entry.js';

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
