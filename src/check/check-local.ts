/**
 * The local part of `backup check`: the catalog file's integrity, the chains' consistency,
 * and every local copy re-hashed and re-read against the catalog. Reads only; changes nothing.
 */
import type { Db } from '../catalog/open-catalog.js';
import { catalogIntegrity } from '../catalog/open-catalog.js';
import { brokenChains, listArchives } from '../catalog/archive-store.js';
import { localCopyOf } from '../restore/archive-sources.js';
import { throwIfAborted } from '../errors.js';
import { chainProblems, type CheckProblem } from './chain-problems.js';
import { checkArchiveFile } from './check-archive-file.js';
import { expectedArchive } from './expected-archive.js';
import type { IdentitySource } from '../restore/decrypting-source.js';

/** What the local check looked at. */
export interface LocalCheckCounts {
  archives: number;
  localCopies: number;
  bytesVerified: number;
}

/** Runs the local checks; resolves with the problems found (empty when all holds). */
export async function checkLocal(db: Db, opts: { signal: AbortSignal; onProgress?: (line: string) => void; identity?: IdentitySource }): Promise<{ problems: CheckProblem[]; counts: LocalCheckCounts }> {
  const problems: CheckProblem[] = catalogIntegrity(db).map((what) => ({ seq: null, what: `catalog: ${what}` }));
  const archives = listArchives(db);
  const rows = archives.map((a) => ({ ...a, hasLocalFile: localCopyOf(a) !== undefined }));
  problems.push(...chainProblems(rows, brokenChains(db)));
  const counts: LocalCheckCounts = { archives: archives.filter((a) => a.uploadState !== 'deleted').length, localCopies: 0, bytesVerified: 0 };
  for (const a of archives) {
    const path = localCopyOf(a);
    if (!path) continue;
    throwIfAborted(opts.signal);
    opts.onProgress?.(`checking the local copy of archive ${a.seq} (${a.fileName})`);
    const found = await checkArchiveFile(path, expectedArchive(db, a, opts.identity), { label: `local copy ${path}`, signal: opts.signal });
    problems.push(...found.map((what) => ({ seq: a.seq, what })));
    counts.localCopies++;
    counts.bytesVerified += a.size;
  }
  problems.sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0));
  return { problems, counts };
}
