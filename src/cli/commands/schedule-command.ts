/** `backup schedule print` and `backup daemon`: running unattended. */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CRON_LOG } from '../../logs/rotate-logs.js';
import { loadConfig } from '../../config/load-config.js';
import { BackupError, ExitCode, isBackupError } from '../../errors.js';
import { interruptSignal } from '../interrupt.js';
import { globalFlags, withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { startRunWalk } from '../../backup/start-run-walk.js';

/** Registers `backup schedule print` and `backup daemon`. */
export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('scheduling helpers');
  schedule
    .command('print')
    .description('print the crontab line for the configured schedule, with absolute paths')
    .addHelpText('after', '\nExample:\n  backup schedule print   # then paste the line into "crontab -e"')
    .action(async (_opts, cmd: Command) => {
      const config = loadConfig({ path: globalFlags(cmd).config });
      const { cronLine } = await import('../../schedule/cron-line.js');
      // cron cannot open the redirect into a missing directory, and would then never start the run
      mkdirSync(join(config.stateDir, 'logs'), { recursive: true });
      const logFile = join(config.stateDir, 'logs', CRON_LOG);
      const line = cronLine({ schedule: config.schedule, nodePath: process.execPath, binPath: resolve(process.argv[1]), configPath: config.configPath, logFile });
      if (globalFlags(cmd).json) sayJson({ schedule: config.schedule, cronLine: line, logFile });
      else say(line);
    });

  program
    .command('daemon')
    .description('run backups on the configured schedule in this process (for systems without cron); stops on SIGTERM')
    .addHelpText('after', '\nExample:\n  backup daemon --config /etc/backup.json')
    .action(async (_opts, cmd: Command) => {
      if (globalFlags(cmd).json) throw new BackupError('USAGE', 'the daemon writes timestamped log lines, not JSON; run it without --json (each run is in "backup status --json")');
      const config = loadConfig({ path: globalFlags(cmd).config });
      const signal = interruptSignal();
      const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      log(`daemon started: schedule "${config.schedule}" for ${config.data}`);
      const { runDaemon } = await import('../../schedule/run-daemon.js');
      await runDaemon({
        schedule: config.schedule,
        signal,
        log,
        runOnce: async () => {
          try {
            return await withContext(cmd, { lock: 'run', walk: startRunWalk }, async (ctx) => {
              const { recordedRun } = await import('../../backup/recorded-run.js');
              const { outcome: o } = await recordedRun(
                {
                  config: ctx.config,
                  db: ctx.db,
                  signal: ctx.signal,
                  walk: ctx.walk,
                  backend: ctx.config.vault || ctx.config.s3 ? () => ctx.backend() : undefined,
                  console: { isTTY: false, quiet: !!ctx.flags.quiet },
                  onLog: (line) => ctx.setVaultLog(line),
                },
                { full: false, dryRun: false },
              );
              return o.status === 'warnings' ? ExitCode.warnings : ExitCode.ok;
            });
          } catch (err) {
            // a run that fails (or finds the lock held) is logged; the daemon carries on
            if (isBackupError(err, 'ABORTED')) throw err;
            log(`run failed: ${(err as Error).message}`);
            return 1;
          }
        },
      });
      log('daemon stopped');
    });
}
