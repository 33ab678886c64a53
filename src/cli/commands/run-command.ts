/** `backup run`: one backup, then the run's record, email and catalog snapshot. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startRun, updateRun, unsentRuns, markEmailed } from '../../catalog/run-store.js';
import { runBackup, type RunOutcome } from '../../backup/run-backup.js';
import { uploadCatalogSnapshot } from '../../backup/upload-catalog-snapshot.js';
import { asError, BackupError, ExitCode } from '../../errors.js';
import { createRunLogger } from '../../logs/run-logger.js';
import { createProgress } from '../../ui/progress.js';
import { shouldSendEmail } from '../../notify/email-policy.js';
import { renderReport } from '../../notify/render-report.js';
import { createMailer, trySendReport } from '../../notify/send-mail.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { summaryLine } from '../../notify/summary-line.js';
import { pathListing } from '../../notify/path-listing.js';
import { notOffsite } from '../../notify/not-offsite.js';
import { sendPing } from '../../notify/send-ping.js';

/** Registers `backup run`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('back up now: a full or incremental archive of the data directory, uploaded to the vault')
    .option('--full', 'start a new chain with a full (level 0) archive')
    .option('--dry-run', 'list what would be archived (paths added, changed and deleted; counts; bytes) and write nothing')
    .addHelpText('after', '\nExamples:\n  backup run\n  backup run --full --config /etc/backup.json\n  backup run --dry-run')
    .action((opts: { full?: boolean; dryRun?: boolean }, cmd: Command) =>
      withContext(cmd, { lock: opts.dryRun ? undefined : 'run' }, (ctx) => runCommand(ctx, { full: !!opts.full, dryRun: !!opts.dryRun })),
    );
}

/** Runs a backup with its log, record and notifications; returns the exit code. */
export async function runCommand(ctx: CommandContext, opts: { full: boolean; dryRun: boolean }): Promise<number> {
  const { config, db } = ctx;
  const isTTY = !!process.stdout.isTTY;
  const quiet = !!ctx.flags.quiet || !!ctx.flags.json;
  const startedAt = new Date();
  const runId = opts.dryRun ? 0 : startRun(db, 'run', startedAt.toISOString());
  const log = createRunLogger({ logDir: join(config.stateDir, 'logs'), runId, console: { isTTY, quiet }, keep: config.logs.keep, writeFile: !opts.dryRun });
  const progress = createProgress({ isTTY: isTTY && !quiet, quiet, line: (l) => log.info(l) });
  ctx.setVaultLog((line) => log.info(`vault: ${line}`));
  const sink = config.vault ? async () => (await ctx.vault()).sink : undefined;
  let outcome: RunOutcome | undefined;
  let failure: Error | undefined;
  log.info(`backup ${opts.dryRun ? 'dry run' : 'run'} of ${config.data} (set ${config.set}) on ${hostname()}`);
  const offsite = notOffsite(config);
  if (offsite) log.info(`note: ${offsite.long}`);
  const pingUrl = opts.dryRun ? undefined : config.notify.pingUrl;
  const pingProblem = (p: string | undefined) => p && log.warn(`${p} (the run goes on; check notify.pingUrl)`);
  if (pingUrl) pingProblem(await sendPing(pingUrl, 'start'));
  try {
    outcome = await runBackup({ config, db, runId, signal: ctx.signal, log, progress, sink }, opts);
    if (!opts.dryRun && config.vault?.uploadCatalog) {
      try {
        const id = await uploadCatalogSnapshot(db, await sink!(), { set: config.set, stagingDir: join(config.stateDir, 'staging'), signal: ctx.signal, now: new Date() });
        log.info(`catalog snapshot uploaded: ${id}`);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        outcome.warnings.push(`catalog snapshot upload failed: ${(err as Error).message}`);
        log.warn(`catalog snapshot upload failed (the next run retries): ${(err as Error).message}`);
        outcome.status = 'warnings';
      }
    }
  } catch (err) {
    failure = asError(err);
    log.error(err instanceof BackupError ? err.message : `internal error: ${(err as Error).stack ?? String(err)}`);
  }
  const status = failure ? (ctx.signal.aborted ? 'interrupted' : 'failed') : outcome!.status;
  const summary = summaryLine({
    runId,
    status,
    dryRun: opts.dryRun,
    level: outcome?.level,
    added: outcome?.plan.added,
    changed: outcome?.plan.changed,
    deleted: outcome?.plan.deleted,
    bytesRead: opts.dryRun ? outcome?.plan.bytes : outcome?.bytesRead,
    storedBytes: outcome?.archiveBytes,
    uploadBytes: outcome?.uploadBytes,
    uploadMs: outcome?.uploadMs,
    durationMs: Date.now() - startedAt.getTime(),
    fullEvery: config.archive.fullEvery,
    notOffsite: offsite?.short,
    error: failure ? (failure instanceof BackupError ? failure.message : 'internal error') : undefined,
  });
  if (!opts.dryRun) log.info(summary);
  if (pingUrl) pingProblem(await sendPing(pingUrl, failure ? 'fail' : 'success', summary));
  if (!opts.dryRun) {
    updateRun(db, runId, {
      status,
      endedAt: new Date().toISOString(),
      warnings: log.warnings,
      errors: log.errors,
      logPath: log.path,
    });
    // the log file is attached to the email: get every line so far onto disk first
    await log.flush();
    await maybeEmail(ctx, (line) => log.warn(line));
  }
  await log.close();
  if (failure) throw failure;
  const o = outcome!;
  if (ctx.flags.json) sayJson(runJson(o, { runId, set: config.set, summary, offsite: offsite?.short }));
  else if (opts.dryRun) {
    for (const line of pathListing(o.paths)) say(line);
    say(summary);
  }
  return o.status === 'warnings' ? ExitCode.warnings : ExitCode.ok;
}

/** Sends the accumulated run logs when the policy says so; never fails the run. */
async function maybeEmail(ctx: CommandContext, warn: (line: string) => void): Promise<void> {
  const email = ctx.config.email;
  if (!email?.enabled) return;
  const unsent = unsentRuns(ctx.db);
  const decision = shouldSendEmail({ unsent, every: email.every, onFailure: email.onFailure });
  if (!decision.send) return;
  try {
    const report = renderReport({ host: hostname(), set: ctx.config.set, runs: unsent });
    const mailer = createMailer(email);
    const r = await trySendReport(mailer, { ...report, attachments: unsent.map((r) => r.logPath).filter((p): p is string => !!p) });
    if (r.ok) markEmailed(ctx.db, unsent.map((r) => r.id));
    else warn(`email not sent (retried with the next run): ${r.error}`);
  } catch (err) {
    warn(`email not sent (retried with the next run): ${(err as Error).message}`);
  }
}

/** The `run --json` object (docs/json.md): counts, the path arrays, bytes, and the summary line. */
function runJson(o: RunOutcome, extra: { runId: number; set: string; summary: string; offsite?: string }): Record<string, unknown> {
  return {
    run: o.dryRun ? null : extra.runId,
    set: extra.set,
    status: o.status,
    dryRun: o.dryRun,
    level: o.level,
    seq: o.seq ?? null,
    counts: o.plan,
    added: o.paths.added,
    changed: o.paths.changed,
    deleted: o.paths.deleted,
    bytesRead: o.bytesRead ?? null,
    archiveBytes: o.archiveBytes ?? null,
    archiveId: o.archiveId ?? null,
    uploadBytes: o.uploadBytes ?? null,
    uploadMs: o.uploadMs ?? null,
    warnings: o.warnings,
    offsite: extra.offsite === undefined,
    summary: extra.summary,
  };
}
