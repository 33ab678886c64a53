/** `backup status`: last run, chain, pending uploads and jobs, next scheduled run, where things are. */
import type { Command } from 'commander';
import { chainBroken, latestArchive, listArchives, pendingUploads } from '../../catalog/archive-store.js';
import { catalogPath } from '../../catalog/open-catalog.js';
import { openJobs } from '../../catalog/job-store.js';
import { recentRuns } from '../../catalog/run-store.js';
import { nextRun } from '../../schedule/cron-line.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup status`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the last run, the current chain, pending uploads and jobs, and the next scheduled run')
    .addHelpText('after', '\nExample:\n  backup status --json')
    .action((_opts, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, (ctx) => {
        const last = recentRuns(ctx.db, 1)[0];
        const latest = latestArchive(ctx.db);
        const archives = listArchives(ctx.db).filter((a) => a.uploadState !== 'deleted');
        const chain = latest ? archives.filter((a) => a.chainSeq === latest.chainSeq) : [];
        const pending = pendingUploads(ctx.db);
        const jobs = openJobs(ctx.db);
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
          lastRun: last ?? null,
          latestArchive: latest ? { seq: latest.seq, level: latest.level, createdAt: latest.createdAt, uploadState: latest.uploadState } : null,
          chain: { fullSeq: chain[0]?.seq ?? null, length: chain.length, bytes: chain.reduce((n, a) => n + a.size, 0), broken: (latest && chainBroken(ctx.db, latest.chainSeq)) ?? null },
          archives: archives.length,
          pendingUploads: pending.map((a) => ({ seq: a.seq, fileName: a.fileName, size: a.size })),
          openJobs: jobs.map((j) => ({ jobId: j.jobId, action: j.action, seq: j.seq, tier: j.tier, createdAt: j.createdAt })),
          schedule: ctx.config.schedule,
          nextRun: next ?? null,
        };
        if (ctx.flags.json) return sayJson(status);
        say(`set ${status.set}: ${status.data}`);
        say(`catalog: ${status.catalog}`);
        say(`vault: ${status.vault ? `${status.vault.name} (${status.vault.endpoint})` : 'none (local copies only)'}`);
        say(last ? `last run: #${last.id} ${last.status} at ${last.startedAt}${last.errors.length ? ` (${last.errors[0]})` : ''}` : 'last run: never');
        say(latest ? `latest archive: #${latest.seq} level ${latest.level} at ${latest.createdAt} (${latest.uploadState})` : 'latest archive: none');
        say(`current chain: ${status.chain.length} archive(s), ${formatBytes(status.chain.bytes)}; ${archives.length} archive(s) in all`);
        if (status.chain.broken) say(`current chain: BROKEN (${status.chain.broken}); the next run starts a new full`);
        say(`pending uploads: ${pending.length ? pending.map((a) => `#${a.seq}`).join(', ') + ' (run "backup upload")' : 'none'}`);
        say(`retrieval jobs in progress: ${jobs.length || 'none'}`);
        say(`schedule: ${status.schedule}${next ? `; next run ${next}` : ''}`);
      }),
    );
}
