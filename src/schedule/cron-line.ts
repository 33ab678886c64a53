/**
 * The crontab line for `backup schedule print`, and the next time a schedule fires for
 * `backup status` (pure). Times are the machine's local time, as cron(8) uses.
 */
import { isAbsolute } from 'node:path';
import { validateDetailed } from 'node-cron';
import { BackupError } from '../errors.js';
import { cronDayMatches, parseCron, type CronFields } from './cron-expression.js';

/** What the crontab line is made of; every path must be absolute (cron starts with a minimal PATH in $HOME). */
export interface CronLineInput {
  /** The configured cron expression (five fields). */
  schedule: string;
  /** The node binary, e.g. process.execPath. */
  nodePath: string;
  /** The backup CLI entry point. */
  binPath: string;
  configPath: string;
  /** Where the run's console output is appended; omit to leave it to cron (which mails it to MAILTO). Its directory must exist. */
  logFile?: string;
}

/** The crontab line that runs `backup run` on `schedule`; throws CONFIG_INVALID for an expression cron cannot run. */
export function cronLine(input: CronLineInput): string {
  const fields = checkSchedule(input.schedule);
  if (fields.hasSeconds) {
    throw new BackupError('CONFIG_INVALID', `schedule "${input.schedule}" has a seconds field, which cron does not support; use five fields (minute hour day-of-month month day-of-week), or run "backup daemon"`, { subject: 'schedule' });
  }
  for (const [what, p] of [['node', input.nodePath], ['bin', input.binPath], ['config', input.configPath], ['log file', input.logFile]] as const) {
    if (p !== undefined && !isAbsolute(p)) throw new BackupError('INTERNAL', `cron line: the ${what} path ${p} is not absolute`);
  }
  const command = [input.nodePath, input.binPath, 'run', '--config', input.configPath].map(shellWord).join(' ');
  const redirect = input.logFile ? ` >> ${shellWord(input.logFile)} 2>&1` : '';
  return `${input.schedule.trim().split(/\s+/).join(' ')} ${crontabEscape(command + redirect)}`;
}

/** The first time after `from` (exclusive) at which `schedule` fires, in local time; throws CONFIG_INVALID for an invalid or never-firing expression. */
export function nextRun(schedule: string, from: Date): Date {
  return nextMatch(checkSchedule(schedule), schedule, from);
}

/** Validates with node-cron (what the daemon runs) and with cron's own rules (what the crontab runs). */
function checkSchedule(schedule: string): CronFields {
  const v = validateDetailed(schedule.trim());
  if (!v.valid) {
    const e = v.errors[0];
    throw new BackupError('CONFIG_INVALID', `schedule "${schedule}" is not a valid cron expression; ${e ? e.message : 'check it'} (e.g. "30 2 * * *" for 02:30 every night)`, { subject: 'schedule' });
  }
  return parseCron(schedule);
}

/** Cron fires at most this far apart (Feb 29 on a given weekday); beyond it an expression never fires. */
const searchDays = 28 * 366 + 7;

function nextMatch(f: CronFields, schedule: string, from: Date): Date {
  const fromMs = from.getTime();
  const start = new Date(from.getFullYear(), from.getMonth(), from.getDate());
  for (let i = 0; i < searchDays; i++) {
    const day = new Date(start.getFullYear(), start.getMonth(), start.getDate() + i);
    const y = day.getFullYear();
    const mo = day.getMonth();
    const d = day.getDate();
    if (!f.months.includes(mo + 1) || !cronDayMatches(f, d, day.getDay())) continue;
    for (const h of f.hours) {
      // skip whole hours that end before `from`
      if (new Date(y, mo, d, h, 59, 59).getTime() <= fromMs) continue;
      for (const mi of f.minutes) {
        for (const s of f.seconds) {
          const t = new Date(y, mo, d, h, mi, s);
          // a time skipped by a daylight-saving change does not exist: cron does not fire then either
          if (t.getTime() <= fromMs || t.getHours() !== h || t.getMinutes() !== mi) continue;
          return t;
        }
      }
    }
  }
  throw new BackupError('CONFIG_INVALID', `schedule "${schedule}" never fires (no such date); fix the day and month fields`, { subject: 'schedule' });
}

/** Quotes a word for /bin/sh when it needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** crontab(5) turns an unescaped % into a newline. */
function crontabEscape(command: string): string {
  return command.replace(/%/g, '\\%');
}
