/**
 * The identity file on disk: writing a new one (never over an existing file: a lost key
 * means lost backups) and loading one, with errors that name the file and what to do.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BackupError } from '../errors.js';
import { generateIdentity, parseIdentities, type AgeIdentity } from './age-keys.js';

/** Writes a new X25519 identity to `path` (mode 0600, parent directory created 0700); returns its recipient. */
export function writeNewIdentity(path: string, now: Date): string {
  const id = generateIdentity(now);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, id.text, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new BackupError('USAGE', `${path} already exists; it may be the only key to existing backups, so it is never overwritten: choose another --out`, { subject: path });
    throw new BackupError('IO', `cannot write the identity file ${path} (${code ?? (err as Error).message}); choose another --out`, { cause: err, subject: path });
  }
  return id.recipient;
}

/** Loads the identities of `path`; throws IDENTITY (exit 2) naming the file when it is missing or not an age identity. */
export function loadIdentities(path: string): AgeIdentity[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BackupError('IDENTITY', `the age identity file ${path} cannot be read (${code ?? (err as Error).message}); restore it from your offline copy, or set "encryption.identityFile"`, { cause: err, subject: path });
  }
  try {
    return parseIdentities(text);
  } catch (err) {
    throw new BackupError('IDENTITY', `the age identity file ${path} ${(err as Error).message}; point "encryption.identityFile" at the key the archives were encrypted to`, { cause: err, subject: path });
  }
}
