/**
 * One archive file (a local copy, or a stored object downloaded by `check --read-data`)
 * against the catalog: its size and bytes (the tree hash of the whole object, and each gzip
 * block's SHA-256), then its tar members, every block inflated and read back, against the
 * catalog's member list (path, type, size and tar offset, in order). An encrypted archive's
 * block hashes are of the .tar.gz inside it: its stored bytes are checked by their tree hash,
 * and, with the identity, read back through decryption, which authenticates every age chunk
 * (the caller's `decrypt` may check the plaintext blocks too).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { GzipBlock } from '../archive/gzip-block.js';
import type { ArchivedMember } from '../archive/archived-member.js';
import { readArchive } from '../archive/read-archive.js';
import { findDamage, hasBlockHashes } from '../restore/verify-blocks.js';
import { AgeDamagedError } from '../age/decrypt-age.js';

/** What is known of the archive a file should hold. */
export interface ExpectedArchive {
  size: number;
  treeHash: string;
  /** Block table with SHA-256s of the stored bytes; empty for an encrypted archive (its table is of the plaintext). */
  blocks: readonly GzipBlock[];
  /** The catalog's members in tar order; null when the catalog does not list them (rebuilt from descriptions) or they cannot be read (no identity). */
  members: readonly ArchivedMember[] | null;
  /** For an encrypted archive: the stream of its plaintext .tar.gz from the stored bytes. */
  decrypt?: (stored: Readable) => Readable;
}

/**
 * What is wrong with the file at `path`, one phrase per problem (each starting with `label`,
 * e.g. "local copy /x/y.tar.gz"); empty when it holds. `treeHash` is the file's tree hash when
 * the caller computed it already (a verified download): then it is compared, not recomputed.
 */
export async function checkArchiveFile(path: string, expected: ExpectedArchive, opts: { label: string; signal: AbortSignal; treeHash?: string }): Promise<string[]> {
  const { label } = opts;
  if (opts.treeHash !== undefined && opts.treeHash !== expected.treeHash) {
    // name the damaged gzip block, or age chunk, when that can be known
    const damage = hasBlockHashes(expected.blocks) ? (await findDamage(path, expected, null))?.what : expected.decrypt ? await decryptionDamage(path, expected.decrypt) : undefined;
    return [`${label}: its tree hash is ${opts.treeHash}, the catalog has ${expected.treeHash}${damage ? `; ${damage}` : ''}`];
  }
  if (opts.treeHash === undefined || hasBlockHashes(expected.blocks)) {
    const damage = await findDamage(path, expected, null);
    if (damage) return [`${label}: ${damage.what}`];
  }
  if (!expected.members) return [];
  const want = expected.members;
  let i = 0;
  try {
    const stored = createReadStream(path);
    for await (const m of readArchive(expected.decrypt ? expected.decrypt(stored) : stored, { signal: opts.signal })) {
      const c = want[i];
      // the archive's root directory has the path "" in both
      if (!c) return [`${label}: member ${JSON.stringify(m.path)} at tar offset ${m.tarOffset} is not in the catalog`];
      if (c.path !== m.path || c.type !== m.type || c.tarOffset !== m.tarOffset || (c.type === 'file' && c.size !== m.size)) {
        return [`${label}: member ${i} is ${describe(m)} in the archive but ${describe(c)} in the catalog`];
      }
      i++;
    }
  } catch (err) {
    return [`${label} cannot be read: ${(err as Error).message}`];
  }
  return i < want.length ? [`${label}: the catalog lists ${want.length} members, the archive holds ${i}`] : [];
}

/** Why decrypting the file fails (the first chunk that does not authenticate), or undefined when it decrypts. */
async function decryptionDamage(path: string, decrypt: (stored: Readable) => Readable): Promise<string | undefined> {
  try {
    for await (const chunk of decrypt(createReadStream(path))) void chunk;
    return undefined;
  } catch (err) {
    const cause = (err as Error).cause;
    return cause instanceof AgeDamagedError ? `age ${cause.message}` : (err as Error).message;
  }
}

function describe(m: { path: string; type: string; size: number; tarOffset: number }): string {
  return `${m.type} ${JSON.stringify(m.path)} (${m.size} bytes at tar offset ${m.tarOffset})`;
}
