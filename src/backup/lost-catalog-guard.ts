/**
 * A run must never start numbering again over archives an earlier catalog made: with the
 * catalog lost or replaced, a new chain would reuse sequence numbers and file names. So
 * before a run writes anything, the archive files of this set in the local-copy directory
 * must all be known to the catalog; otherwise the run refuses (exit 2) with the command that
 * recovers the catalog.
 */
import { findArchives } from '../restore/restore-from-archives.js';
import { BackupError } from '../errors.js';

/** Throws CATALOG_LOST when `localDir` holds archive files of `set` that `knownFileNames` lacks. */
export async function guardLostCatalog(opts: { localDir: string; set: string; knownFileNames: ReadonlySet<string>; catalogPath: string; configPath: string; hasVault: boolean }): Promise<void> {
  let found;
  try {
    found = await findArchives(opts.localDir, opts.set);
  } catch {
    return; // no local-copy directory yet
  }
  const unknown = found.filter((a) => !opts.knownFileNames.has(a.fileName));
  if (unknown.length === 0) return;
  const adopt = `"backup catalog rebuild --from-archives ${opts.localDir} --config ${opts.configPath}"`;
  const recover = opts.hasVault
    ? `recover it with "backup inventory request" then "backup catalog rebuild --from-inventory --wait", or adopt the local files with ${adopt}`
    : `adopt them with ${adopt}`;
  throw new BackupError(
    'CATALOG_LOST',
    `the catalog ${opts.catalogPath} does not know ${unknown.length} archive file(s) of set "${opts.set}" in ${opts.localDir} (newest ${unknown.at(-1)!.fileName}): it was lost or replaced, and a new run would reuse their sequence numbers; ${recover}`,
    { subject: opts.localDir },
  );
}
