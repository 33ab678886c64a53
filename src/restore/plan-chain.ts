/**
 * Which archives a restore needs: the target archive and its ancestors back to the
 * full (level 0) archive of its chain. Pure.
 */
import { BackupError } from '../errors.js';

/** The fields chain planning reads from an archive record. */
export interface ChainLink {
  seq: number;
  level: number;
  parentSeq: number | null;
  createdAt: string;
  uploadState: string;
}

/** What point in time to restore: a sequence number, a time (newest archive at or before it), or the latest. */
export type RestorePoint = { seq: number } | { at: Date } | { latest: true };

/** Picks the target archive for `point` among live (not deleted) archives. */
export function targetArchive<T extends ChainLink>(archives: readonly T[], point: RestorePoint): T {
  const live = archives.filter((a) => a.uploadState !== 'deleted');
  if (live.length === 0) throw new BackupError('NOT_FOUND', 'there are no backups in the catalog yet; run "backup run" first');
  if ('seq' in point) {
    const a = live.find((x) => x.seq === point.seq);
    if (!a) throw new BackupError('NOT_FOUND', `there is no archive with sequence ${point.seq}; see "backup list"`);
    return a;
  }
  if ('at' in point) {
    const t = point.at.getTime();
    const before = live.filter((a) => Date.parse(a.createdAt) <= t);
    if (before.length === 0) throw new BackupError('NOT_FOUND', `no backup was made at or before ${point.at.toISOString()}; the first is from ${live[0].createdAt}`);
    return before[before.length - 1];
  }
  return live[live.length - 1];
}

/** The chain ending at `target`, full archive first. Throws if a link is missing or deleted. */
export function chainTo<T extends ChainLink>(archives: readonly T[], target: T): T[] {
  const bySeq = new Map(archives.map((a) => [a.seq, a]));
  const chain: T[] = [target];
  let cur = target;
  while (cur.level > 0) {
    const parent = cur.parentSeq === null ? undefined : bySeq.get(cur.parentSeq);
    if (!parent || parent.uploadState === 'deleted') {
      throw new BackupError('NOT_FOUND', `archive ${cur.seq} depends on archive ${cur.parentSeq}, which is ${parent ? 'deleted' : 'missing from the catalog'}; restore an earlier point or rebuild the catalog with "backup catalog rebuild --from-inventory"`);
    }
    chain.push(parent);
    cur = parent;
  }
  return chain.reverse();
}
