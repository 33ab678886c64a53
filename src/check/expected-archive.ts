/**
 * What the catalog says an archive file must hold, for checking a local copy or a stored
 * object read back: size, tree hash, block table, members, and for an encrypted archive the
 * way to its plaintext (decryption authenticates every age chunk; the plaintext's gzip blocks
 * are then checked against the catalog's SHA-256s when the age prefix gives their extent).
 */
import { existsSync } from 'node:fs';
import type { Db } from '../catalog/open-catalog.js';
import { archiveBlocks, archiveMembers, type ArchiveRecord } from '../catalog/archive-store.js';
import { agePrefixOf } from '../catalog/encryption-store.js';
import { payloadLayout } from '../age/age-stream.js';
import { decryptWhole, type IdentitySource } from '../restore/decrypting-source.js';
import { blockChecks, hasBlockHashes, verifiedBlocks } from '../restore/verify-blocks.js';
import type { ExpectedArchive } from './check-archive-file.js';

/** True when the archive is age-encrypted. */
export function isEncrypted(db: Db, a: ArchiveRecord): boolean {
  return agePrefixOf(db, a.seq) !== undefined || a.fileName.endsWith('.age');
}

/**
 * The expectation for archive `a`. An encrypted archive's members are read only when the
 * identity file exists (a host may hold only recipients); without it only its stored bytes
 * are checked.
 */
export function expectedArchive(db: Db, a: ArchiveRecord, identity: IdentitySource | undefined): ExpectedArchive {
  const encrypted = isEncrypted(db, a);
  const blocks = archiveBlocks(db, a.seq);
  const key = encrypted && identity && existsSync(identity.file) ? identity : undefined;
  const prefix = agePrefixOf(db, a.seq);
  const layout = prefix && payloadLayout(a.size, prefix.length);
  const what = `archive ${a.seq} (${a.fileName})`;
  return {
    size: a.size,
    treeHash: a.treeHash,
    blocks: encrypted ? [] : blocks,
    members: a.fileCount < 0 || (encrypted && !key) ? null : archiveMembers(db, a.seq),
    decrypt:
      key &&
      ((stored) => {
        const plain = decryptWhole(stored, a, key);
        return layout && hasBlockHashes(blocks) ? verifiedBlocks(plain, blockChecks(blocks, layout.plainSize), { start: 0, end: layout.plainSize - 1 }, what) : plain;
      }),
  };
}
