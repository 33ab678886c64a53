/** Indexing a snapshot by path, the shape planArchive takes as `previous`. */
import type { TreeEntry } from './tree-entry.js';

/** A map from path to entry; a later entry with the same path replaces an earlier one. */
export function snapshotMap(entries: Iterable<TreeEntry>): Map<string, TreeEntry> {
  const map = new Map<string, TreeEntry>();
  for (const e of entries) map.set(e.path, e);
  return map;
}
