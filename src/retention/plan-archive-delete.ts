/**
 * What deleting one archive does to its chain. Pure.
 *
 * Every archive of a chain depends on all earlier ones, so deleting an archive that later,
 * still-present archives follow leaves them unrestorable: refused unless forced. Deleting the
 * newest archive of the newest chain leaves nothing unrestorable yet, but the next incremental
 * would be taken against a snapshot that only the deleted archive holds; so any deletion from
 * the newest chain, or one that strands later archives, breaks the chain: the next run starts
 * a new full.
 */

/** The fields of an archive row this plan reads. */
export interface ChainArchive {
  seq: number;
  chainSeq: number;
  uploadState: string;
}

/** The consequences of deleting `target`. */
export interface ArchiveDeletePlan<A extends ChainArchive> {
  /** Later archives of the same chain, not deleted, that need `target`. */
  dependents: A[];
  /** True when the chain must be marked broken. */
  breaksChain: boolean;
}

/** Plans the deletion of `target` among `all` archives. */
export function planArchiveDelete<A extends ChainArchive>(all: readonly A[], target: A): ArchiveDeletePlan<A> {
  const present = all.filter((a) => a.uploadState !== 'deleted');
  const dependents = present.filter((a) => a.chainSeq === target.chainSeq && a.seq > target.seq);
  const newest = present.reduce<A | undefined>((m, a) => (!m || a.seq > m.seq ? a : m), undefined);
  return { dependents, breaksChain: dependents.length > 0 || newest?.chainSeq === target.chainSeq };
}
