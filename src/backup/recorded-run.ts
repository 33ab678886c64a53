/**
 * One backup run with everything around it: the run's record in the catalog, its log file,
 * the catalog snapshot offsite after a successful run, and the email policy. Both `backup
 * run` and `backup daemon` call this; the CLI only prints the outcome.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/load-config.js';
import type { Db } from '../catalog/open-catalog.js';
import { markEmailed, startRun, unsentRuns, updateRun } from '../catalog/run-store.js';
import { asError, BackupError } from '../errors.js';
import { catalogFull } from '../catalog/catalog-full.js';
import { createRunLogger } from '../logs/run-logger.js';
import { shouldSendEmail } from '../notify/email-policy.js';
import type { Backend } from '../storage/backend.js';
import type { StartedWalk } from '../scan/walk-tree-in-worker.js';
import { createProgress } from '../ui/progress.js';
import { notOffsite } from '../notify/not-offsite.js';
import { summaryLine } from '../notify/summary-line.js';
import { sendPing } from '../notify/send-ping.js';
import { runBackup, type RunOutcome } from './run-backup.js';
import { pruneAfterRun } from './prune-after-run.js';
import { uploadCatalogSnapshot } from './upload-catalog-snapshot.js';
import { DEFAULT_KEEP_CATALOG_SNAPSHOTS, pruneCatalogSnapshots } from './prune-catalog-snapshots.js';
import { parseRecipient } from '../age/age-keys.js';

/** What a recorded run needs. */
export interface RecordedRunDeps {
  config: Config;
  db: Db;
  signal: AbortSignal;
  /** Offsite storage, opened on first use; absent for local copies only. */
  backend?: () => Promise<Backend>;
  /** How the console shows lines and progress. */
  console: { isTTY: boolean; quiet: boolean };
  /** Called once the run log exists, so storage events (retries, resumes) go into it. */
  onLog?: (line: (l: string) => void) => void;
  /** The run's walk, started already (runBackup's RunDeps.walk). */
  walk?: StartedWalk;
}

/** A finished run: its outcome, its id (0 for a dry run), its one-line summary, and why it is not offsite (if so). */
export interface RecordedRun {
  outcome: RunOutcome;
  runId: number;
  summary: string;
  offsite?: string;
}

/**
 * Runs one backup, records it (status, warnings, errors, log path, summary line), uploads the
 * catalog snapshot when configured, and sends the email the policy asks for. Returns the
 * outcome, or throws the run's failure after it was recorded and reported.
 */
export async function recordedRun(deps: RecordedRunDeps, opts: { full: boolean; dryRun: boolean }): Promise<RecordedRun> {
  const { config, db, signal } = deps;
  const startedAt = new Date();
  const runId = opts.dryRun ? 0 : startRun(db, 'run', startedAt.toISOString());
  const log = createRunLogger({ logDir: join(config.stateDir, 'logs'), runId, console: deps.console, keep: config.logs.keep, writeFile: !opts.dryRun });
  const progress = createProgress({ isTTY: deps.console.isTTY && !deps.console.quiet, quiet: deps.console.quiet, line: (l) => log.info(l) });
  deps.onLog?.((line) => log.info(`storage: ${line}`));
  let outcome: RunOutcome | undefined;
  let failure: Error | undefined;
  let retentionNote: string | undefined;
  log.info(`backup ${opts.dryRun ? 'dry run' : 'run'} of ${config.data} (set ${config.set}) on ${hostname()}`);
  const offsite = notOffsite(config);
  if (offsite) log.info(`note: ${offsite.long}`);
  const pingUrl = opts.dryRun ? undefined : config.notify.pingUrl;
  const pingProblem = (p: string | undefined) => p && log.warn(`${p} (the run goes on; check notify.pingUrl)`);
  if (pingUrl) pingProblem(await sendPing(pingUrl, 'start'));
  try {
    outcome = await runBackup({ config, db, runId, signal, log, progress, backend: deps.backend, walk: deps.walk }, opts);
    // before the catalog snapshot, so the snapshot offsite already knows what was pruned
    if (!opts.dryRun && config.retention.afterRun) {
      const p = await pruneAfterRun({ db, config, backend: deps.backend, signal, now: () => new Date(), info: (l) => log.info(l), warn: (l) => log.warn(l) });
      retentionNote = p.note;
      if (p.warning) {
        outcome.warnings.push(p.warning);
        outcome.status = 'warnings';
      }
    }
    if (!opts.dryRun && deps.backend && (config.vault ?? config.s3)?.uploadCatalog) {
      try {
        const id = await uploadCatalogSnapshot(db, await deps.backend(), { set: config.set, stagingDir: join(config.stateDir, 'staging'), signal, now: new Date(), encryptTo: config.encryption?.recipients.map(parseRecipient) });
        log.info(`catalog snapshot uploaded: ${id}`);
        const keep = config.vault?.keepCatalogSnapshots ?? DEFAULT_KEEP_CATALOG_SNAPSHOTS;
        const pruned = await pruneCatalogSnapshots(db, await deps.backend(), keep).catch((e: unknown) => {
          if (signal.aborted) throw e;
          log.info(`older catalog snapshots not deleted this time (the next run retries): ${(e as Error).message}`);
          return 0;
        });
        if (pruned) log.info(`deleted ${pruned} older catalog snapshot(s), keeping the newest ${keep}`);
      } catch (err) {
        if (signal.aborted) throw err;
        outcome.warnings.push(`catalog snapshot upload failed: ${(err as Error).message}`);
        log.warn(`catalog snapshot upload failed (the next run retries): ${(err as Error).message}`);
        outcome.status = 'warnings';
      }
    }
  } catch (err) {
    failure = asError(catalogFull(err, config.stateDir) ?? err);
    log.error(failure instanceof BackupError ? failure.message : `internal error: ${failure.stack ?? String(failure)}`);
  }
  const status = failure ? (signal.aborted ? 'interrupted' : 'failed') : outcome!.status;
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
    retention: retentionNote,
    notOffsite: offsite?.short,
    error: failure ? (failure instanceof BackupError ? failure.message : 'internal error') : undefined,
  });
  if (!opts.dryRun) log.info(summary);
  if (pingUrl) pingProblem(await sendPing(pingUrl, failure ? 'fail' : 'success', summary));
  if (!opts.dryRun) {
    try {
      updateRun(db, runId, { status, endedAt: new Date().toISOString(), warnings: log.warnings, errors: log.errors, logPath: log.path });
    } catch (err) {
      // a full disk can refuse the run's record too: the failure stays the news (the next run marks this one interrupted)
      if (!failure) throw catalogFull(err, config.stateDir) ?? err;
      log.error(`the run's record could not be written: ${(catalogFull(err, config.stateDir) ?? asError(err)).message}`);
    }
    // the log file is attached to the email: get every line so far onto disk first
    await log.flush();
    await maybeEmail(config, db, (line) => log.warn(line));
  }
  await log.close();
  if (failure) throw failure;
  return { outcome: outcome!, runId, summary, ...(offsite ? { offsite: offsite.short } : {}) };
}

/** Sends the accumulated run logs when the policy says so; never fails the run. */
async function maybeEmail(config: Config, db: Db, warn: (line: string) => void): Promise<void> {
  const email = config.email;
  if (!email?.enabled) return;
  const unsent = unsentRuns(db);
  const decision = shouldSendEmail({ unsent, every: email.every, onFailure: email.onFailure });
  if (!decision.send) return;
  try {
    // loaded only for an email: nodemailer, the report and its totals (cost, schedule) are a few MiB that most runs never need
    const [{ renderReport }, { gatherTotals }, { createMailer, trySendReport }] = await Promise.all([
      import('../notify/render-report.js'),
      import('../notify/gather-totals.js'),
      import('../notify/send-mail.js'),
    ]);
    const report = renderReport({ host: hostname(), set: config.set, runs: unsent, totals: gatherTotals(db, config, new Date()) });
    const mailer = createMailer(email);
    const r = await trySendReport(mailer, {
      subject: report.subject,
      text: report.text,
      attachments: unsent.map((r) => r.logPath).filter((p): p is string => !!p),
      extra: report.archiveIds ? [report.archiveIds] : [],
    });
    if (r.ok) markEmailed(db, unsent.map((r) => r.id));
    else warn(`email not sent (retried with the next run): ${r.error}`);
  } catch (err) {
    warn(`email not sent (retried with the next run): ${(err as Error).message}`);
  }
}
