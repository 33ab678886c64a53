/** How storage bills one object (pure): its S3 class's terms from the price table, or the vault's from the config's `prices`. */
import type { StorageTerms } from '../retention/early-deletion.js';
import { classPrices, S3_PRICES_US_EAST_1, type S3PriceTable } from './s3-prices.js';

/** The parts of the config that decide an object's terms. */
export interface TermsConfig {
  prices: { minimumStorageDays: number; storagePerGiBMonth: number };
  s3?: { storageClass: string };
}

/**
 * The terms of an object as the catalog recorded it: its S3 class, else by its store (a vault
 * archive, or a bucket object uploaded before classes were recorded: the configured class),
 * else by the config (an S3 config's class, or the vault).
 */
export function storageTerms(o: { storageClass: string | null; store?: string | null }, config: TermsConfig, table: S3PriceTable = S3_PRICES_US_EAST_1): StorageTerms {
  const cls = o.storageClass ?? (o.store === 'glacier' ? undefined : o.store === 's3' ? (config.s3?.storageClass ?? 'DEEP_ARCHIVE') : config.s3?.storageClass);
  if (cls === undefined) return { label: 'vault', minimumStorageDays: config.prices.minimumStorageDays, storagePerGiBMonth: config.prices.storagePerGiBMonth, minimumBillableBytes: 0 };
  const p = classPrices(table, cls);
  return { label: cls, minimumStorageDays: p.minimumStorageDays, storagePerGiBMonth: p.storagePerGiBMonth, minimumBillableBytes: p.minimumBillableBytes };
}
