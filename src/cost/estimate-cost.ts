/** Cost estimate (pure): what the vault costs to keep, what the uploads cost, and what restoring the latest point would. */

const GiB = 1024 ** 3;

/** Month and region the config's default price table was taken from; keep in step with `prices` in config-schema.ts. */
export const DEFAULT_PRICES_AS_OF = 'Amazon Glacier, us-east-1, 2026-11';

/** Retrieval tiers Glacier offers, fastest and dearest first. */
export type RetrievalTier = 'Expedited' | 'Standard' | 'Bulk';

/** The price table from config (`prices`), all in USD. */
export interface PriceTable {
  storagePerGiBMonth: number;
  /** Per 1000 upload requests: an upload's initiate and complete calls, each part, and each retry are one apiece. */
  uploadPer1000Requests: number;
  /** Glacier bills each archive for at least this many days; not part of these figures, carried with the table. */
  minimumStorageDays: number;
  retrievalPerGiB: Record<RetrievalTier, number>;
  /** Per 1000 retrieval requests; one archive-retrieval job is one request. */
  retrievalPer1000Requests: Record<RetrievalTier, number>;
}

/** What `estimateCost` needs: the archives in the vault, the price table, and the size of the chain the latest point needs. */
export interface CostInput {
  /** Archives stored in the vault now. `parts` is the number of billable requests its upload made (≥ 1). `uploadedAt` does not enter the figures. */
  archives: Array<{ size: number; uploadedAt: Date; parts: number }>;
  prices: PriceTable;
  /** Bytes of the full archive and the incrementals up to the latest point: what a restore of it retrieves. */
  latestChainBytes: number;
  /** Number of archives in that chain: one retrieval job each. */
  latestChainArchives: number;
}

/** The estimate; money in USD, unrounded (format for people at the edge). */
export interface CostEstimate {
  storedBytes: number;
  archives: number;
  /** Storage per month for what is stored now. */
  monthlyStorage: number;
  /** Billable requests the stored archives' uploads made. */
  uploadRequests: number;
  /** What those requests cost, once. */
  uploadRequestCost: number;
  /** Cost of retrieving the latest point's chain, per tier: data retrieved plus one job per archive. */
  restoreLatest: { bytes: number; archives: number } & Record<RetrievalTier, number>;
}

/** Estimates storage, upload-request and restore costs from the archives in the vault and a price table. */
export function estimateCost(input: CostInput): CostEstimate {
  const { prices } = input;
  const storedBytes = input.archives.reduce((n, a) => n + a.size, 0);
  const uploadRequests = input.archives.reduce((n, a) => n + a.parts, 0);
  const restore = (tier: RetrievalTier): number =>
    (input.latestChainBytes / GiB) * prices.retrievalPerGiB[tier] + (input.latestChainArchives / 1000) * prices.retrievalPer1000Requests[tier];
  return {
    storedBytes,
    archives: input.archives.length,
    monthlyStorage: (storedBytes / GiB) * prices.storagePerGiBMonth,
    uploadRequests,
    uploadRequestCost: (uploadRequests / 1000) * prices.uploadPer1000Requests,
    restoreLatest: {
      bytes: input.latestChainBytes,
      archives: input.latestChainArchives,
      Expedited: restore('Expedited'),
      Standard: restore('Standard'),
      Bulk: restore('Bulk'),
    },
  };
}
