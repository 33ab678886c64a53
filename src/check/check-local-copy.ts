/**
 * One local copy against the catalog: its size and bytes (per-block SHA-256, or the tree
 * hash for archives recorded without block hashes), then its tar members, read back, against
 * the catalog's member list (path, type, size and tar offset, in order). An encrypted copy is
 * checked by its tree hash (the block hashes are of the .tar.gz inside it) and, with the
 * identity, read back through decryption, which authenticates every age chunk.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { GzipBlock } from '../archive/gzip-block.js';
import type { ArchivedMember } from '../archive/archived-member.js';
import { readArchive } from '../archive/read-archive.js';
import { findDamage } from '../restore/verify-blocks.js';

/** What is known of the archive a local copy should hold. */
export interface ExpectedArchive {
  size: number;
  treeHash: string;
  blocks: readonly GzipBlock[];
  /** The catalog's members in tar order; null when the catalog does not list them (rebuilt from descriptions). */
  members: readonly ArchivedMember[] | null;
  /** For an encrypted archive: the stream of its plaintext .tar.gz from the stored bytes. */
  decrypt?: (stored: Readable) => Readable;
}

/** What is wrong with the local copy at `path`, one phrase per problem; empty when it holds. */
export async function checkLocalCopy(path: string, expected: ExpectedArchive, signal: AbortSignal): Promise<string[]> {
  const damage = await findDamage(path, expected, null);
  if (damage) return [`local copy ${path}: ${damage.what}`];
  if (!expected.members) return [];
  const want = expected.members;
  let i = 0;
  try {
    const stored = createReadStream(path);
    for await (const m of readArchive(expected.decrypt ? expected.decrypt(stored) : stored, { signal })) {
      const c = want[i];
      // the archive's root directory has the path "" in both
      if (!c) return [`local copy ${path}: member ${JSON.stringify(m.path)} at tar offset ${m.tarOffset} is not in the catalog`];
      if (c.path !== m.path || c.type !== m.type || c.tarOffset !== m.tarOffset || (c.type === 'file' && c.size !== m.size)) {
        return [`local copy ${path}: member ${i} is ${describe(m)} in the archive but ${describe(c)} in the catalog`];
      }
      i++;
    }
  } catch (err) {
    return [`local copy ${path} cannot be read: ${(err as Error).message}`];
  }
  return i < want.length ? [`local copy ${path}: the catalog lists ${want.length} members, the archive holds ${i}`] : [];
}

function describe(m: { path: string; type: string; size: number; tarOffset: number }): string {
  return `${m.type} ${JSON.stringify(m.path)} (${m.size} bytes at tar offset ${m.tarOffset})`;
}
