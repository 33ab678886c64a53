/** Loads the tree at a restore point from the catalog: target, chain, and the folded tree. */
import type { Db } from '../catalog/open-catalog.js';
import { archiveDeletions, archiveMembers, listArchives, type ArchiveRecord } from '../catalog/archive-store.js';
import { chainTo, targetArchive, type RestorePoint } from './plan-chain.js';
import { treeAt, type TreeNode } from './tree-at.js';

/** The archives of the chain to a point and the tree they add up to. */
export interface TreeAtPoint {
  target: ArchiveRecord;
  chain: ArchiveRecord[];
  tree: Map<string, TreeNode>;
}

/** Reads the catalog and folds the chain to `point`. */
export function loadTreeAt(db: Db, point: RestorePoint): TreeAtPoint {
  const archives = listArchives(db);
  const target = targetArchive(archives, point);
  const chain = chainTo(archives, target);
  const tree = treeAt(chain.map((a) => ({ seq: a.seq, members: archiveMembers(db, a.seq), deletions: archiveDeletions(db, a.seq) })));
  return { target, chain, tree };
}
