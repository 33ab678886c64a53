/**
 * Archive file names say the backup set, sequence number, level and UTC time, e.g.
 * `photos-000012-L1-20261123T020000Z.tar.gz`, so a directory of archives sorts into
 * chain order and can be restored without a catalog. Pure.
 */

/** The parts of an archive file name. */
export interface ArchiveName {
  set: string;
  seq: number;
  level: number;
  createdAt: Date;
}

/** Formats an archive file name. */
export function formatArchiveName(n: ArchiveName): string {
  const t = n.createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${n.set}-${String(n.seq).padStart(6, '0')}-L${n.level}-${t}.tar.gz`;
}

const pattern = /^(.+)-(\d{6,})-L(\d+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.tar\.gz$/;

/** Parses an archive file name; null when it is not one. */
export function parseArchiveName(fileName: string): ArchiveName | null {
  const m = pattern.exec(fileName);
  if (!m) return null;
  const [, set, seq, level, y, mo, d, h, mi, s] = m;
  return { set, seq: Number(seq), level: Number(level), createdAt: new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) };
}
