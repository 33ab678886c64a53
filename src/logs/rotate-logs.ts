/** Rotation of run log files: the newest `keep` stay, older ones are deleted. */
import { readdirSync, unlinkSync } from 'node:fs';
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
