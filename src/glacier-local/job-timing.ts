/**
 * How long Glacier jobs take here. Each job completes a fixed delay after it was
 * initiated, chosen by its tier (archive retrievals) or 'Inventory'; its output
 * then stays available for the output TTL. Pure.
 */

/** Retrieval tiers, plus 'Inventory' for inventory-retrieval jobs. */
export type JobTimingKind = 'Expedited' | 'Standard' | 'Bulk' | 'Inventory';

/** Per-kind completion delays in milliseconds. */
export type JobDelays = Partial<Record<JobTimingKind, number>>;

/**
 * Delays close to what AWS documents (Expedited 1–5 minutes, Standard 3–5 hours,
 * Bulk 5–12 hours; inventories within hours), for rehearsing a restore's waits.
 */
export const REALISTIC_JOB_DELAYS_MS: Readonly<Record<JobTimingKind, number>> = {
  Expedited: 5 * 60_000,
  Standard: 4 * 3_600_000,
  Bulk: 12 * 3_600_000,
  Inventory: 4 * 3_600_000,
};

/** AWS keeps job output downloadable for at least 24 hours after completion. */
export const DEFAULT_JOB_OUTPUT_TTL_MS = 24 * 3_600_000;

/** The completion delay of a job of `kind` under `delays` (0 when unset: jobs complete at once). */
export function jobDelayMs(kind: JobTimingKind, delays: JobDelays | undefined): number {
  const d = delays?.[kind];
  if (d === undefined) return 0;
  if (!Number.isFinite(d) || d < 0) throw new RangeError(`job delay for ${kind} must be a non-negative number of milliseconds, got ${d}`);
  return d;
}

/** When a job of `kind` initiated at `createdAt` (epoch ms) completes. */
export function jobCompletionTime(createdAt: number, kind: JobTimingKind, delays: JobDelays | undefined): number {
  return createdAt + jobDelayMs(kind, delays);
}
