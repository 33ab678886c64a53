/** Rotation of run log files (the newest `keep` stay, older ones are deleted) and of the crontab line's cron.log (`keep` generations). */
import { fstatSync, readdirSync, renameSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE_NAME } from './log-file-name.js';

/**
 * Which run log files to delete so that `keep` remain, `current` always among them.
 * Ordered by start time, then run ID (a catalog rebuilt from scratch restarts run IDs,
 * so the time decides). Names that are not run logs are never chosen. Pure.
 */
export function logsToDelete(names: readonly string[], keep: number, current?: string): string[] {
  const others = names
    .map((name) => ({ name, m: LOG_FILE_NAME.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null && x.name !== current)
    .sort((a, b) => (a.m[2] === b.m[2] ? Number(a.m[1]) - Number(b.m[1]) : a.m[2] < b.m[2] ? -1 : 1));
  const room = Math.max(0, keep - (current === undefined ? 0 : 1));
  return others.slice(0, Math.max(0, others.length - room)).map((x) => x.name);
}

/** Deletes the oldest run logs in `dir` beyond `keep`; returns what was deleted and what could not be. */
export function rotateLogs(dir: string, keep: number, current?: string): { deleted: string[]; failed: string[] } {
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const name of logsToDelete(readdirSync(dir), keep, current)) {
    try {
      unlinkSync(join(dir, name));
      deleted.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process rotated it first
      failed.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { deleted, failed };
}

/** The file the crontab line of `backup schedule print` appends a run's console output to, in the log directory. */
export const CRON_LOG = 'cron.log';

const CRON_GENERATION = /^cron\.log\.(\d+)$/;

/**
 * Rotates `cron.log` as a run starts: older generations shift up (`cron.log.1` → `cron.log.2`
 * …), those beyond `keep` are deleted, and `cron.log` becomes `cron.log.1`. Renaming loses
 * nothing: a process still writing to the file (this run, whose output cron redirected there)
 * goes on writing to it under its new name, so `cron.log.1` ends with the newest run, and
 * `cron.log` holds only what came later (another cron job, a run that stopped before its log
 * began) until the next run moves it. An absent `cron.log` is left alone, and so is an
 * empty one unless it is this process's stdout or stderr (the shell cron started created it
 * for this run).
 */
export function rotateCronLog(dir: string, keep: number): { rotated: boolean; failed: string[] } {
  const failed: string[] = [];
  const cron = join(dir, CRON_LOG);
  try {
    const st = statSync(cron);
    if (st.size === 0 && !isOwnOutput(st)) return { rotated: false, failed };
  } catch {
    return { rotated: false, failed };
  }
  const generations = readdirSync(dir)
    .map((name) => Number(CRON_GENERATION.exec(name)?.[1]))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a);
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const n of generations) {
    const from = join(dir, `${CRON_LOG}.${n}`);
    if (n >= keep) attempt(`${CRON_LOG}.${n}`, () => unlinkSync(from));
    else attempt(`${CRON_LOG}.${n}`, () => renameSync(from, join(dir, `${CRON_LOG}.${n + 1}`)));
  }
  let rotated = false;
  attempt(CRON_LOG, () => {
    renameSync(cron, join(dir, `${CRON_LOG}.1`));
    rotated = true;
  });
  return { rotated, failed };
}

/** Whether `st` is the file this process's stdout or stderr writes to. */
function isOwnOutput(st: Stats): boolean {
  return [1, 2].some((fd) => {
    try {
      const o = fstatSync(fd);
      return o.ino === st.ino && o.dev === st.dev;
    } catch {
      return false;
    }
  });
}
