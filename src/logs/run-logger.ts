/**
 * The run log: every line of a run goes to its own file under stateDir/logs (attached to
 * the run-log email) and to the console, shaped for whoever reads it there: plain
 * timestamped lines for cron and pipes, short lines on a terminal, only problems with --quiet.
 */
import { closeSync, fdatasync, mkdirSync, openSync, appendFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeConsoleLine, type LineWriter } from '../ui/console-line.js';
import { logFileName } from './log-file-name.js';
import { redact } from './redact.js';
import { rotateCronLog, rotateLogs } from './rotate-logs.js';

export { redact } from './redact.js';

/** How to open a run log. */
export interface RunLoggerOptions {
  /** Directory of the run log files; created when missing. */
  logDir: string;
  /** The run's catalog ID, in the file name. */
  runId: number;
  /** isTTY: short lines for a person; otherwise timestamped lines without escape codes. quiet: warnings and errors only. */
  console: { isTTY: boolean; quiet: boolean };
  /** How many run log files stay in logDir, this one included (at least 1 is kept); also how many generations of cron.log. */
  keep: number;
  /** false (a dry run) writes no file and rotates nothing; default true. */
  writeFile?: boolean;
  /** Console streams; default process.stdout and process.stderr. */
  stdout?: LineWriter;
  stderr?: LineWriter;
  /** The clock for timestamps and the file name; default the system clock. */
  now?: () => Date;
}

/**
 * A run's log. Lines are redacted (see `redact`), control characters are shown escaped,
 * and a line with newlines is written as several lines, each with its own prefix in the file.
 * Logging never throws: a log file that cannot be created or written becomes a warning on
 * the console (and in `warnings`), and the run goes on with the console alone.
 */
export interface RunLogger {
  /** A line of progress: stdout (not with quiet) and the file. */
  info(line: string): void;
  /** Something the user should look at; the run goes on. stderr, the file, and `warnings`. */
  warn(line: string): void;
  /** What failed. stderr, the file, and `errors`. */
  error(line: string): void;
  /** Every warning so far, redacted, in order. */
  readonly warnings: string[];
  /** Every error so far, redacted, in order. */
  readonly errors: string[];
  /** The log file, or undefined when none is written (dry run, or it could not be created). */
  readonly path: string | undefined;
  /** Resolves once every line so far is in the file and synced to disk; never rejects. */
  flush(): Promise<void>;
  /** Closes the file; idempotent, never rejects. Later lines still reach the console and are appended to the file synchronously. */
  close(): Promise<void>;
}

type Level = 'info' | 'warn' | 'error';
const FILE_LEVEL: Record<Level, string> = { info: 'INFO', warn: 'WARN', error: 'ERROR' };
const CONSOLE_PREFIX: Record<Level, string> = { info: '', warn: 'warning: ', error: 'error: ' };

/** Opens the log of one run: creates its file, rotates old ones, and returns the logger. */
export function createRunLogger(opts: RunLoggerOptions): RunLogger {
  const now = opts.now ?? (() => new Date());
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const warnings: string[] = [];
  const errors: string[] = [];
  let path: string | undefined;
  let fd: number | undefined;
  let fileBroken = false;
  let syncing: Promise<void> = Promise.resolve();

  function toFile(text: string): void {
    if (path === undefined || fileBroken) return;
    try {
      if (fd === undefined) appendFileSync(path, text);
      else writeAll(fd, Buffer.from(text, 'utf8'));
    } catch (err) {
      fileBroken = true;
      emit('warn', `run log ${path}: cannot write (${(err as Error).message}); further lines go to the console only`);
    }
  }

  function toConsole(level: Level, at: string, lines: string[]): void {
    if (level === 'info' && opts.console.quiet) return;
    const out = level === 'info' ? stdout : stderr;
    const prefix = CONSOLE_PREFIX[level];
    const text = opts.console.isTTY
      ? `${prefix}${lines.join('\n')}\n`
      : lines.map((l) => `${at} ${prefix}${l}\n`).join('');
    writeConsoleLine(out, text);
  }

  function emit(level: Level, line: string): void {
    const at = now().toISOString();
    const message = escapeControls(redact(String(line)).replace(/(\r?\n)+$/, ''));
    if (level === 'warn') warnings.push(message);
    if (level === 'error') errors.push(message);
    const lines = message.split(/\r?\n/);
    toFile(lines.map((l) => `${at} ${FILE_LEVEL[level]} ${l}\n`).join(''));
    toConsole(level, at, lines);
  }

  if (opts.writeFile !== false) {
    const name = logFileName(opts.runId, now());
    try {
      mkdirSync(opts.logDir, { recursive: true, mode: 0o700 });
      const p = join(opts.logDir, name);
      fd = openSync(p, 'a', 0o600);
      path = p;
    } catch (err) {
      emit('warn', `run log not written: cannot create ${join(opts.logDir, name)} (${(err as Error).message}); check that the state directory is writable`);
    }
    if (path !== undefined) {
      try {
        const r = rotateLogs(opts.logDir, Math.max(1, opts.keep), name);
        for (const f of r.failed) emit('warn', `old run log not deleted: ${f}`);
        const c = rotateCronLog(opts.logDir, Math.max(1, opts.keep));
        for (const f of c.failed) emit('warn', `cron.log not rotated: ${f}`);
      } catch (err) {
        emit('warn', `old run logs not rotated: ${(err as Error).message}`);
      }
    }
  }

  return {
    info: (line) => emit('info', line),
    warn: (line) => emit('warn', line),
    error: (line) => emit('error', line),
    warnings,
    errors,
    get path() {
      return path;
    },
    flush() {
      const f = fd;
      if (f === undefined) return syncing;
      syncing = syncing.then(() => new Promise<void>((resolve) => fdatasync(f, () => resolve())));
      return syncing;
    },
    async close() {
      const f = fd;
      if (f === undefined) return syncing;
      fd = undefined; // from here on, lines are appended by path
      await syncing;
      try {
        closeSync(f);
      } catch {
        // closing a descriptor we opened only fails if it is already gone: nothing is lost
      }
    },
  };
}

/** Writes the whole buffer, looping over short writes. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Shows control characters (other than tab and newline) as `\xNN`: a file name with an
 * escape sequence in it must not drive the terminal or smuggle codes into a cron mail.
 */
function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
