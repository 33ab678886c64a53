/**
 * Archive file names say the backup set, sequence number, level, UTC time and the chain's
 * identity, e.g. `photos-000012-L1-20261123T020000Z-3f9ac2b1.tar.gz`, so a directory of
 * archives sorts into chain order and can be restored without a catalog, and archives of two
 * chains (say, before and after a lost catalog) are never taken for one. Names from before
 * chain identities (no `-chain` part) still parse. An age-encrypted archive adds `.age`
 * (`….tar.gz.age`), as the age CLI names its output. Pure.
 */
import { randomBytes } from 'node:crypto';

/** The parts of an archive file name. */
export interface ArchiveName {
  set: string;
  seq: number;
  level: number;
  createdAt: Date;
  /** The chain's identity: 8 lowercase hex digits; absent in names from before chain identities. */
  chainId?: string;
  /** The archive is age-encrypted (`.tar.gz.age`). */
  encrypted?: boolean;
}

/** Formats an archive file name. */
export function formatArchiveName(n: ArchiveName): string {
  const t = n.createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${n.set}-${String(n.seq).padStart(6, '0')}-L${n.level}-${t}${n.chainId ? `-${n.chainId}` : ''}.tar.gz${n.encrypted ? '.age' : ''}`;
}

const pattern = /^(.+)-(\d{6,})-L(\d+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-([0-9a-f]{8}))?\.tar\.gz(\.age)?$/;

/** A new random chain identity. */
export function newChainId(): string {
  return randomBytes(4).toString('hex');
}

/** Parses an archive file name; null when it is not one. */
export function parseArchiveName(fileName: string): ArchiveName | null {
  const m = pattern.exec(fileName);
  if (!m) return null;
  const [, set, seq, level, y, mo, d, h, mi, s, chainId, age] = m;
  // numbers no archive has (a catalog cannot hold them) make a name that is not ours
  if (!Number.isSafeInteger(Number(seq)) || !Number.isSafeInteger(Number(level))) return null;
  const n: ArchiveName = { set, seq: Number(seq), level: Number(level), createdAt: new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) };
  if (chainId) n.chainId = chainId;
  if (age) n.encrypted = true;
  return n;
}
