/**
 * The data directory's tree as of an archive, computed from the catalog alone by folding
 * the chain: each archive removes its deletions, then sets what it stores. Pure.
 */
import type { ArchivedMember } from '../archive/archived-member.js';

/** A path in the tree at a point, and the archive holding its latest version. */
export interface TreeNode extends ArchivedMember {
  seq: number;
}

/** One archive's contribution to the fold. */
export interface ChainStep {
  seq: number;
  members: Iterable<ArchivedMember>;
  deletions: readonly string[];
}

/** Folds a chain (full first) into the tree at its last archive, keyed by path ('' is the root). */
export function treeAt(chain: Iterable<ChainStep>): Map<string, TreeNode> {
  const tree = new Map<string, TreeNode>();
  for (const step of chain) {
    if (step.deletions.length > 0) {
      const gone = new Set(step.deletions);
      for (const path of tree.keys()) if (isUnder(path, gone)) tree.delete(path);
    }
    for (const m of step.members) tree.set(m.path, { ...m, seq: step.seq });
  }
  return tree;
}

/** True when `path` or one of its ancestors is in `set`. */
function isUnder(path: string, set: ReadonlySet<string>): boolean {
  let p = path;
  for (;;) {
    if (set.has(p)) return true;
    const slash = p.lastIndexOf('/');
    if (slash < 0) return false;
    p = p.slice(0, slash);
  }
}
