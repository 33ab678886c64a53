/** `backup run`: one recorded backup run (src/backup/recorded-run.ts), then its outcome printed. */
import type { Command } from 'commander';
import { startRunWalk } from '../../backup/start-run-walk.js';
import type { RunOutcome } from '../../backup/run-backup.js';
import { ExitCode } from '../../errors.js';
import { pathListing } from '../../notify/path-listing.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonMs } from '../json-values.js';

/** Registers `backup run`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('back up now: a full or incremental archive of the data directory, uploaded offsite')
    .option('--full', 'start a new chain with a full (level 0) archive')
    .option('--dry-run', 'list what would be archived (paths added, changed and deleted; counts; bytes) and write nothing')
    .addHelpText('after', '\nExamples:\n  backup run\n  backup run --full --config /etc/backup.json\n  backup run --dry-run')
    .action((opts: { full?: boolean; dryRun?: boolean }, cmd: Command) =>
      withContext(cmd, { lock: opts.dryRun ? undefined : 'run', walk: startRunWalk }, (ctx) => runCommand(ctx, { full: !!opts.full, dryRun: !!opts.dryRun })),
    );
}

/** Runs a recorded backup and prints its outcome; returns the exit code. */
export async function runCommand(ctx: CommandContext, opts: { full: boolean; dryRun: boolean }): Promise<number> {
  const { config } = ctx;
  // the run's engine is loaded here, after its walk has started (withContext's `walk`): the
  // worker walks while this thread loads and compiles it
  const { recordedRun } = await import('../../backup/recorded-run.js');
  const r = await recordedRun(
    {
      config,
      db: ctx.db,
      signal: ctx.signal,
      walk: ctx.walk,
      backend: config.vault || config.s3 ? () => ctx.backend() : undefined,
      console: { isTTY: !!process.stdout.isTTY, quiet: !!ctx.flags.quiet || !!ctx.flags.json },
      onLog: (line) => ctx.setVaultLog(line),
    },
    opts,
  );
  const o = r.outcome;
  if (ctx.flags.json) sayJson(runJson(o, { runId: r.runId, set: config.set, summary: r.summary, offsite: r.offsite }));
  else if (opts.dryRun) {
    for (const line of pathListing(o.paths)) say(line);
    say(r.summary);
  }
  return o.status === 'warnings' ? ExitCode.warnings : ExitCode.ok;
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
    uploadMs: o.uploadMs === undefined ? null : jsonMs(o.uploadMs),
    warnings: o.warnings,
    offsite: extra.offsite === undefined,
    summary: extra.summary,
  };
}
