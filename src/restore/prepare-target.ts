/** The restore target: created if missing, and refused when not empty unless forced. */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { BackupError, fromSystemError } from '../errors.js';

/** Creates the target, or checks it is empty (unless `force`). */
export async function prepareTarget(to: string, force: boolean): Promise<void> {
  try {
    const st = await lstat(to);
    if (!st.isDirectory()) throw new BackupError('TARGET_NOT_EMPTY', `restore target ${to} exists and is not a directory; choose another --to`, { subject: to });
    if (!force && (await readdir(to)).length > 0) {
      throw new BackupError('TARGET_NOT_EMPTY', `restore target ${to} is not empty; choose an empty directory or add --force to restore over it`, { subject: to });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof BackupError ? err : fromSystemError(err, to);
    await mkdir(to, { recursive: true }).catch((e: unknown) => {
      throw fromSystemError(e, to);
    });
  }
}
