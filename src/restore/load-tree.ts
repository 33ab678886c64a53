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
  /** Tar offsets of every member of each chain archive, sorted: where each member ends (for byte ranges). */
  offsets: Map<number, number[]>;
}

/** Reads the catalog and folds the chain to `point`. */
export function loadTreeAt(db: Db, point: RestorePoint): TreeAtPoint {
  const archives = listArchives(db);
  const target = targetArchive(archives, point);
  const chain = chainTo(archives, target);
  const offsets = new Map<number, number[]>();
  const tree = treeAt(
    chain.map((a) => {
      // read each archive's members once: the fold takes them, and their offsets stay for span planning
      const members = archiveMembers(db, a.seq);
      offsets.set(a.seq, members.map((m) => m.tarOffset));
      return { seq: a.seq, members, deletions: archiveDeletions(db, a.seq) };
    }),
  );
  return { target, chain, tree, offsets };
}
