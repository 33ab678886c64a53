/** SQLite's "database or disk is full" (SQLITE_FULL) as the DISK_FULL error the archive path gives. */
import { BackupError } from '../errors.js';

/** A DISK_FULL BackupError naming stateDir when `err` (or one of its causes) is SQLITE_FULL; otherwise undefined. */
export function catalogFull(err: unknown, stateDir: string): BackupError | undefined {
  for (let e = err, depth = 0; e && depth < 4; e = (e as Error).cause, depth++) {
    if ((e as { code?: unknown }).code === 'SQLITE_FULL') {
      return new BackupError('DISK_FULL', `no space left on the device holding ${stateDir} (the catalog could not be written); free space or point stateDir elsewhere`, { cause: err, subject: stateDir });
    }
  }
  return undefined;
}
