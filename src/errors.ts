/**
 * Typed errors. Every error a user can cause is a BackupError with a stable `code`
 * and a one-line message that names the thing and what to do. Only src/cli/main.ts
 * turns errors into exit codes (see `exitCodeFor`).
 */

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  warnings: 3,
  /** Work is waiting on Glacier (retrieval jobs in progress): run the same command later. */
  pending: 4,
  /** Another run holds the lock. */
  locked: 5,
  /** Interrupted by a signal; the state is resumable. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error codes grouped by the exit code they map to. */
export type ErrorCode =
  // exit 2: the user's input is wrong; nothing was written
  | 'USAGE'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'DATA_DIR_MISSING'
  | 'STATE_DIR_UNWRITABLE'
  | 'TARGET_NOT_EMPTY'
  /** Something the user named (a seq, a point in time, a --path, a directory) does not exist. Never a storage 404: that is VAULT_ITEM_NOT_FOUND. */
  | 'NOT_FOUND'
  | 'IDENTITY'
  // the catalog does not know archives that exist: it was lost or replaced (the message gives the recovery command)
  | 'CATALOG_LOST'
  // exit 4
  | 'RETRIEVAL_PENDING'
  // exit 5
  | 'LOCKED'
  // exit 130
  | 'ABORTED'
  // exit 1: the run failed
  | 'ARCHIVE_UNSAFE_PATH'
  | 'ARCHIVE_CORRUPT'
  | 'CHECKSUM_MISMATCH'
  | 'CATALOG'
  | 'VAULT'
  | 'VAULT_AUTH'
  | 'VAULT_NOT_FOUND'
  /** An object, job or upload the vault or bucket does not know (a 404 mid-command: a failure, not bad usage). */
  | 'VAULT_ITEM_NOT_FOUND'
  | 'NETWORK'
  | 'UPLOAD_FAILED'
  | 'DISK_FULL'
  | 'IO'
  | 'EMAIL'
  | 'INTERNAL';

export class BackupError extends Error {
  override readonly name = 'BackupError';
  readonly code: ErrorCode;
  /** A path, key or ID the error is about, when there is one. */
  readonly subject?: string;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; subject?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.subject = options.subject;
  }
}

/** True when `err` is a BackupError with one of `codes` (or any BackupError when none are given). */
export function isBackupError(err: unknown, ...codes: ErrorCode[]): err is BackupError {
  return err instanceof BackupError && (codes.length === 0 || codes.includes(err.code));
}

const usageCodes: ReadonlySet<ErrorCode> = new Set([
  'USAGE',
  'CONFIG_NOT_FOUND',
  'CONFIG_INVALID',
  'DATA_DIR_MISSING',
  'STATE_DIR_UNWRITABLE',
  'TARGET_NOT_EMPTY',
  'NOT_FOUND',
  // the age identity file is missing, unreadable, or does not open the archive
  'IDENTITY',
  'CATALOG_LOST',
]);

/** The exit code for an error that reached the CLI entry point. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof BackupError)) return ExitCode.failed;
  if (usageCodes.has(err.code)) return ExitCode.usage;
  if (err.code === 'RETRIEVAL_PENDING') return ExitCode.pending;
  if (err.code === 'LOCKED') return ExitCode.locked;
  if (err.code === 'ABORTED') return ExitCode.interrupted;
  return ExitCode.failed;
}

/** `err` itself when it is an Error, else an Error carrying its string form (for re-throwing what a `catch` caught). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A system error's code (ENOENT, EACCES, …), else the error's message: for one-line warnings. */
export function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);
}

/** Throws ABORTED if the signal has fired. Call between units of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BackupError('ABORTED', 'interrupted; run the same command again to resume', { cause: signal.reason });
}

/** Maps a Node system error (ENOSPC, EACCES, …) to a BackupError that names the path. */
export function fromSystemError(err: unknown, what: string): BackupError {
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  const path = e?.path ?? what;
  switch (e?.code) {
    case 'ENOSPC':
      return new BackupError('DISK_FULL', `no space left on the device holding ${path}; free space or point stateDir elsewhere`, { cause: err, subject: path });
    case 'EACCES':
    case 'EPERM':
      return new BackupError('IO', `permission denied: ${path}; check its owner and mode`, { cause: err, subject: path });
    case 'ENOENT':
      return new BackupError('IO', `not found: ${path}`, { cause: err, subject: path });
    default:
      return new BackupError('IO', `${what}: ${e?.message ?? String(err)}`, { cause: err, subject: path });
  }
}
