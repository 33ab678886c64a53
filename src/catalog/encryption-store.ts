/** Which archives are age-encrypted, and the age prefix (header and payload nonce) of each. */
import type { Db } from './open-catalog.js';

/** Records that archive `seq` is encrypted, with its age prefix. Call inside the transaction that commits the archive. */
export function recordAgePrefix(db: Db, seq: number, prefix: Buffer): void {
  db.prepare('INSERT INTO archive_encryption (seq, age_prefix) VALUES (?, ?)').run(seq, prefix);
}

/** The age prefix of archive `seq`; undefined when the archive is plain tar.gz. */
export function agePrefixOf(db: Db, seq: number): Buffer | undefined {
  return db.prepare('SELECT age_prefix FROM archive_encryption WHERE seq = ?').pluck().get(seq) as Buffer | undefined;
}
