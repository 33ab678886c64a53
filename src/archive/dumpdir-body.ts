/**
 * The body of a GNU dumpdir ('D') member: `<flag><name>\0` per entry, sorted by the raw
 * bytes of the names (GNU tar binary-searches the list, so JavaScript's UTF-16 order would
 * make it delete entries that should stay), then one extra NUL. Pure.
 */
import { BackupError } from '../errors.js';
import type { DumpdirFlag } from '../scan/archive-plan.js';
import { nameFromBytes, nameToBytes } from '../scan/name-bytes.js';

/** One name in a directory's listing. */
export interface DumpdirEntry {
  name: string;
  flag: DumpdirFlag;
}

const FLAGS: ReadonlySet<string> = new Set(['Y', 'N', 'D']);

/** Encodes a listing (in any order) as a dumpdir body; an empty listing is a single NUL. */
export function encodeDumpdir(listing: readonly DumpdirEntry[]): Buffer {
  const encoded = listing.map((e) => {
    if (!FLAGS.has(e.flag)) throw new RangeError(`dumpdir flag must be Y, N or D, got "${e.flag}"`);
    if (e.name === '' || e.name.includes('/') || e.name.includes('\0')) throw new RangeError(`dumpdir name must be one path component, got "${e.name}"`);
    return { flag: e.flag, name: nameToBytes(e.name) };
  });
  encoded.sort((a, b) => Buffer.compare(a.name, b.name));
  const parts: Buffer[] = [];
  for (const e of encoded) parts.push(Buffer.from(e.flag, 'latin1'), e.name, Buffer.alloc(1));
  parts.push(Buffer.alloc(1));
  return Buffer.concat(parts);
}

/**
 * Decodes a dumpdir body (its declared size, padding excluded). Entries GNU tar writes for
 * directory renames (R, T, X) are not supported: restoring them needs GNU tar's rename
 * machinery, and this project never writes them.
 */
export function decodeDumpdir(body: Uint8Array): DumpdirEntry[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: DumpdirEntry[] = [];
  let i = 0;
  while (i < buf.length && buf[i] !== 0) {
    const end = buf.indexOf(0, i);
    if (end < 0) throw new BackupError('ARCHIVE_CORRUPT', 'a directory listing in the archive is cut short (no terminating NUL); the archive is damaged');
    const flag = String.fromCharCode(buf[i]);
    if (!FLAGS.has(flag)) {
      throw new BackupError('ARCHIVE_CORRUPT', `a directory listing in the archive has an unsupported "${flag}" entry (made by GNU tar with renames?); restore it with GNU tar`);
    }
    const name = nameFromBytes(buf.subarray(i + 1, end));
    if (name === '' || name.includes('/')) throw new BackupError('ARCHIVE_CORRUPT', `a directory listing in the archive has an invalid name "${name}"`);
    out.push({ flag: flag as DumpdirFlag, name });
    i = end + 1;
  }
  return out;
}
