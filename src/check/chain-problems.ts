/**
 * Chain consistency, from the catalog's archive rows alone. Pure.
 *
 * Every archive that is not deleted must be restorable: a full starts its own chain, an
 * incremental sits one level above a parent of the same chain that is itself present, and
 * its bytes are somewhere (a local copy or the vault).
 */

/** One thing found wrong; `seq` null when it concerns no single archive. */
export interface CheckProblem {
  seq: number | null;
  what: string;
}

/** The fields of an archive row this check reads. */
export interface ChainRow {
  seq: number;
  level: number;
  parentSeq: number | null;
  chainSeq: number;
  uploadState: string;
  archiveId: string | null;
  /** True when a local copy or staged file exists on disk. */
  hasLocalFile: boolean;
}

/** Problems with the archive chains; `broken` maps a chain's first seq to why it was marked broken. */
export function chainProblems(rows: readonly ChainRow[], broken: ReadonlyMap<number, string>): CheckProblem[] {
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const problems: CheckProblem[] = [];
  for (const r of rows) {
    if (r.uploadState === 'deleted') continue;
    if (r.level === 0) {
      if (r.parentSeq !== null || r.chainSeq !== r.seq) problems.push({ seq: r.seq, what: `a full archive recorded with parent ${r.parentSeq} and chain ${r.chainSeq}` });
    } else {
      const parent = r.parentSeq === null ? undefined : bySeq.get(r.parentSeq);
      if (!parent) problems.push({ seq: r.seq, what: `needs archive ${r.parentSeq}, which the catalog does not have; it cannot be restored` });
      else if (parent.uploadState === 'deleted') problems.push({ seq: r.seq, what: `needs archive ${parent.seq}, which was deleted; it cannot be restored` });
      else if (parent.level !== r.level - 1 || parent.chainSeq !== r.chainSeq) problems.push({ seq: r.seq, what: `level ${r.level} on archive ${parent.seq} (level ${parent.level}, chain ${parent.chainSeq}) does not form a chain` });
    }
    if (!r.hasLocalFile && r.uploadState !== 'uploaded') {
      problems.push({ seq: r.seq, what: r.uploadState === 'pending' ? 'its upload is pending but the staged file is gone' : 'it has no local copy and is not in the vault' });
    }
  }
  for (const [chainSeq, reason] of broken) {
    if (rows.some((r) => r.chainSeq === chainSeq && r.uploadState !== 'deleted')) problems.push({ seq: chainSeq, what: `its chain is marked broken (${reason}); "backup prune" removes it once a newer chain is kept` });
  }
  return problems;
}
