/**
 * Amazon S3 list prices per storage class (pure data), in USD, for `backup cost` and the
 * early-deletion charge of prune and archive delete.
 *
 * Region us-east-1 (N. Virginia), first 50 TB tier, as of 2026-11. Other regions differ (most
 * are 5–30 % dearer; a few classes more): the figures are an estimate, and `backup cost` says
 * which table it used. AWS bills "GB" as 2^30 bytes, so the prices below are per GiB.
 * Sources: the Amazon S3 pricing page (aws.amazon.com/s3/pricing: storage, "Requests & data
 * retrievals" and the notes under them), cross-checked with two 2026 summaries of it
 * (usage.ai, "Glacier and Deep Archive Pricing", 2026-06; awsnegotiations.com, "Glacier vs
 * Glacier Deep Archive", 2026-05), and the S3 user guide on storage classes for the minimum
 * durations, the 128 KB minimum billable size and the 40 KB per-object overhead.
 * Where the summaries disagreed (Bulk restores from GLACIER), the pricing page wins: free.
 */
import type { Tier } from '../storage/backend.js';

/** The storage classes the S3 backend writes. */
export type S3StorageClass = 'STANDARD' | 'STANDARD_IA' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';

/** What reading an object costs: at once (per GiB read) or after a restore (per tier; a missing tier does not exist for the class). */
export type ReadPrices =
  | { kind: 'instant'; retrievalPerGiB: number }
  | { kind: 'restore'; tiers: Partial<Record<Tier, { retrievalPerGiB: number; restorePer1000Requests: number }>> };

/** Prices and billing rules of one class. */
export interface S3ClassPrices {
  storagePerGiBMonth: number;
  /** PUT, COPY, POST and LIST requests (a multipart upload's create, each part and complete are one apiece). */
  putPer1000Requests: number;
  /** GET and all other requests (a ranged GET of a restored object too). */
  getPer1000Requests: number;
  /** A lifecycle rule moving an object into this class (not used by backup, which writes the class directly). */
  transitionPer1000Requests: number;
  /** Days an object is billed for at least: deleting it earlier is charged for the remaining days. */
  minimumStorageDays: number;
  /** Smaller objects are billed as this size (128 KB for STANDARD_IA and GLACIER_IR). */
  minimumBillableBytes: number;
  /** Bytes billed per object besides its data: in the class itself and at the STANDARD price (GLACIER and DEEP_ARCHIVE: 32 KB + 8 KB for the index and metadata). */
  overhead: { classBytes: number; standardBytes: number };
  read: ReadPrices;
}

/** A price table: where and when it holds, and the prices per class. */
export interface S3PriceTable {
  region: string;
  asOf: string;
  classes: Record<S3StorageClass, S3ClassPrices>;
}

const KiB = 1024;
const none = { classBytes: 0, standardBytes: 0 };
const archived = { classBytes: 32 * KiB, standardBytes: 8 * KiB };

/** us-east-1 list prices as of 2026-11 (see the header for the sources). */
export const S3_PRICES_US_EAST_1: S3PriceTable = {
  region: 'us-east-1',
  asOf: '2026-11',
  classes: {
    STANDARD: {
      storagePerGiBMonth: 0.023,
      putPer1000Requests: 0.005,
      getPer1000Requests: 0.0004,
      transitionPer1000Requests: 0,
      minimumStorageDays: 0,
      minimumBillableBytes: 0,
      overhead: none,
      read: { kind: 'instant', retrievalPerGiB: 0 },
    },
    STANDARD_IA: {
      storagePerGiBMonth: 0.0125,
      putPer1000Requests: 0.01,
      getPer1000Requests: 0.001,
      transitionPer1000Requests: 0.01,
      minimumStorageDays: 30,
      minimumBillableBytes: 128 * KiB,
      overhead: none,
      read: { kind: 'instant', retrievalPerGiB: 0.01 },
    },
    GLACIER_IR: {
      storagePerGiBMonth: 0.004,
      putPer1000Requests: 0.02,
      getPer1000Requests: 0.01,
      transitionPer1000Requests: 0.02,
      minimumStorageDays: 90,
      minimumBillableBytes: 128 * KiB,
      overhead: none,
      read: { kind: 'instant', retrievalPerGiB: 0.03 },
    },
    GLACIER: {
      storagePerGiBMonth: 0.0036,
      putPer1000Requests: 0.03,
      getPer1000Requests: 0.0004,
      transitionPer1000Requests: 0.03,
      minimumStorageDays: 90,
      minimumBillableBytes: 0,
      overhead: archived,
      read: {
        kind: 'restore',
        tiers: {
          Expedited: { retrievalPerGiB: 0.03, restorePer1000Requests: 10 },
          Standard: { retrievalPerGiB: 0.01, restorePer1000Requests: 0.05 },
          Bulk: { retrievalPerGiB: 0, restorePer1000Requests: 0 },
        },
      },
    },
    DEEP_ARCHIVE: {
      storagePerGiBMonth: 0.00099,
      putPer1000Requests: 0.05,
      getPer1000Requests: 0.0004,
      transitionPer1000Requests: 0.05,
      minimumStorageDays: 180,
      minimumBillableBytes: 0,
      overhead: archived,
      read: {
        kind: 'restore',
        tiers: {
          Standard: { retrievalPerGiB: 0.02, restorePer1000Requests: 0.1 },
          Bulk: { retrievalPerGiB: 0.0025, restorePer1000Requests: 0.025 },
        },
      },
    },
  },
};

/** The prices of a class by its S3 name; an unknown name (a class another tool chose) is priced as STANDARD. */
export function classPrices(table: S3PriceTable, storageClass: string): S3ClassPrices {
  return isS3StorageClass(storageClass) ? table.classes[storageClass] : table.classes.STANDARD;
}

function isS3StorageClass(s: string): s is S3StorageClass {
  return s === 'STANDARD' || s === 'STANDARD_IA' || s === 'GLACIER_IR' || s === 'GLACIER' || s === 'DEEP_ARCHIVE';
}
