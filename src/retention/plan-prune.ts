/** Retention planning (pure): which whole chains `backup prune` deletes, and what the storage's minimum storage durations cost. */
import { earlyDeletion, type StorageTerms } from './early-deletion.js';

const DAY_MS = 86_400_000;

/** One archive of a chain, as the catalog knows it. */
export interface Archive {
  seq: number;
  createdAt: Date;
  /** Bytes stored in the vault (the compressed archive). */
  size: number;
  /** When the vault accepted it; absent for an archive that only ever existed locally (no early-deletion charge). */
  uploadedAt?: Date;
  archiveId?: string;
  localPath?: string;
  /** How its storage bills it (its S3 class); absent: the input's minimumStorageDays and storagePerGiBMonth. */
  terms?: StorageTerms;
}

/** A full backup and the incrementals built on it; retention deletes chains whole, never single archives. */
export interface Chain {
  /** Catalog seq of the chain's full archive; a larger seq is a newer chain. */
  fullSeq: number;
  archives: Archive[];
}

/**
 * Retention policy. A chain is kept if any rule keeps it; with neither `keepChains` nor `keepDays`
 * set, nothing is deleted. `minChains` is a floor applied after the rules.
 */
export interface RetentionPolicy {
  /** Keep the newest N chains. */
  keepChains?: number;
  /** Keep chains whose newest archive was created less than D days before `now`. */
  keepDays?: number;
  /** Never keep fewer than this many chains; the newest are kept to reach it. */
  minChains: number;
}

/** What `planPrune` needs: the live chains (deleted archives left out), the policy, the clock and the price of a GiB-month. */
export interface PrunePlanInput {
  chains: Chain[];
  policy: RetentionPolicy;
  now: Date;
  /** Days storage bills an archive without `terms` for at least (a vault: 90). */
  minimumStorageDays: number;
  /** Delete chains even when that incurs the early-deletion charge. */
  allowEarlyDelete: boolean;
  /** USD per GiB-month of storage for an archive without `terms`, the rate its early-deletion charge is computed at. */
  storagePerGiBMonth: number;
}

/**
 * The plan. Every input chain lands in exactly one of `keep`, `delete` or `skippedEarly`;
 * each list is ordered oldest chain first, and archives within a chain by seq.
 * `keep` holds the chains the policy keeps; a chain the policy would delete but that is still
 * inside the minimum storage duration goes to `skippedEarly` (it stays in the vault), unless
 * early deletion is allowed, in which case it is in `delete` with its charge.
 */
export interface PrunePlan {
  /** fullSeq of each chain the policy keeps. */
  keep: number[];
  /** Chains to delete, with all their archives; `earlyDeletionCharge` is USD (0 when none is due). */
  delete: Array<{ chain: Chain; archives: Archive[]; earlyDeletionCharge: number }>;
  /** Chains left in place because deleting them now would be charged; `youngestUploadDays` is the age in days of its newest upload. */
  skippedEarly: Array<{ chain: Chain; earlyDeletionCharge: number; youngestUploadDays: number }>;
}

/** Plans a prune: applies the retention policy to whole chains and splits the deletions by the early-deletion charge. */
export function planPrune(input: PrunePlanInput): PrunePlan {
  const { policy, now } = input;
  const chains = input.chains
    .map((c) => ({ fullSeq: c.fullSeq, archives: [...c.archives].sort((a, b) => a.seq - b.seq) }))
    .sort((a, b) => a.fullSeq - b.fullSeq);

  const kept = new Set<number>();
  const ruleSet = policy.keepChains !== undefined || policy.keepDays !== undefined;
  chains.forEach((chain, i) => {
    const fromNewest = chains.length - 1 - i; // 0 for the newest chain
    const byCount = policy.keepChains !== undefined && fromNewest < policy.keepChains;
    const byAge = policy.keepDays !== undefined && newestCreatedMs(chain) > now.getTime() - policy.keepDays * DAY_MS;
    if (!ruleSet || fromNewest === 0 || byCount || byAge) kept.add(chain.fullSeq);
  });
  // the floor: walk from the newest chain down until minChains are kept
  for (let i = chains.length - 1; i >= 0 && kept.size < policy.minChains; i--) kept.add(chains[i].fullSeq);

  const plan: PrunePlan = { keep: [], delete: [], skippedEarly: [] };
  for (const chain of chains) {
    if (kept.has(chain.fullSeq)) {
      plan.keep.push(chain.fullSeq);
      continue;
    }
    const early = earlyDeletionOfChain(chain, input);
    if (early && !input.allowEarlyDelete) {
      plan.skippedEarly.push({ chain, earlyDeletionCharge: early.charge, youngestUploadDays: early.youngestUploadDays });
    } else {
      plan.delete.push({ chain, archives: chain.archives, earlyDeletionCharge: early?.charge ?? 0 });
    }
  }
  return plan;
}

/** Time of the chain's newest archive; a chain without archives counts as infinitely old. */
function newestCreatedMs(chain: Chain): number {
  return Math.max(-Infinity, ...chain.archives.map((a) => a.createdAt.getTime()));
}

/**
 * The early-deletion charge of deleting the chain at `now`, or undefined when none of its
 * archives is younger than its minimum storage duration (each archive by its own terms: the
 * class it is stored in). Archives never uploaded cost nothing; an upload dated in the future
 * counts as age 0.
 */
function earlyDeletionOfChain(chain: Chain, input: PrunePlanInput): { charge: number; youngestUploadDays: number } | undefined {
  const fallback: StorageTerms = { label: 'vault', minimumStorageDays: input.minimumStorageDays, storagePerGiBMonth: input.storagePerGiBMonth, minimumBillableBytes: 0 };
  let charge = 0;
  let youngest = Infinity;
  let early = false;
  for (const a of chain.archives) {
    if (!a.uploadedAt) continue;
    const e = earlyDeletion({ size: a.size, storedAt: a.uploadedAt }, a.terms ?? fallback, input.now);
    youngest = Math.min(youngest, e.ageDays);
    if (e.remainingDays <= 0) continue;
    early = true;
    charge += e.charge;
  }
  return early ? { charge, youngestUploadDays: youngest } : undefined;
}
