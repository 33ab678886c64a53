/** `backup prune`: apply the retention policy, whole chains only, minding Glacier's 90-day minimum. */
import type { Command } from 'commander';
import { unlink } from 'node:fs/promises';
import { listArchives, markArchivePruned, type ArchiveRecord } from '../../catalog/archive-store.js';
import { planPrune } from '../../retention/plan-prune.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup prune`. */
export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('delete whole chains the retention policy no longer keeps, from the vault and local copies')
    .option('--dry-run', 'show the plan and delete nothing')
    .option('--allow-early-delete', 'also delete archives younger than Glacier\'s minimum storage duration (billed as if kept)')
    .addHelpText('after', '\nExamples:\n  backup prune --dry-run\n  backup prune --allow-early-delete')
    .action((opts: { dryRun?: boolean; allowEarlyDelete?: boolean }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: opts.dryRun ? undefined : 'prune' }, (ctx) => prune(ctx, { dryRun: !!opts.dryRun, allowEarlyDelete: !!opts.allowEarlyDelete })),
    );
}

async function prune(ctx: CommandContext, opts: { dryRun: boolean; allowEarlyDelete: boolean }): Promise<void> {
  const live = listArchives(ctx.db).filter((a) => a.uploadState !== 'deleted');
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
    })),
  }));
  const { retention, prices } = ctx.config;
  const plan = planPrune({
    chains,
    policy: { keepChains: retention.keepChains, keepDays: retention.keepDays, minChains: retention.minChains },
    now: new Date(),
    minimumStorageDays: prices.minimumStorageDays,
    allowEarlyDelete: opts.allowEarlyDelete,
    storagePerGiBMonth: prices.storagePerGiBMonth,
  });
  if (ctx.flags.json && opts.dryRun) return sayJson(plan);
  for (const s of plan.skippedEarly) {
    say(`keeping chain ${s.chain.fullSeq} (${s.chain.archives.length} archives): deleting it now would incur Glacier's early-deletion charge of about $${s.earlyDeletionCharge.toFixed(4)}; add --allow-early-delete to delete anyway`);
  }
  if (plan.delete.length === 0) {
    if (!ctx.flags.json) say(`nothing to prune: keeping ${plan.keep.length} chain(s)`);
    else sayJson({ ...plan, deleted: [] });
    return;
  }
  const bySeq = new Map(live.map((a) => [a.seq, a]));
  const deleted: number[] = [];
  for (const d of plan.delete) {
    const bytes = d.archives.reduce((n, a) => n + a.size, 0);
    say(`${opts.dryRun ? 'would delete' : 'deleting'} chain ${d.chain.fullSeq}: archives ${d.archives.map((a) => a.seq).join(', ')} (${formatBytes(bytes)})${d.earlyDeletionCharge > 0 ? `, early-deletion charge about $${d.earlyDeletionCharge.toFixed(4)}` : ''}`);
    if (opts.dryRun) continue;
    // newest first, so an interrupted prune never leaves an incremental without its parent
    for (const a of [...d.archives].sort((x, y) => y.seq - x.seq)) {
      const rec = bySeq.get(a.seq)!;
      if (rec.archiveId && rec.uploadState === 'uploaded') await (await ctx.backend()).delete(rec.archiveId);
      for (const p of [rec.localPath, rec.stagedPath]) if (p) await unlink(p).catch(() => undefined);
      markArchivePruned(ctx.db, rec.seq, new Date().toISOString());
      deleted.push(rec.seq);
    }
  }
  if (ctx.flags.json) sayJson({ ...plan, deleted });
  else if (!opts.dryRun) say(`pruned ${deleted.length} archive(s); keeping ${plan.keep.length} chain(s)`);
}
