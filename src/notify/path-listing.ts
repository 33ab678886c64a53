/** The paths a run added, changed and deleted, as bounded lines for the run log and `--dry-run` (pure). */
import { showName } from '../scan/name-bytes.js';

/** The three lists, in byte order. */
export interface PathChanges {
  added: readonly string[];
  changed: readonly string[];
  deleted: readonly string[];
  /** How many there are of each kind, when the lists hold only the first ones (a run keeps at most 10,000 of each). */
  totals?: { added: number; changed: number; deleted: number };
}

/** How many paths of each kind are listed before the rest is only counted. */
export const LISTED_PATHS = 100;

/** `+ path` / `~ path` / `- path` lines (names as showName shows them: a newline in one cannot start a line of its own), at most `limit` of each kind, then `… and N more added`. */
export function pathListing(c: PathChanges, limit = LISTED_PATHS): string[] {
  const lines: string[] = [];
  const kinds: Array<[string, 'added' | 'changed' | 'deleted', readonly string[]]> = [
    ['+', 'added', c.added],
    ['~', 'changed', c.changed],
    ['-', 'deleted', c.deleted],
  ];
  for (const [mark, word, paths] of kinds) {
    const total = Math.max(paths.length, c.totals?.[word] ?? 0);
    for (const p of paths.slice(0, limit)) lines.push(`${mark} ${showName(p)}`);
    if (total > limit) lines.push(`${mark} … and ${total - limit} more ${word}`);
  }
  return lines;
}
