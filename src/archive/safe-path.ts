/**
 * Where an archive member may be written: only inside the restore target. A member path
 * is refused when it is absolute, has a ".." component or a NUL, or when one of its parent
 * directories inside the target is a symlink (an earlier member could have planted one to
 * point anywhere).
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError, fromSystemError } from '../errors.js';

/** Throws ARCHIVE_UNSAFE_PATH unless `memberPath` is a plain relative path ("" is the target itself). Pure. */
export function checkMemberPath(memberPath: string): void {
  if (memberPath === '') return;
  let reason: string | undefined;
  if (memberPath.includes('\0')) reason = 'it contains a NUL byte';
  else if (memberPath.startsWith('/')) reason = 'it is an absolute path';
  else if (memberPath.split('/').some((c) => c === '..')) reason = 'it has a ".." component';
  else if (memberPath.split('/').some((c) => c === '' || c === '.')) reason = 'it has an empty or "." component';
  if (reason) throw unsafe(memberPath, reason);
}

/**
 * The absolute path of `memberPath` inside `targetRoot`, after checking that no existing
 * parent below the root is a symlink. The last component itself may be anything (the
 * caller replaces it; it is never followed). Throws ARCHIVE_UNSAFE_PATH naming the member.
 *
 * `knownDirs` (relative paths, closed under parents) lets a restore skip the lstat of
 * parents it has already made or checked; parents found to be real directories are added.
 * It is only valid while the caller is the one changing the target (see RestoreTarget).
 */
export async function resolveInside(targetRoot: string, memberPath: string, knownDirs?: Set<string>): Promise<string> {
  checkMemberPath(memberPath);
  if (memberPath === '') return targetRoot;
  const parts = memberPath.split('/');
  const parentPath = parts.slice(0, -1).join('/');
  if (parentPath === '' || knownDirs?.has(parentPath)) return join(targetRoot, memberPath);
  let dir = targetRoot;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = join(dir, parts[i]);
    const rel = parts.slice(0, i + 1).join('/');
    if (knownDirs?.has(rel)) continue;
    let st;
    try {
      st = await lstat(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // nothing further down exists yet, so nothing there can be a symlink
      if (code === 'ENOENT' || code === 'ENOTDIR') break;
      throw fromSystemError(err, dir);
    }
    if (st.isSymbolicLink()) throw unsafe(memberPath, `its parent "${rel}" is a symlink in the target`);
    if (!st.isDirectory()) break;
    knownDirs?.add(rel);
  }
  return join(targetRoot, memberPath);
}

function unsafe(memberPath: string, reason: string): BackupError {
  return new BackupError('ARCHIVE_UNSAFE_PATH', `refusing archive member "${memberPath}": ${reason}, so it could write outside the restore target; the archive is damaged or malicious`, {
    subject: memberPath,
  });
}
