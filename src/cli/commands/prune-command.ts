/** `backup prune`: apply the retention policy, whole chains only, minding the storage's minimum storage durations (per S3 class, or the vault's 90 days). */
import type { Command } from 'commander';
import { pruneChains } from '../../retention/prune-chains.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonMoney, jsonTime } from '../json-values.js';
import type { Archive, PrunePlan } from '../../retention/plan-prune.js';

/** Registers `backup prune`. */
export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('delete whole chains the retention policy no longer keeps, from the vault and local copies')
    .option('--dry-run', 'show the plan and delete nothing')
    .option('--allow-early-delete', 'also delete archives younger than their storage\'s minimum storage duration (vault 90 days; S3 STANDARD_IA 30, GLACIER_IR and GLACIER 90, DEEP_ARCHIVE 180), paying the early-deletion charge')
    .addHelpText('after', '\nExamples:\n  backup prune --dry-run\n  backup prune --allow-early-delete')
    .action((opts: { dryRun?: boolean; allowEarlyDelete?: boolean }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: opts.dryRun ? undefined : 'prune' }, (ctx) => prune(ctx, { dryRun: !!opts.dryRun, allowEarlyDelete: !!opts.allowEarlyDelete })),
    );
}

async function prune(ctx: CommandContext, opts: { dryRun: boolean; allowEarlyDelete: boolean }): Promise<void> {
  const json = !!ctx.flags.json;
  // each decision is printed as it is carried out (a prune of many archives takes a while)
  const r = await pruneChains({ db: ctx.db, config: ctx.config, backend: () => ctx.backend(), now: () => new Date(), line: (l) => json || say(l), signal: ctx.signal }, opts);
  if (json) return sayJson(pruneJson(r.plan, { dryRun: opts.dryRun, deleted: r.deleted }));
  if (r.plan.delete.length === 0) say(`nothing to prune: keeping ${r.plan.keep.length} chain(s)`);
  else if (!opts.dryRun) say(`pruned ${r.deleted.length} archive(s); keeping ${r.plan.keep.length} chain(s)`);
}

/** The plan and what was deleted, for scripts (docs/json.md): chains by their full archive's seq, charges as money. */
function pruneJson(plan: PrunePlan, done: { dryRun: boolean; deleted: number[] }) {
  const archives = (list: Archive[]) => list.map((a) => ({ seq: a.seq, createdAt: jsonTime(a.createdAt), size: a.size }));
  return {
    dryRun: done.dryRun,
    keep: plan.keep,
    delete: plan.delete.map((d) => ({ fullSeq: d.chain.fullSeq, archives: archives(d.archives), bytes: d.archives.reduce((n, a) => n + a.size, 0), earlyDeletionCharge: jsonMoney(d.earlyDeletionCharge) })),
    skippedEarly: plan.skippedEarly.map((s) => ({ fullSeq: s.chain.fullSeq, archives: archives(s.chain.archives), earlyDeletionCharge: jsonMoney(s.earlyDeletionCharge), youngestUploadDays: Math.floor(s.youngestUploadDays) })),
    deleted: done.deleted,
  };
}
