/**
 * Cost estimate for a bucket (pure): what the stored objects cost a month per storage class
 * (with each class's minimum billable size and per-object overhead), what their uploads'
 * requests cost, and what restoring the latest point would cost per restore tier.
 */
import type { Tier } from '../storage/backend.js';
import { classPrices, type S3PriceTable } from './s3-prices.js';

const GiB = 1024 ** 3;
const TIERS: readonly Tier[] = ['Expedited', 'Standard', 'Bulk'];

/** One stored object: an archive or a catalog snapshot. */
export interface S3CostObject {
  size: number;
  storageClass: string;
  /** Billable PUT-class requests its upload made (create + parts + complete, or 1). */
  requests: number;
}

/** What `estimateS3Cost` needs. */
export interface S3CostInput {
  objects: S3CostObject[];
  /** The objects a restore of the latest point reads (the full and its incrementals). */
  latestChain: Array<{ size: number; storageClass: string }>;
  prices: S3PriceTable;
}

/** Storage per class. */
export interface ClassUsage {
  storageClass: string;
  objects: number;
  bytes: number;
  /** Bytes billed in the class: each object at least the minimum billable size, plus the per-object overhead in the class. */
  billableBytes: number;
  /** USD a month, this class's bytes only (the STANDARD-priced overhead is apart). */
  monthly: number;
}

/** The estimate; money in USD, unrounded (round at the edge). */
export interface S3CostEstimate {
  storedBytes: number;
  objects: number;
  byClass: ClassUsage[];
  /** Per-object overhead billed at the STANDARD price (8 KB per GLACIER or DEEP_ARCHIVE object). */
  overheadStandardBytes: number;
  /** Storage per month: every class plus the STANDARD-priced overhead. */
  monthlyStorage: number;
  uploadRequests: number;
  /** What the uploads' requests cost, once (each at its class's PUT price). */
  uploadRequestCost: number;
  /**
   * Restoring the latest point's chain per tier: for cold objects a restore request and its
   * per-GiB retrieval, for instantly readable ones the per-GiB retrieval; one GET each. null
   * when a tier does not exist for a class in the chain (DEEP_ARCHIVE has no Expedited).
   */
  restoreLatest: { bytes: number; archives: number } & Record<Tier, number | null>;
}

/** Estimates storage, upload-request and restore costs of the objects in a bucket. */
export function estimateS3Cost(input: S3CostInput): S3CostEstimate {
  const { prices } = input;
  const byClass = new Map<string, ClassUsage>();
  let overheadStandardBytes = 0;
  let uploadRequests = 0;
  let uploadRequestCost = 0;
  for (const o of input.objects) {
    const p = classPrices(prices, o.storageClass);
    const u = byClass.get(o.storageClass) ?? { storageClass: o.storageClass, objects: 0, bytes: 0, billableBytes: 0, monthly: 0 };
    u.objects++;
    u.bytes += o.size;
    u.billableBytes += Math.max(o.size, p.minimumBillableBytes) + p.overhead.classBytes;
    byClass.set(o.storageClass, u);
    overheadStandardBytes += p.overhead.standardBytes;
    uploadRequests += o.requests;
    uploadRequestCost += (o.requests / 1000) * p.putPer1000Requests;
  }
  const classes = [...byClass.values()].sort((a, b) => a.storageClass.localeCompare(b.storageClass));
  for (const u of classes) u.monthly = (u.billableBytes / GiB) * classPrices(prices, u.storageClass).storagePerGiBMonth;
  const monthlyStorage = classes.reduce((n, u) => n + u.monthly, 0) + (overheadStandardBytes / GiB) * prices.classes.STANDARD.storagePerGiBMonth;

  const restore = (tier: Tier): number | null => {
    let usd = 0;
    for (const a of input.latestChain) {
      const p = classPrices(prices, a.storageClass);
      const gib = a.size / GiB;
      usd += p.getPer1000Requests / 1000;
      if (p.read.kind === 'instant') {
        usd += gib * p.read.retrievalPerGiB;
        continue;
      }
      const t = p.read.tiers[tier];
      if (!t) return null;
      usd += gib * t.retrievalPerGiB + t.restorePer1000Requests / 1000;
    }
    return usd;
  };
  const restoreLatest = {
    bytes: input.latestChain.reduce((n, a) => n + a.size, 0),
    archives: input.latestChain.length,
    ...(Object.fromEntries(TIERS.map((t) => [t, restore(t)])) as Record<Tier, number | null>),
  };
  return {
    storedBytes: input.objects.reduce((n, o) => n + o.size, 0),
    objects: input.objects.length,
    byClass: classes,
    overheadStandardBytes,
    monthlyStorage,
    uploadRequests,
    uploadRequestCost,
    restoreLatest,
  };
}
