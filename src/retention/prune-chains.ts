/**
 * Applying the retention policy: plans with `planPrune` (whole chains only, the minimum
 * storage duration respected) and deletes what the plan says, from offsite storage and
 * local copies. `backup prune` and a run with `retention.afterRun` both call this, so the
 * two cannot drift apart.
 *
 * Crash safety: a chain is deleted newest archive first, and each archive is forgotten by
 * the catalog only after its object is gone (delete is idempotent), so an interrupted prune
 * never leaves an incremental whose parent is missing, and the next prune finishes the job.
 */
import { unlink } from 'node:fs/promises';
import { markArchivePruned, listArchives, type ArchiveRecord } from '../catalog/archive-store.js';
import type { Db } from '../catalog/open-catalog.js';
import type { Config } from '../config/load-config.js';
import { throwIfAborted } from '../errors.js';
import { assertStoredIn } from '../storage/assert-stored-in.js';
import type { Backend } from '../storage/backend.js';
import { formatBytes } from '../ui/format-units.js';
import { storageTerms } from '../cost/storage-terms.js';
import { planPrune, type Chain, type PrunePlan } from './plan-prune.js';

/** What a prune needs. */
export interface PruneDeps {
  db: Db;
  config: Pick<Config, 'retention' | 'prices' | 's3'>;
  /** Offsite storage, opened on first use; only asked for when an uploaded archive is deleted. */
  backend: () => Promise<Pick<Backend, 'delete' | 'info'>>;
  now: () => Date;
  /** One line per decision (a chain kept for its early-deletion charge, a chain deleted). */
  line: (text: string) => void;
  signal?: AbortSignal;
}

/** The plan and the seqs of the archives actually deleted (none for a dry run). */
export interface PruneResult {
  plan: PrunePlan;
  deleted: number[];
  /** Bytes of the deleted archives. */
  deletedBytes: number;
}

/** Plans and (unless `dryRun`) carries out a prune. Throws the storage's error when a delete fails; what was deleted before stays recorded. */
export async function pruneChains(deps: PruneDeps, opts: { dryRun: boolean; allowEarlyDelete: boolean }): Promise<PruneResult> {
  const { db, config } = deps;
  const live = listArchives(db).filter((a) => a.uploadState !== 'deleted');
  const byChain = new Map<number, ArchiveRecord[]>();
  for (const a of live) byChain.set(a.chainSeq, [...(byChain.get(a.chainSeq) ?? []), a]);
  const chains = [...byChain].map(([fullSeq, archives]) => ({
    fullSeq,
    archives: archives.map((a) => ({
      seq: a.seq,
      createdAt: new Date(a.createdAt),
      size: a.size,
      ...(a.uploadedAt ? { uploadedAt: new Date(a.uploadedAt) } : {}),
      ...(a.archiveId ? { archiveId: a.archiveId } : {}),
      ...(a.localPath ? { localPath: a.localPath } : {}),
      terms: storageTerms(a, config),
    })),
  }));
  const { retention, prices } = config;
  const plan = planPrune({
    chains,
    policy: { keepChains: retention.keepChains, keepDays: retention.keepDays, minChains: retention.minChains },
    now: deps.now(),
    minimumStorageDays: prices.minimumStorageDays,
    allowEarlyDelete: opts.allowEarlyDelete || retention.allowEarlyDelete,
    storagePerGiBMonth: prices.storagePerGiBMonth,
  });
  for (const s of plan.skippedEarly) {
    deps.line(`keeping chain ${s.chain.fullSeq} (${s.chain.archives.length} archives): deleting it now would incur the early-deletion charge of about $${s.earlyDeletionCharge.toFixed(4)} (${minimumsOf(s.chain)}); "backup prune --allow-early-delete" deletes it anyway`);
  }
  const bySeq = new Map(live.map((a) => [a.seq, a]));
  // while a vault moves to a bucket, an archive id never goes to the storage that lacks it
  const offsite = opts.dryRun ? [] : plan.delete.flatMap((d) => d.archives.map((a) => bySeq.get(a.seq)!)).filter((a) => a.archiveId && a.uploadState === 'uploaded');
  if (offsite.length) {
    const info = (await deps.backend()).info;
    for (const a of offsite) assertStoredIn(a, info);
  }
  const deleted: number[] = [];
  let deletedBytes = 0;
  for (const d of plan.delete) {
    const bytes = d.archives.reduce((n, a) => n + a.size, 0);
    deps.line(`${opts.dryRun ? 'would delete' : 'deleting'} chain ${d.chain.fullSeq}: archives ${d.archives.map((a) => a.seq).join(', ')} (${formatBytes(bytes)})${d.earlyDeletionCharge > 0 ? `, early-deletion charge about $${d.earlyDeletionCharge.toFixed(4)}` : ''}`);
    if (opts.dryRun) continue;
    // newest first, so an interrupted prune never leaves an incremental without its parent
    for (const a of [...d.archives].sort((x, y) => y.seq - x.seq)) {
      throwIfAborted(deps.signal);
      const rec = bySeq.get(a.seq)!;
      if (rec.archiveId && rec.uploadState === 'uploaded') await (await deps.backend()).delete(rec.archiveId);
      for (const p of [rec.localPath, rec.stagedPath]) if (p) await unlink(p).catch(() => undefined);
      markArchivePruned(db, rec.seq, deps.now().toISOString());
      deleted.push(rec.seq);
      deletedBytes += rec.size;
    }
  }
  return { plan, deleted, deletedBytes };
}

/** The minimums that hold a chain back, e.g. "DEEP_ARCHIVE: 180-day minimum" or "vault: 90-day minimum". */
function minimumsOf(chain: Chain): string {
  const labels = new Map<string, number>();
  for (const a of chain.archives) if (a.terms && a.uploadedAt) labels.set(a.terms.label, a.terms.minimumStorageDays);
  return [...labels].map(([label, days]) => `${label}: ${days}-day minimum`).join(', ');
}
