/**
 * How an error that reached the entry point is shown: one line on stderr (or, with --json,
 * one JSON object `{"error":{"code","message","exitCode"}}`), a stack only with --debug.
 */
import { CommanderError } from 'commander';
import { BackupError, ExitCode, exitCodeFor, type ErrorCode } from '../errors.js';

/** What the user sees of an error, and the exit code it maps to. */
export interface ShownError {
  code: ErrorCode;
  message: string;
  exitCode: number;
}

/**
 * The user-facing form of `err`. `interrupted` is true when the run was interrupted by a
 * signal: whatever failed then is reported with exit 130.
 */
export function showError(err: unknown, interrupted: boolean): ShownError {
  if (err instanceof CommanderError) {
    return { code: 'USAGE', message: err.message.replace(/^error: /, ''), exitCode: err.exitCode === 0 ? ExitCode.ok : ExitCode.usage };
  }
  const mismatch = nativeModuleMismatch(err);
  if (mismatch) return { code: 'INTERNAL', message: mismatch, exitCode: ExitCode.failed };
  const exitCode = interrupted && !(err instanceof BackupError && err.code !== 'ABORTED') ? ExitCode.interrupted : exitCodeFor(err);
  if (err instanceof BackupError) return { code: err.code, message: err.message, exitCode };
  return { code: 'INTERNAL', message: `internal error: ${(err as Error)?.message ?? String(err)} (run with --debug for details and report it)`, exitCode };
}

/**
 * When `err` (or one of its causes) is Node refusing a native module built for another Node
 * version (better-sqlite3 after switching Node), the one line that says what to do.
 */
export function nativeModuleMismatch(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as Error).cause, depth++) {
    const message = (e as Error).message ?? '';
    const m = /NODE_MODULE_VERSION (\d+)[\s\S]*NODE_MODULE_VERSION (\d+)/.exec(message);
    if (m) {
      return `the SQLite module was built for another Node.js version (module version ${m[1]}; Node ${process.version} needs ${m[2]}); run "npm rebuild" in the backup installation directory`;
    }
  }
  return undefined;
}
