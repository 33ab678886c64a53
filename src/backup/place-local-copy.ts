/** Moves a finished archive from staging to the local copy directory (copying across devices). */
import { copyFile, rename, unlink, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { makeDirs } from '../fs/make-dirs.js';

/** Moves `stagedPath` into `localDir` under its own name; returns the new path. The copy is fsync'ed before the original goes. */
export async function placeLocalCopy(stagedPath: string, localDir: string, fileName: string): Promise<string> {
  const dest = join(localDir, fileName);
  try {
    makeDirs(localDir);
    try {
      await rename(stagedPath, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const tmp = `${dest}.copying`;
      await copyFile(stagedPath, tmp);
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, dest);
      await unlink(stagedPath);
    }
    return dest;
  } catch (err) {
    throw fromSystemError(err, `moving ${stagedPath} to ${localDir}`);
  }
}
