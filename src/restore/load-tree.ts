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

/** The archive `point` names and its chain, full archive first. */
export function chainAt(db: Db, point: RestorePoint): { target: ArchiveRecord; chain: ArchiveRecord[] } {
  const archives = listArchives(db);
  const target = targetArchive(archives, point);
  return { target, chain: chainTo(archives, target) };
}

/** Reads the catalog and folds the chain to `point`. */
export function loadTreeAt(db: Db, point: RestorePoint): TreeAtPoint {
  const { target, chain } = chainAt(db, point);
  return { target, chain, ...foldChain(db, chain) };
}

/** The tree `chain` adds up to, and the tar offsets of each of its archives' members. */
export function foldChain(db: Db, chain: readonly ArchiveRecord[]): Pick<TreeAtPoint, 'tree' | 'offsets'> {
  const offsets = new Map<number, number[]>();
  const tree = treeAt(
    chain.map((a) => {
      // read each archive's members once: the fold takes them, and their offsets stay for span planning
      const members = archiveMembers(db, a.seq);
      offsets.set(a.seq, members.map((m) => m.tarOffset));
      return { seq: a.seq, members, deletions: archiveDeletions(db, a.seq) };
    }),
  );
  return { tree, offsets };
}
