/** The restore target, checked before anything is written: it is created only once a restore writes into it. */
import { lstat, readdir } from 'node:fs/promises';
import { BackupError, fromSystemError } from '../errors.js';
import type { RestoreTargetOptions } from '../archive/restore-target.js';

/**
 * Checks that `to` is missing or an empty directory (or, with `force`, any directory) and
 * creates nothing. Returns how the restore must treat it: a non-empty target keeps
 * everything that is not in the way of an entry being restored; a missing one is made by
 * the restore, which refuses one that appeared meanwhile.
 */
export async function prepareTarget(to: string, force: boolean): Promise<RestoreTargetOptions> {
  try {
    const st = await lstat(to);
    if (!st.isDirectory()) throw new BackupError('TARGET_NOT_EMPTY', `restore target ${to} exists and is not a directory; choose another --to`, { subject: to });
    const empty = (await readdir(to)).length === 0;
    if (!force && !empty) {
      throw new BackupError('TARGET_NOT_EMPTY', `restore target ${to} is not empty; choose an empty directory or add --force to restore over it`, { subject: to });
    }
    return { keepExisting: !empty };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof BackupError ? err : fromSystemError(err, to);
    return { keepExisting: false, create: true };
  }
}
