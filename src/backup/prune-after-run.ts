/**
 * `retention.afterRun`: after a run that made a restorable point, the same prune as
 * `backup prune` (same function, same guards: whole chains only, `minChains`, nothing inside
 * the minimum storage duration). A prune that fails never fails the backup: it becomes a
 * warning (exit 3) and the next run, or `backup prune`, tries again. While an archive still
 * waits for its upload nothing is pruned: the newest point is not offsite yet.
 */
import type { Config } from '../config/load-config.js';
import { pendingUploads } from '../catalog/archive-store.js';
import type { Db } from '../catalog/open-catalog.js';
import { BackupError } from '../errors.js';
import { pruneChains } from '../retention/prune-chains.js';
import type { Backend } from '../storage/backend.js';
import { formatBytes } from '../ui/format-units.js';

/** What the prune after a run needs. */
export interface PruneAfterRunDeps {
  db: Db;
  config: Pick<Config, 'retention' | 'prices'>;
  backend?: () => Promise<Backend>;
  signal: AbortSignal;
  now: () => Date;
  /** The run log's info and warn. */
  info: (line: string) => void;
  warn: (line: string) => void;
}

/** The prune's outcome: a few words for the summary line, and the warning when it failed (already logged). */
export interface PruneAfterRun {
  note: string;
  warning?: string;
}

/** Prunes with the configured policy; rethrows only ABORTED (the run was interrupted), any other failure is a warning. */
export async function pruneAfterRun(deps: PruneAfterRunDeps): Promise<PruneAfterRun> {
  const backend = deps.backend ?? (() => Promise.reject(new BackupError('CONFIG_INVALID', 'an uploaded archive is to be pruned but the config has no vault or s3 section')));
  const waiting = pendingUploads(deps.db).length;
  if (waiting) {
    // the newest point is not offsite yet: deleting older chains now could leave nothing offsite
    deps.info(`retention: skipped, ${waiting} archive(s) still wait for upload ("backup upload"); the next run prunes`);
    return { note: 'prune skipped (uploads pending)' };
  }
  try {
    const r = await pruneChains({ db: deps.db, config: deps.config, backend, now: deps.now, line: (l) => deps.info(`retention: ${l}`), signal: deps.signal }, { dryRun: false, allowEarlyDelete: false });
    const chains = r.plan.delete.length;
    const note = r.deleted.length
      ? `pruned ${r.deleted.length} archive${r.deleted.length === 1 ? '' : 's'} of ${chains} chain${chains === 1 ? '' : 's'} (${formatBytes(r.deletedBytes)})`
      : 'pruned nothing';
    deps.info(`retention: ${note}; keeping ${r.plan.keep.length} chain(s)${r.plan.skippedEarly.length ? ` and ${r.plan.skippedEarly.length} more until the minimum storage duration ends` : ''}`);
    return { note };
  } catch (err) {
    if (deps.signal.aborted) throw err;
    const warning = `retention after the run failed, the backup itself is complete (the next run or "backup prune" tries again): ${(err as Error).message}`;
    deps.warn(warning);
    return { note: 'prune FAILED (see the run log)', warning };
  }
}
