/**
 * The CLI entry point: argv → command. The only place errors become exit codes and
 * messages: one line for errors a user can cause, a stack trace only with --debug.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BackupError, ExitCode, exitCodeFor } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { interruptSignal } from './interrupt.js';

/** Runs the CLI with `argv` (process.argv form) and sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('backup')
    .description('Full and incremental tar.gz backups of a directory into an Amazon Glacier vault, with a local SQLite catalog.')
    .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version)
    .option('-c, --config <file>', 'configuration file (default: ./backup.config.json, then ~/.config/backup/config.json)')
    .option('--json', 'machine-readable output (list, ls, status, inventory, cost, …)')
    .option('-q, --quiet', 'no progress bars or informational lines; errors and warnings only')
    .option('--debug', 'print stack traces and SDK details on errors')
    .showHelpAfterError('(run "backup --help" or "backup <command> --help" for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  program.addHelpText(
    'after',
    `
Examples:
  backup run                         back up now (full or incremental, then upload)
  backup list                        chains and archives
  backup restore --to /tmp/r --at 2026-11-20
  backup schedule print              the crontab line for the configured schedule

Exit codes: 0 ok, 1 failed, 2 bad usage or config, 3 completed with warnings,
4 waiting on Glacier retrieval jobs (run the same command later), 5 another run holds the lock, 130 interrupted.`,
  );
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err, debug);
  }
}

function report(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    // commander printed its message already; help and version are not errors
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof BackupError) {
    process.stderr.write(`backup: ${err.message}\n`);
    if (debug) process.stderr.write(`${err.stack ?? ''}\n${err.cause ? `cause: ${stackOf(err.cause)}\n` : ''}`);
  } else {
    process.stderr.write(`backup: internal error: ${(err as Error)?.message ?? String(err)} (run with --debug for details and report it)\n`);
    if (debug) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  }
  if (interruptSignal().aborted && !(err instanceof BackupError && err.code !== 'ABORTED')) return ExitCode.interrupted;
  return exitCodeFor(err);
}

/** An error's stack trace, or the string form of something else that was thrown. */
function stackOf(thrown: unknown): string {
  return (thrown as Error).stack ?? String(thrown);
}
