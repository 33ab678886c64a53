/**
 * Writing a restore into its target directory, from catalog entries. Directories are
 * created first in path order, replacing anything that is not a real directory, so by the
 * time files and symlinks are written every parent is a directory this restore made or
 * checked: no write can follow a symlink out of the target. Files go to a temporary name
 * and are renamed into place; directory modes and times are set last, deepest first.
 */
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rename, rm, symlink, unlink, utimes, lutimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BackupError, fromSystemError } from '../errors.js';
import type { TreeNode } from './tree-at.js';

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

/** The absolute path of a catalog path inside the target; rejects anything that could leave it. */
export function targetPath(to: string, path: string): string {
  if (path === '') return to;
  if (path.startsWith('/') || path.includes('\0') || path.split('/').some((c) => c === '..' || c === '' || c === '.')) {
    throw new BackupError('ARCHIVE_UNSAFE_PATH', `refusing to restore unsafe path "${path}": it would write outside the target`, { subject: path });
  }
  return join(to, path);
}

/** Makes `node` a real directory (replacing a file or symlink in the way). */
export async function writeDir(to: string, node: TreeNode): Promise<void> {
  const p = targetPath(to, node.path);
  try {
    const st = await lstat(p).catch(() => undefined);
    if (st && !st.isDirectory()) await rm(p, { force: true });
    if (!st || !st.isDirectory()) await mkdir(p);
    // writable while restoring; the real mode is set by finishDirs
    await chmod(p, 0o700);
  } catch (err) {
    throw fromSystemError(err, p);
  }
}

/** Writes a file's body under a temporary name, sets mode and mtime, and renames it into place. */
export async function writeFile(to: string, node: TreeNode, body: AsyncIterable<Uint8Array>): Promise<void> {
  const p = targetPath(to, node.path);
  const tmp = join(dirname(p), `.${process.pid}.restoring`);
  try {
    await pipeline(Readable.from(body), createWriteStream(tmp, { mode: 0o600 }));
    await chmod(tmp, node.mode);
    await utimes(tmp, node.mtime, node.mtime);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory()) await rm(p, { recursive: true, force: true });
    await rename(tmp, p);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fromSystemError(err, p);
  }
}

/** Creates a symlink (replacing what is there); its target is stored as is and never followed. */
export async function writeSymlink(to: string, node: TreeNode): Promise<void> {
  const p = targetPath(to, node.path);
  try {
    const st = await lstat(p).catch(() => undefined);
    if (st) await rm(p, { recursive: true, force: true });
    await symlink(node.linkTarget ?? '', p);
    await lutimes(p, node.mtime, node.mtime).catch(() => undefined);
  } catch (err) {
    throw fromSystemError(err, p);
  }
}

/** Sets directory modes and mtimes, deepest first (writing inside a directory changes its mtime). */
export async function finishDirs(to: string, dirs: readonly TreeNode[]): Promise<void> {
  const sorted = [...dirs].sort((a, b) => b.path.split('/').length - a.path.split('/').length || (a.path < b.path ? 1 : -1));
  for (const d of sorted) {
    const p = targetPath(to, d.path);
    try {
      if (d.path !== '') await chmod(p, d.mode);
      await utimes(p, d.mtime, d.mtime);
    } catch (err) {
      throw fromSystemError(err, p);
    }
  }
}
