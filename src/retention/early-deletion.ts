/**
 * The early-deletion charge (pure). Glacier vaults and the S3 classes with a minimum storage
 * duration (STANDARD_IA 30 days, GLACIER_IR and GLACIER 90, DEEP_ARCHIVE 180) bill an object
 * deleted before that many days for the remaining days, prorated per day against a 30-day
 * month, at the class's storage price, on at least the class's minimum billable size.
 */

const DAY_MS = 86_400_000;
const GiB = 1024 ** 3;
/** The storage price is per month; the remaining days are billed as days / 30 of it. */
const DAYS_PER_BILLING_MONTH = 30;

/** How storage bills one object: the class (or vault) it is in. */
export interface StorageTerms {
  /** `STANDARD`, `DEEP_ARCHIVE`, …, or `vault`: for messages. */
  label: string;
  minimumStorageDays: number;
  storagePerGiBMonth: number;
  /** Smaller objects are billed as this size (0: none). */
  minimumBillableBytes: number;
}

/** What deleting one object now costs beyond its storage so far. */
export interface EarlyDeletion {
  /** Age in days of the object (0 for an upload dated after now). */
  ageDays: number;
  /** Days short of the minimum (0 when none). */
  remainingDays: number;
  /** USD; 0 when the minimum has passed. */
  charge: number;
}

/** The charge for deleting an object of `size` bytes stored at `storedAt`, at `now`. */
export function earlyDeletion(o: { size: number; storedAt: Date }, terms: StorageTerms, now: Date): EarlyDeletion {
  const ageDays = Math.max(0, (now.getTime() - o.storedAt.getTime()) / DAY_MS);
  const remainingDays = Math.max(0, terms.minimumStorageDays - ageDays);
  const billable = Math.max(o.size, terms.minimumBillableBytes);
  return { ageDays, remainingDays, charge: (billable / GiB) * terms.storagePerGiBMonth * (remainingDays / DAYS_PER_BILLING_MONTH) };
}
