/**
 * `mkdir -p` that fails instead of spinning: Node's own recursive mkdir (sync and async)
 * loops forever, at full CPU and deaf to SIGTERM, when mkdir answers ENOENT although the
 * parent exists (any path below /proc or /sys), so a `--to` or a directory in the config
 * there hung the command. Here each level is made once, parents first.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Makes the directory `path` and its missing parents (new ones get `mode`); an existing directory (or symlink to one) is fine. Throws the system error otherwise. */
export function makeDirs(path: string, mode = 0o777): void {
  const dir = resolve(path);
  try {
    mkdirSync(dir, mode);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && isDir(dir)) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
  }
  makeDirs(dirname(dir), mode);
  try {
    mkdirSync(dir, mode);
  } catch (err) {
    // made meanwhile by someone else
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isDir(dir)) throw err;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
