/**
 * Orphans: objects of this set in storage that the catalog does not know, recognised by
 * their self-description. A crash right after an upload succeeded (before the catalog
 * recorded its ID) leaves one, and the resumed upload then stores a second copy. Pure.
 *
 * - A data archive whose catalog row (same file name) has no archive ID yet, with the same
 *   size (and tree hash, when known): adopted (its upload finished before a crash).
 * - A data archive whose catalog row (same file name) has another archive ID: a second copy,
 *   deleted. One of a chain the catalog knows (same chain identity) that the catalog does not
 *   list: its run never committed it, deleted.
 * - Anything else of the set (another chain: a catalog lost before, say) is left alone; it
 *   stays reported as unknown. Deleting it could lose the only copy of old points.
 * - A catalog snapshot: adopted as a known snapshot, so snapshot pruning covers it.
 */
import type { DecodedDescription } from '../storage/archive-description.js';

/** An unknown object as the listing shows it. */
export interface UnknownObject {
  archiveId: string;
  size: number;
  treeHash: string;
  createdAt: string;
  decoded: DecodedDescription | null;
}

/** The fields of a catalog archive this plan reads. */
export interface KnownArchive {
  seq: number;
  fileName: string;
  archiveId: string | null;
  uploadState: string;
  size: number;
  treeHash: string;
  chainId: string | null;
}

/** What to do with one orphan. */
export type OrphanAction =
  | { action: 'adopt'; seq: number; archiveId: string }
  | { action: 'adopt-snapshot'; archiveId: string; size: number; treeHash: string; createdAt: string }
  | { action: 'delete'; archiveId: string; why: string };

/** Plans what to do with the unknown objects of `set`; foreign objects are left alone. */
export function planOrphans(unknown: readonly UnknownObject[], archives: readonly KnownArchive[], set: string): OrphanAction[] {
  const byName = new Map(archives.map((a) => [a.fileName, a]));
  const chains = new Set(archives.map((a) => a.chainId).filter((c): c is string => !!c));
  const out: OrphanAction[] = [];
  const adopted = new Set<number>();
  for (const u of unknown) {
    const d = u.decoded;
    if (!d || d.set !== set) continue;
    if (d.kind === 'catalog') {
      out.push({ action: 'adopt-snapshot', archiveId: u.archiveId, size: u.size, treeHash: u.treeHash, createdAt: d.createdAt.toISOString() });
      continue;
    }
    const a = byName.get(d.fileName);
    if (a?.archiveId === u.archiveId) continue; // deleted since the listing was taken
    if (a && !a.archiveId && !adopted.has(a.seq)) {
      if (a.size === u.size && (!u.treeHash || a.treeHash === u.treeHash)) {
        adopted.add(a.seq);
        out.push({ action: 'adopt', seq: a.seq, archiveId: u.archiveId });
      }
    } else if (a) {
      out.push({ action: 'delete', archiveId: u.archiveId, why: `a second copy of archive ${a.seq} (${a.fileName})` });
    } else if (d.chainId && chains.has(d.chainId)) {
      out.push({ action: 'delete', archiveId: u.archiveId, why: `archive ${d.seq} (${d.fileName}) of a known chain was never committed to the catalog` });
    }
  }
  return out;
}
