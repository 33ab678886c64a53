/** Storage housekeeping: `backup vault` (vault only), `backup uploads`, `backup archive get|delete`, `backup upload`. */
import type { Command } from 'commander';
import { listArchives, markChainBroken, pendingUploads, updateArchive } from '../../catalog/archive-store.js';
import { planArchiveDelete } from '../../retention/plan-archive-delete.js';
import { earlyDeletion } from '../../retention/early-deletion.js';
import { storageTerms } from '../../cost/storage-terms.js';
import { journaledUploadIds } from '../../catalog/upload-journal-store.js';
import { finishUpload } from '../../backup/finish-upload.js';
import { BackupError } from '../../errors.js';
import { abortStaleUploads } from '../../storage/abort-stale-uploads.js';
import { parseDuration } from '../parse-options.js';
import { withContext } from '../command-context.js';
import { say, sayJson, table } from '../output.js';
import { jsonMoney, jsonTime, jsonTimeOrNull } from '../json-values.js';
import type { OpenUpload } from '../../storage/backend.js';
import type { VaultInfo } from '../../storage/glacier/vault-admin.js';
import { formatBytes } from '../../ui/format-units.js';
import { registerArchiveGet } from './archive-get-command.js';

/** Registers the vault housekeeping commands. */
export function registerVault(program: Command): void {
  const vault = program.command('vault').description('vault housekeeping');
  vault
    .command('create')
    .description('create the configured vault (idempotent)')
    .addHelpText('after', '\nExample:\n  backup vault create --config /etc/backup.json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const v = await ctx.vault();
        const r = await v.createVault();
        if (ctx.flags.json) return sayJson({ vaultName: v.vaultName, location: r.location });
        say(`vault ${v.vaultName} ready: ${r.location}`);
      }),
    );
  vault
    .command('describe')
    .description('show the vault: archives and bytes as of its last inventory')
    .addHelpText('after', '\nExample:\n  backup vault describe --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const info = await (await ctx.vault()).describeVault();
        if (ctx.flags.json) return sayJson(publicVault(info));
        say(`${info.vaultName}: ${info.numberOfArchives} archives, ${formatBytes(info.sizeInBytes)} as of the last inventory (${info.lastInventoryDate ?? 'none yet'}); created ${info.creationDate}; ${info.vaultArn}`);
      }),
    );
  vault
    .command('list')
    .description('list the vaults of the account in this region')
    .addHelpText('after', '\nExample:\n  backup vault list')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const vaults = await (await ctx.vault()).listVaults();
        if (ctx.flags.json) return sayJson({ vaults: vaults.map(publicVault) });
        say(table(['vault', 'archives', 'size', 'created'], vaults.map((v) => [v.vaultName, String(v.numberOfArchives), formatBytes(v.sizeInBytes), v.creationDate])));
      }),
    );

  const uploads = program.command('uploads').description('multipart uploads in progress in the vault or bucket');
  uploads
    .command('list')
    .description('list multipart uploads the vault or bucket holds open')
    .addHelpText('after', '\nExample:\n  backup uploads list --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const list = await (await ctx.backend()).listUploads();
        if (ctx.flags.json) return sayJson({ uploads: list.map(publicUpload) });
        if (list.length === 0) return say('no multipart uploads in progress');
        say(table(['upload id', 'created', 'object'], list.map((u) => [u.uploadId, u.createdAt, u.label.slice(0, 60)])));
      }),
    );
  uploads
    .command('abort')
    .description('abort stale multipart uploads (never the ones a pending backup will resume)')
    .option('--older-than <age>', 'only uploads older than this (e.g. 7d, 12h)', '7d')
    .addHelpText('after', '\nExample:\n  backup uploads abort --older-than 7d')
    .action((opts: { olderThan: string }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: 'uploads abort' }, async (ctx) => {
        const ms = parseDuration(opts.olderThan, '--older-than');
        const keep = journaledUploadIds(ctx.db);
        const aborted = await abortStaleUploads(await ctx.backend(), { olderThanMs: ms, now: new Date(), keep });
        if (ctx.flags.json) return sayJson({ olderThan: opts.olderThan, aborted: aborted.map(publicUpload), kept: keep.size });
        say(`aborted ${aborted.length} upload(s) older than ${opts.olderThan}${keep.size ? `; kept ${keep.size} that a pending backup will resume` : ''}`);
      }),
    );

  const archive = program.command('archive').description('single archives');
  registerArchiveGet(archive);
  archive
    .command('delete')
    .argument('<archive-id>', 'the archive ID: a Glacier archive ID or an S3 key (see "backup list --json")')
    .option('--force', 'delete it even though later archives of its chain depend on it (the chain is then marked broken)')
    .option('--allow-early-delete', 'delete it even though it is younger than its storage\'s minimum storage duration, paying the early-deletion charge')
    .description('delete one archive from offsite storage and mark it deleted in the catalog (refused when later archives depend on it; use "backup prune" for whole chains)')
    .addHelpText('after', '\nExample:\n  backup archive delete <archive-id>')
    .action((archiveId: string, opts: { force?: boolean; allowEarlyDelete?: boolean }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: 'archive delete' }, async (ctx) => {
        const a = listArchives(ctx.db).find((x) => x.archiveId === archiveId);
        const plan = a ? planArchiveDelete(listArchives(ctx.db), a) : undefined;
        if (a && plan?.dependents.length && !opts.force) {
          throw new BackupError('USAGE', `archive ${a.seq} (${a.fileName}) is needed by later archive(s) ${plan.dependents.map((d) => d.seq).join(', ')} of its chain, which could no longer be restored; delete whole chains with "backup prune", or add --force to delete it anyway (the chain is then marked broken)`);
        }
        const early = a?.uploadState === 'uploaded' && a.uploadedAt ? earlyDeletion({ size: a.size, storedAt: new Date(a.uploadedAt) }, storageTerms(a, ctx.config), new Date()) : undefined;
        const terms = a ? storageTerms(a, ctx.config) : undefined;
        const charge = early && terms && early.remainingDays > 0 ? `about $${early.charge.toFixed(4)} for the remaining ${Math.ceil(early.remainingDays)} of the ${terms.minimumStorageDays} days ${terms.label === 'vault' ? 'a vault' : terms.label} bills at least` : undefined;
        if (a && charge && !opts.allowEarlyDelete && !ctx.config.retention.allowEarlyDelete) {
          throw new BackupError('USAGE', `archive ${a.seq} (${a.fileName}) was stored ${Math.floor(early!.ageDays)} day(s) ago; deleting it now costs the early-deletion charge, ${charge}; add --allow-early-delete to delete it anyway`);
        }
        await (await ctx.backend()).delete(archiveId);
        if (!a || !plan) return ctx.flags.json ? sayJson({ archiveId, seq: null, inCatalog: false, chainBroken: false, earlyDeletionCharge: jsonMoney(0) }) : say(`deleted archive ${archiveId} from the vault (it was not in the catalog)`);
        const at = new Date().toISOString();
        ctx.db.transaction(() => {
          updateArchive(ctx.db, a.seq, { uploadState: 'deleted', deletedAt: at });
          if (plan.breaksChain) markChainBroken(ctx.db, a.chainSeq, `archive ${a.seq} (${a.fileName}) was deleted on ${at}`, at);
        })();
        if (ctx.flags.json) return sayJson({ archiveId, seq: a.seq, inCatalog: true, chainBroken: plan.breaksChain, earlyDeletionCharge: jsonMoney(charge ? early!.charge : 0) });
        say(`deleted archive ${a.seq} (${a.fileName}) from offsite storage${charge ? `; early-deletion charge ${charge}` : ''}${plan.breaksChain ? `; its chain (from archive ${a.chainSeq}) is marked broken and the next run starts a new full` : ''}`);
      }),
    );

  program
    .command('upload')
    .description('finish uploading archives an earlier run left pending (resumes multipart uploads, sending only missing parts)')
    .addHelpText('after', '\nExample:\n  backup upload   # after a run that ended with its archive saved in staging')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: 'upload' }, async (ctx) => {
        if (!ctx.config.vault && !ctx.config.s3) throw new BackupError('CONFIG_INVALID', `config ${ctx.config.configPath} has neither "vault" nor "s3"; nothing to upload to`);
        const pending = pendingUploads(ctx.db);
        if (pending.length === 0) return ctx.flags.json ? sayJson({ uploaded: [] }) : say('nothing pending: every archive is in the vault');
        const backend = await ctx.backend();
        const uploaded: Array<{ seq: number; fileName: string; archiveId: string }> = [];
        for (const a of pending) {
          const done = await finishUpload(ctx.db, backend, a, { placement: { keepLocalCopy: ctx.config.archive.keepLocalCopy, localDir: ctx.config.archive.localDir }, signal: ctx.signal });
          uploaded.push({ seq: a.seq, fileName: a.fileName, archiveId: done.id });
          if (!ctx.flags.json) say(`archive ${a.seq} (${a.fileName}) uploaded: ${done.id}`);
        }
        if (ctx.flags.json) sayJson({ uploaded });
      }),
    );
}

/** A vault as `vault describe|list --json` show it. */
function publicVault(v: VaultInfo) {
  return { vaultName: v.vaultName, vaultArn: v.vaultArn, createdAt: jsonTime(v.creationDate), lastInventoryAt: jsonTimeOrNull(v.lastInventoryDate), archives: v.numberOfArchives, bytes: v.sizeInBytes };
}

/** An open multipart upload as `uploads list|abort --json` show it. */
function publicUpload(u: OpenUpload) {
  return { uploadId: u.uploadId, createdAt: jsonTime(u.createdAt), label: u.label };
}
