/**
 * Where an archive member may be written: only inside the restore target. A member path
 * is refused when it is absolute, has a ".." component, an empty or "." component, or a
 * NUL; the writer (restore-target.ts) refuses it too when one of its parents in the target
 * is a symlink (an earlier member could have planted one to point anywhere), and never
 * follows one.
 */
import { BackupError } from '../errors.js';

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

/** The ARCHIVE_UNSAFE_PATH error for `memberPath`, naming why. */
export function unsafe(memberPath: string, reason: string): BackupError {
  return new BackupError('ARCHIVE_UNSAFE_PATH', `refusing archive member "${memberPath}": ${reason}, so it could write outside the restore target; the archive is damaged or malicious`, {
    subject: memberPath,
  });
}
