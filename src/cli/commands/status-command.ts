/** `backup status`: last run, chain, pending uploads and jobs, next scheduled run, where things are. */
import type { Command } from 'commander';
import { chainBroken, latestArchive, listArchives, pendingUploads } from '../../catalog/archive-store.js';
import { catalogPath } from '../../catalog/open-catalog.js';
import { openJobs } from '../../catalog/job-store.js';
import { lastSuccessfulRun, recentRuns } from '../../catalog/run-store.js';
import { ExitCode } from '../../errors.js';
import { notOffsite } from '../../notify/not-offsite.js';
import { parseDuration } from '../parse-options.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonTime, jsonTimeOrNull } from '../json-values.js';
import type { RunSummary } from '../../notify/run-summary.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup status`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the last run, the current chain, pending uploads and jobs, and the next scheduled run')
    .option('--check', 'for monitoring: exit 1 when the last successful run is older than --max-age (or there is none)')
    .option('--max-age <duration>', 'with --check: the oldest a last successful run may be, e.g. 36h, 2d', '36h')
    .addHelpText('after', '\nExamples:\n  backup status\n  backup status --json\n  backup status --check --max-age 36h   # in a monitoring system: exit 0 fresh, 1 stale')
    .action((opts: { check?: boolean; maxAge: string }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const maxAgeMs = parseDuration(opts.maxAge, '--max-age');
        const now = new Date();
        const last = recentRuns(ctx.db, 1)[0];
        const success = lastSuccessfulRun(ctx.db);
        const successAt = success ? (success.endedAt ?? success.startedAt) : undefined;
        const ageMs = successAt ? now.getTime() - Date.parse(successAt) : undefined;
        const fresh = ageMs !== undefined && ageMs <= maxAgeMs;
        const offsite = notOffsite(ctx.config);
        const latest = latestArchive(ctx.db);
        const archives = listArchives(ctx.db).filter((a) => a.uploadState !== 'deleted');
        const chain = latest ? archives.filter((a) => a.chainSeq === latest.chainSeq) : [];
        const pending = pendingUploads(ctx.db);
        const jobs = openJobs(ctx.db);
        // the cron parser is loaded only here (a run does not need it)
        const { nextRun } = await import('../../schedule/cron-line.js');
        let next: string | undefined;
        try {
          next = nextRun(ctx.config.schedule, new Date()).toISOString();
        } catch {
          next = undefined;
        }
        const status = {
          set: ctx.config.set,
          data: ctx.config.data,
          catalog: catalogPath(ctx.config.stateDir),
          vault: ctx.config.vault ? { name: ctx.config.vault.name, endpoint: ctx.config.vault.endpoint ?? `AWS ${ctx.config.vault.region}` } : null,
          s3: ctx.config.s3 ? { bucket: ctx.config.s3.bucket, prefix: ctx.config.s3.prefix, storageClass: ctx.config.s3.storageClass, endpoint: ctx.config.s3.endpoint ?? `AWS ${ctx.config.s3.region}` } : null,
          lastRun: last ? publicRun(last) : null,
          latestArchive: latest ? { seq: latest.seq, level: latest.level, createdAt: jsonTime(latest.createdAt), uploadState: latest.uploadState } : null,
          chain: { fullSeq: chain[0]?.seq ?? null, length: chain.length, bytes: chain.reduce((n, a) => n + a.size, 0), broken: (latest && chainBroken(ctx.db, latest.chainSeq)) ?? null },
          archives: archives.length,
          pendingUploads: pending.map((a) => ({ seq: a.seq, fileName: a.fileName, size: a.size })),
          openJobs: jobs.map((j) => ({ jobId: j.jobId, action: j.action, seq: j.seq, tier: j.tier, createdAt: jsonTime(j.createdAt) })),
          schedule: ctx.config.schedule,
          nextRun: next ?? null,
          offsite: !offsite,
          lastSuccess: jsonTimeOrNull(successAt),
          ...(opts.check ? { check: { ok: fresh, maxAge: opts.maxAge, lastSuccessAgeMs: ageMs ?? null } } : {}),
        };
        const checkCode = opts.check && !fresh ? ExitCode.failed : ExitCode.ok;
        if (ctx.flags.json) {
          sayJson(status);
          return checkCode;
        }
        if (opts.check) {
          say(
            fresh
              ? `ok: last successful run #${success!.id} ended ${formatAge(ageMs)} ago (within ${opts.maxAge})`
              : success
                ? `STALE: last successful run #${success.id} ended ${formatAge(ageMs!)} ago, more than ${opts.maxAge}; check cron and "backup status"`
                : 'STALE: no successful run yet; run "backup run" and check cron',
          );
          return checkCode;
        }
        say(`set ${status.set}: ${status.data}`);
        say(`catalog: ${status.catalog}`);
        if (status.s3) say(`s3: s3://${status.s3.bucket}/${status.s3.prefix} (${status.s3.storageClass}, ${status.s3.endpoint})`);
        else say(`vault: ${status.vault ? `${status.vault.name} (${status.vault.endpoint})` : 'none (local copies only)'}`);
        say(last ? `last run: #${last.id} ${last.status} at ${last.startedAt}${last.errors.length ? ` (${last.errors[0]})` : ''}` : 'last run: never');
        say(latest ? `latest archive: #${latest.seq} level ${latest.level} at ${latest.createdAt} (${latest.uploadState})` : 'latest archive: none');
        say(`current chain: ${status.chain.length} archive(s), ${formatBytes(status.chain.bytes)}; ${archives.length} archive(s) in all`);
        if (status.chain.broken) say(`current chain: BROKEN (${status.chain.broken}); the next run starts a new full`);
        say(`pending uploads: ${pending.length ? pending.map((a) => `#${a.seq}`).join(', ') + ' (run "backup upload")' : 'none'}`);
        say(`retrieval jobs in progress: ${jobs.length || 'none'}`);
        say(`schedule: ${status.schedule}${next ? `; next run ${next}` : ''}`);
        if (offsite) say(`NOT OFFSITE: ${offsite.long}`);
      }),
    );
}

/** A run as `status --json` shows it: its record with ISO times. */
function publicRun(r: RunSummary) {
  return { ...r, startedAt: jsonTime(r.startedAt), endedAt: jsonTimeOrNull(r.endedAt) };
}

/** An age such as `3 h 05 min` or `2 d 4 h`. */
function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}
