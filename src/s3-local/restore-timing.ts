/**
 * How long S3 restores of cold objects take here, and when a restored copy expires.
 * A restore completes a fixed delay after it was requested, chosen by the object's
 * storage class and the tier; the copy then stays readable for `Days` days counted
 * from completion and rounded up to the next midnight UTC, as S3 does. Pure.
 */

/** Storage classes whose objects must be restored before they can be read. */
export type ColdStorageClass = 'GLACIER' | 'DEEP_ARCHIVE';

/** Restore tiers. */
export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

/** Per class and tier restore delays in milliseconds; unset ones complete at once. */
export type RestoreDelays = Partial<Record<ColdStorageClass, Partial<Record<RestoreTier, number>>>>;

/** Delays close to what AWS documents (GLACIER: Expedited 1–5 min, Standard 3–5 h, Bulk 5–12 h; DEEP_ARCHIVE: Standard within 12 h, Bulk within 48 h). */
export const REALISTIC_RESTORE_DELAYS_MS: Readonly<RestoreDelays> = {
  GLACIER: { Expedited: 5 * 60_000, Standard: 4 * 3_600_000, Bulk: 12 * 3_600_000 },
  DEEP_ARCHIVE: { Standard: 12 * 3_600_000, Bulk: 48 * 3_600_000 },
};

const DAY = 86_400_000;

/** True for classes that refuse GET until restored. */
export function isColdClass(storageClass: string): storageClass is ColdStorageClass {
  return storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE';
}

/** The tiers a class accepts: DEEP_ARCHIVE has no Expedited. */
export function tiersOf(storageClass: ColdStorageClass): readonly RestoreTier[] {
  return storageClass === 'DEEP_ARCHIVE' ? ['Standard', 'Bulk'] : ['Expedited', 'Standard', 'Bulk'];
}

/** The restore delay of `tier` for `storageClass` under `delays` (0 when unset). Throws RangeError on a negative or non-finite delay. */
export function restoreDelayMs(storageClass: ColdStorageClass, tier: RestoreTier, delays: RestoreDelays | undefined): number {
  const d = delays?.[storageClass]?.[tier];
  if (d === undefined) return 0;
  if (!Number.isFinite(d) || d < 0) throw new RangeError(`restore delay for ${storageClass} ${tier} must be a non-negative number of milliseconds, got ${d}`);
  return d;
}

/** When a restored copy made ready at `readyAt` for `days` days expires: the midnight UTC at or after readyAt + days. */
export function restoreExpiry(readyAt: number, days: number): number {
  return Math.ceil((readyAt + days * DAY) / DAY) * DAY;
}
