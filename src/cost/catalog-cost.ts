/** The cost estimate of what the catalog says is stored, for a vault or a bucket: `backup cost` and the run-log email use this one function. */
import { latestArchive, listArchives } from '../catalog/archive-store.js';
import { listCatalogSnapshots } from '../catalog/inventory-store.js';
import type { Db } from '../catalog/open-catalog.js';
import type { Config } from '../config/load-config.js';
import { chainTo } from '../restore/plan-chain.js';
import { estimateCost, type CostEstimate } from './estimate-cost.js';
import { estimateS3Cost, type S3CostEstimate } from './estimate-s3-cost.js';
import { S3_PRICES_US_EAST_1 } from './s3-prices.js';

/** The estimate, by the kind of storage it prices. */
export type CatalogCost = { backend: 'glacier'; estimate: CostEstimate } | { backend: 's3'; estimate: S3CostEstimate };

/**
 * Estimates storage, upload-request and restore-latest costs from the catalog's uploaded
 * archives and catalog snapshots: with the config's `prices` for a vault, with S3 list prices
 * per storage class (each object in the class it was stored in) for a bucket.
 */
export function estimateCatalogCost(db: Db, config: Pick<Config, 'prices' | 's3'>): CatalogCost {
  const all = listArchives(db);
  const latest = latestArchive(db);
  // what a restore of the latest point retrieves when no local copy is left (the disaster case)
  const chain = (latest ? chainTo(all, latest) : []).filter((a) => a.uploadState === 'uploaded');
  const uploaded = all.filter((a) => a.uploadState === 'uploaded');
  // the catalog's own snapshots are stored (and billed) too
  const snapshots = listCatalogSnapshots(db);
  const s3 = config.s3;
  if (s3) {
    // an object whose class was not recorded (uploaded by an older version) is in the configured class
    const classOf = (a: { storageClass: string | null }, fallback: string) => a.storageClass ?? fallback;
    return {
      backend: 's3',
      estimate: estimateS3Cost({
        objects: [
          ...uploaded.map((a) => ({ size: a.size, storageClass: classOf(a, s3.storageClass), requests: a.uploadRequests ?? 1 })),
          ...snapshots.map((s) => ({ size: s.size, storageClass: classOf(s, s3.catalogStorageClass), requests: 1 })),
        ],
        latestChain: chain.map((a) => ({ size: a.size, storageClass: classOf(a, s3.storageClass) })),
        prices: S3_PRICES_US_EAST_1,
      }),
    };
  }
  return {
    backend: 'glacier',
    estimate: estimateCost({
      archives: [
        ...uploaded.map((a) => ({ size: a.size, uploadedAt: a.uploadedAt ? new Date(a.uploadedAt) : new Date(a.createdAt), parts: a.uploadRequests ?? 1 })),
        ...snapshots.map((s) => ({ size: s.size, uploadedAt: new Date(s.createdAt), parts: 1 })),
      ],
      prices: config.prices,
      latestChainBytes: chain.reduce((n, a) => n + a.size, 0),
      latestChainArchives: chain.length,
    }),
  };
}
