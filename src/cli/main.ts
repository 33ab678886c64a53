/**
 * The CLI entry point: argv → command. The only place errors become exit codes and
 * messages: one line for errors a user can cause, a stack trace only with --debug.
 */
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { BackupError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { interruptSignal } from './interrupt.js';
import { quietOnClosedPipe } from './closed-pipe.js';
import { exitUnsettled } from './exit-unsettled.js';
import { showError } from './report-error.js';
import { readCmdline, withRawArgs } from './raw-argv.js';

/** Runs the CLI with `argv` (process.argv form) and sets process.exitCode. */
export async function main(nodeArgv: string[]): Promise<void> {
  const argv = withRawArgs(nodeArgv, readCmdline());
  // everything this tool creates (catalog, logs, local copies, retrieved data, state) is
  // private to its owner whatever the caller's umask; restored entries get their archived
  // modes explicitly
  process.umask(0o077);
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const json = argv.includes('--json');
  const program = new Command('backup')
    .description('Full and incremental tar.gz backups of a directory into an Amazon Glacier vault, with a local SQLite catalog.')
    .version(packageJson.version)
    .option('-c, --config <file>', 'configuration file (default: ./backup.config.json, then ~/.config/backup/config.json)')
    .option('--json', 'machine-readable output: one JSON object on stdout (docs/json.md); errors as JSON on stderr')
    .option('-q, --quiet', 'no progress bars or informational lines; errors and warnings only')
    .option('--debug', 'print stack traces and SDK details on errors')
    .showHelpAfterError('(run "backup --help" or "backup <command> --help" for usage)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      // with --json, commander's own error text (and its help hint) stays off stderr: report() prints the JSON
      writeErr: (s) => {
        if (!json) process.stderr.write(s);
      },
      // with --json a usage error is reported once, as JSON, by report()
      outputError: (s, write) => {
        if (!json) write(s);
      },
    });
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
    await exitUnsettled(
      program.parseAsync(argv).then(() => undefined),
      () => report(new BackupError('INTERNAL', 'the command stopped before it finished, with nothing left to wait for; run it again (the state is consistent), and report this with the output of --debug'), { debug, json }),
    );
  } catch (err) {
    process.exitCode = report(err, { debug, json });
  }
}

function report(err: unknown, opts: { debug: boolean; json: boolean }): number {
  const shown = showError(err, interruptSignal().aborted);
  if (err instanceof CommanderError) {
    // help and version are not errors; commander printed a usage error already unless --json
    if (shown.exitCode !== 0 && opts.json) process.stderr.write(JSON.stringify({ error: shown }) + '\n');
    return shown.exitCode;
  }
  if (opts.json) process.stderr.write(JSON.stringify({ error: shown }) + '\n');
  else process.stderr.write(`backup: ${shown.message}\n`);
  if (opts.debug) {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    if (err instanceof BackupError && err.cause) process.stderr.write(`cause: ${stackOf(err.cause)}\n`);
  }
  return shown.exitCode;
}

/** An error's stack trace, or the string form of something else that was thrown. */
function stackOf(thrown: unknown): string {
  return (thrown as Error).stack ?? String(thrown);
}
