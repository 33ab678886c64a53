/** `backup migrate --to-s3`: move the set's archives from the vault in migrate.fromVault to the bucket in s3. */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tierHours } from '../../restore/warm-up-jobs.js';
import { parseRecipient } from '../../age/age-keys.js';
import { uploadCatalogSnapshot } from '../../backup/upload-catalog-snapshot.js';
import { BackupError } from '../../errors.js';
import { migrateToS3, type MigrateSummary } from '../../migrate/migrate-to-s3.js';
import { formatBytes } from '../../ui/format-units.js';
import { withContext, type CommandContext } from '../command-context.js';
import type { connectMigration } from '../connect-backend.js';
import { say, sayJson } from '../output.js';
import { parseTier } from '../parse-options.js';

interface MigrateFlags {
  toS3?: boolean;
  tier: string;
  wait?: boolean;
  deleteSource?: boolean;
  allowEarlyDelete?: boolean;
  dryRun?: boolean;
}

/** Registers `backup migrate`. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('move every archive from the vault in "migrate.fromVault" to the bucket in "s3" (resumable; see README "Moving a vault to S3")')
    .option('--to-s3', 'move to the S3 bucket (the only destination there is)')
    .option('--tier <tier>', 'retrieval tier for archives with no local copy: Bulk, Standard or Expedited', 'Bulk')
    .option('--wait', 'wait for retrieval jobs instead of exiting with code 4 while they run')
    .option('--delete-source', 'delete moved archives from the vault once past its 90-day minimum storage duration')
    .option('--allow-early-delete', 'with --delete-source: also delete archives younger than 90 days (billed as if kept 90 days)')
    .option('--dry-run', 'say what would be moved and deleted; change nothing')
    .addHelpText('after', '\nExamples:\n  backup migrate --to-s3 --dry-run\n  backup migrate --to-s3            # starts Bulk retrievals, moves local copies, exit 4 while jobs run\n  backup migrate --to-s3 --wait --delete-source')
    .action((opts: MigrateFlags, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: opts.dryRun ? undefined : 'migrate' }, (ctx) => migrate(ctx, opts)),
    );
}

async function migrate(ctx: CommandContext, opts: MigrateFlags): Promise<void> {
  if (!opts.toS3) throw new BackupError('USAGE', 'say where to: "backup migrate --to-s3" (moving to S3 is the only migration there is)');
  if (opts.allowEarlyDelete && !opts.deleteSource) throw new BackupError('USAGE', '--allow-early-delete only goes with --delete-source');
  const { config } = ctx;
  const tier = parseTier(opts.tier);
  let connected: ReturnType<typeof connectMigration> | undefined;
  // the storage clients load on first use (a dry run never needs them)
  const connect = () => (connected ??= import('../connect-backend.js').then((m) => m.connectMigration(config, { signal: ctx.signal, log: (l) => ctx.flags.debug && process.stderr.write(`storage: ${l}\n`) })));
  if (!config.migrate || !config.s3) await connect();
  const stagingDir = join(config.stateDir, 'staging');
  let summary: MigrateSummary;
  try {
    summary = await migrateToS3(
      {
        db: ctx.db,
        source: async () => (await connect()).source.backend,
        target: async () => (await connect()).target.backend,
        workDir: join(config.stateDir, 'migrate'),
        set: config.set,
        signal: ctx.signal,
        now: () => new Date(),
        log: (line) => ctx.flags.json || ctx.flags.quiet || process.stderr.write(`${line}\n`),
        uploadSnapshot: config.s3?.uploadCatalog
          ? async () => {
            await mkdir(stagingDir, { recursive: true });
            return uploadCatalogSnapshot(ctx.db, (await connect()).target.backend, { set: config.set, stagingDir, signal: ctx.signal, now: new Date(), encryptTo: config.encryption?.recipients.map(parseRecipient) });
          }
          : undefined,
      },
      { tier, wait: !!opts.wait, deleteSource: !!opts.deleteSource, allowEarlyDelete: !!opts.allowEarlyDelete, dryRun: !!opts.dryRun },
    );
  } finally {
    if (connected) await (await connected.catch(() => undefined))?.close();
  }
  report(ctx, summary, opts, tier);
  if (summary.pending > 0) {
    throw new BackupError('RETRIEVAL_PENDING', `${summary.pending} archive(s) wait on vault retrieval jobs (${tier}: ${tierHours(tier)} on AWS); run "backup migrate --to-s3" again later, or add --wait`);
  }
}

function report(ctx: CommandContext, s: MigrateSummary, opts: MigrateFlags, tier: string): void {
  if (ctx.flags.json) return sayJson(s);
  if (opts.dryRun) {
    say(`would move ${s.inVault} archive(s) (${formatBytes(s.planned.bytes)}) from the vault to the bucket: ${s.planned.local} from local copies, ${s.planned.retrieve} through ${tier} retrieval jobs`);
    if (s.keptYoung.length) say(`${s.keptYoung.length} moved vault archive(s) are younger than 90 days; --delete-source keeps them until ${s.keptYoung[s.keptYoung.length - 1].freeFrom.slice(0, 10)} unless --allow-early-delete`);
    return;
  }
  const fromLocal = s.moved.filter((m) => m.from === 'local').length;
  say(`migrate: ${s.moved.length} of ${s.inVault} archive(s) moved (${fromLocal} from local copies, ${s.moved.length - fromLocal} retrieved), ${formatBytes(s.bytes)}, ${s.requests} S3 request(s), retrieval jobs: ${s.jobsStarted} started, ${s.jobsReused} reused; ${s.pending} waiting${opts.deleteSource ? `; ${s.deleted} vault archive(s) deleted` : ''}`);
  if (s.keptYoung.length) {
    say(`kept ${s.keptYoung.length} moved archive(s) in the vault: deleting them before 90 days is billed as early deletion; run "backup migrate --to-s3 --delete-source" again after ${s.keptYoung[s.keptYoung.length - 1].freeFrom.slice(0, 10)}, or add --allow-early-delete`);
  }
  if (s.complete) {
    say(`every archive is in the bucket${s.snapshotId ? ` and so is a fresh catalog snapshot (${s.snapshotId})` : ''}; remove "migrate" from ${ctx.config.configPath}${s.keptYoung.length || !opts.deleteSource ? ' once the vault archives are deleted ("backup migrate --to-s3 --delete-source")' : ''}`);
  }
}
