/**
 * Refuses to hand an archive id to a backend that does not hold it: while a vault moves to
 * a bucket (`backup migrate --to-s3`) the catalog records some archives in each, and the
 * config's storage is the bucket. Pure.
 */
import { BackupError } from '../errors.js';
import type { BackendInfo } from './backend.js';

/** True when archive `a` is recorded in the vault and `kind` is a bucket, or the other way round. */
export function storedElsewhere(a: { store: string | null }, kind: BackendInfo['kind']): boolean {
  const offsite = (k: string | null) => k === 'glacier' || k === 's3';
  return offsite(a.store) && offsite(kind) && a.store !== kind;
}

/** Throws CONFIG_INVALID (exit 2) when archive `a` is recorded in the vault and `info` is a bucket, or the other way round. */
export function assertStoredIn(a: { seq: number; fileName: string; store: string | null }, info: Pick<BackendInfo, 'kind' | 'location'>): void {
  if (!storedElsewhere(a, info.kind)) return;
  throw new BackupError(
    'CONFIG_INVALID',
    a.store === 'glacier'
      ? `archive ${a.seq} (${a.fileName}) is still in the vault, not yet moved to ${info.location}; finish the move with "backup migrate --to-s3 --wait", then run this again`
      : `archive ${a.seq} (${a.fileName}) is in an S3 bucket and the config names ${info.location}; put the bucket in "s3" (see README "Moving a vault to S3")`,
  );
}
