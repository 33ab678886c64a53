/**
 * A run must never start numbering again over archives an earlier catalog made: with the
 * catalog lost or replaced, a new chain would reuse sequence numbers and file names. So
 * before a run writes anything:
 * - the archive files of this set in the local-copy directory must all be known to the
 *   catalog;
 * - when the catalog knows no archive at all and offsite storage is configured, what the
 *   storage is cheaply known to hold must show no archive of this set: the newest listing
 *   `inventory fetch` stored, the open multipart uploads (one request), and, where listing
 *   answers at once (a bucket), the listing itself. A vault's listing is an inventory job of
 *   hours, so a vault whose inventory was never fetched is not listed here (the README says
 *   so); a first run on an empty bucket costs one LIST and one ListMultipartUploads.
 * Otherwise the run refuses (exit 2) with the command that recovers the catalog.
 */
import { findArchives } from '../restore/restore-from-archives.js';
import { BackupError } from '../errors.js';
import { decodeDescription } from '../storage/archive-description.js';
import type { Backend } from '../storage/backend.js';

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

/**
 * Throws CATALOG_LOST when the catalog knows no archive but storage holds archives (or a
 * catalog snapshot, or an open upload) of `set`. `fetchedDescriptions` are the descriptions
 * in the newest listing the catalog stored, if any; `journaled` the uploads this catalog's
 * upload journal holds (an interrupted first run's: the run's reconciliation settles them).
 */
export async function guardLostCatalogOffsite(opts: {
  set: string;
  fetchedDescriptions: readonly string[];
  journaled: ReadonlyArray<{ fileName: string; uploadId: string | null }>;
  backend: Backend;
  catalogPath: string;
  configPath: string;
}): Promise<void> {
  const { backend } = opts;
  const journaledNames = new Set(opts.journaled.map((j) => j.fileName));
  const journaledIds = new Set(opts.journaled.map((j) => j.uploadId));
  const evidence: Array<{ seq: number; what: string }> = [];
  const consider = (description: string, where: string) => {
    const meta = decodeDescription(description);
    if (meta && meta.set === opts.set && !journaledNames.has(meta.fileName)) evidence.push({ seq: meta.seq, what: `${meta.kind === 'catalog' ? 'catalog snapshot' : 'archive'} ${meta.seq} (${where})` });
  };
  for (const d of opts.fetchedDescriptions) consider(d, 'in the fetched inventory');
  if (evidence.length === 0 && backend.info.listsAtOnce) {
    const l = await backend.list();
    if (l.ready) for (const o of l.objects) consider(o.description, o.id);
  }
  if (evidence.length === 0) {
    // a vault names an open upload by its description, a bucket by its key (data archives only: prefix/set/000042-L1-…)
    for (const u of await backend.listUploads()) {
      if (journaledIds.has(u.uploadId)) continue;
      consider(u.label, `an open upload`);
      const key = /(?:^|\/)([^/]+)\/(\d{6})-L\d+-[^/]*$/.exec(u.label);
      if (key && key[1] === opts.set && !decodeDescription(u.label)) evidence.push({ seq: Number(key[2]), what: `archive ${Number(key[2])} (an open upload ${u.label})` });
    }
  }
  if (evidence.length === 0) return;
  const newest = evidence.reduce((a, b) => (b.seq > a.seq ? b : a));
  throw new BackupError(
    'CATALOG_LOST',
    `the catalog ${opts.catalogPath} knows no archive, but ${backend.info.location} holds ${evidence.length} item(s) of set "${opts.set}" (newest: ${newest.what}): the catalog was lost or replaced, and a new run would reuse their sequence numbers; recover it with "backup catalog rebuild --from-inventory --wait --config ${opts.configPath}"`,
    { subject: backend.info.location },
  );
}
