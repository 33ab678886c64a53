/** `backup archive get ID --to FILE`: one vault archive by id (ours or another tool's), verified, into a file. */
import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { listArchives } from '../../catalog/archive-store.js';
import { findRetrievalJob, recordJob, updateJob } from '../../catalog/job-store.js';
import { tierHours } from '../../restore/warm-up-jobs.js';
import { BackupError } from '../../errors.js';
import { getVaultArchive } from '../../storage/glacier/get-vault-archive.js';
import type { VaultSession } from '../../storage/glacier/open-vault.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { parseTier } from '../parse-options.js';

/** Registers `backup archive get` under `archive`. */
export function registerArchiveGet(archive: Command): void {
  archive
    .command('get')
    .argument('<archive-id>', 'the Glacier archive ID (from "backup list --json", an inventory, or the tool that uploaded it)')
    .requiredOption('--to <file>', 'the file to write (must not exist); written complete, mode 0600')
    .option('--tier <tier>', 'retrieval tier: Expedited, Standard or Bulk', 'Standard')
    .option('--wait', 'wait for the retrieval job instead of exiting with code 4 while it runs')
    .description('retrieve one archive from the vault by ID into a file, verified by its tree hash (archives other tools uploaded too)')
    .addHelpText('after', '\nExamples:\n  backup archive get <archive-id> --to /tmp/a.bin            # starts the job, exit 4\n  backup archive get <archive-id> --to /tmp/a.bin --wait     # later, or waiting\n  backup archive get -- -starts-with-dash… --to /tmp/a.bin')
    .action((archiveId: string, opts: { to: string; tier: string; wait?: boolean }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: 'archive get' }, (ctx) => get(ctx, archiveId, opts)),
    );
}

async function get(ctx: CommandContext, archiveId: string, opts: { to: string; tier: string; wait?: boolean }): Promise<void> {
  const tier = parseTier(opts.tier);
  const to = resolve(opts.to);
  const { config, db } = ctx;
  let session: VaultSession;
  let close = async () => {};
  const from = config.vault ?? config.migrate?.fromVault;
  if (config.vault) session = await ctx.vault();
  else if (from) {
    const c = await (await import('../connect-backend.js')).connectVault(config, from, { signal: ctx.signal });
    session = c.session!;
    close = () => c.close();
  } else {
    throw new BackupError('CONFIG_INVALID', `config ${config.configPath} names no vault ("vault" or "migrate.fromVault"); archive get retrieves from a Glacier vault`);
  }
  try {
    const known = listArchives(db).find((a) => a.archiveId === archiveId && a.store === 'glacier');
    const r = await getVaultArchive(
      session,
      {
        find: (id) => findRetrievalJob(db, id, null),
        record: (j) => recordJob(db, { jobId: j.jobId, action: 'archive', archiveId: j.archiveId, seq: known?.seq ?? null, rangeStart: null, rangeEnd: null, tier: j.tier, status: 'InProgress', createdAt: new Date().toISOString() }),
        update: (jobId, u) => updateJob(db, jobId, u.status === 'Succeeded' ? { ...u, completedAt: new Date().toISOString() } : u),
      },
      { archiveId, to, tier, wait: !!opts.wait, workDir: join(config.stateDir, 'retrieved'), signal: ctx.signal, expectedTreeHash: known?.treeHash, pollMs: from!.endpoint === undefined ? 60_000 : 500, log: (l) => process.stderr.write(`${l}\n`) },
    );
    if (!r.done) {
      throw new BackupError('RETRIEVAL_PENDING', `retrieval job ${r.jobId} for archive ${archiveId} is in progress (${r.jobStarted ? 'started now' : 'started earlier'}; ${tier} takes ${tierHours(tier)} on AWS); run the same command again later, or add --wait`);
    }
    if (ctx.flags.json) return sayJson({ archiveId, to, size: r.size, treeHash: r.treeHash, jobId: r.jobId });
    say(`archive ${archiveId.slice(0, 16)}… written to ${to}: ${r.size} bytes, tree hash ${r.treeHash} (verified)`);
  } finally {
    await close();
  }
}
