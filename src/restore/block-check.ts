/**
 * The check of one gzip block of an archive against the catalog: each block's SHA-256 was
 * recorded when it was written, so bytes read back (from a local copy, on a hashing thread
 * or not, or from a retrieval) are used only once their block matches.
 */
import { createHash } from 'node:crypto';

/** The extent [start, end) of one block in the compressed file, and its recorded hash. */
export interface BlockCheck {
  index: number;
  start: number;
  end: number;
  sha256?: string;
}

/** True when `block` is the whole of `c` with its recorded hash (or `c` has none recorded). */
export function blockMatches(block: Uint8Array, c: BlockCheck): boolean {
  return block.length === c.end - c.start && (c.sha256 === undefined || createHash('sha256').update(block).digest('hex') === c.sha256);
}
