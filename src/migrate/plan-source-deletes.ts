/**
 * Which moved vault archives may be deleted from the vault now. Glacier bills an archive
 * deleted before its minimum storage duration (90 days from its upload) for the rest of
 * those days, so such archives are kept unless the user allows early deletion. Pure.
 */
import type { MovedArchive } from '../catalog/moved-store.js';

const DAY_MS = 86_400_000;

/** The split of moved archives into those to delete now and those kept until `freeFrom`. */
export interface SourceDeletePlan {
  delete: MovedArchive[];
  keep: Array<{ archive: MovedArchive; freeFrom: Date }>;
}

/** Plans the deletion of moved vault archives at `now`. */
export function planSourceDeletes(moved: readonly MovedArchive[], o: { now: Date; minimumStorageDays: number; allowEarlyDelete: boolean }): SourceDeletePlan {
  const plan: SourceDeletePlan = { delete: [], keep: [] };
  for (const m of moved) {
    const freeFrom = new Date(new Date(m.storedAt).getTime() + o.minimumStorageDays * DAY_MS);
    if (o.allowEarlyDelete || freeFrom.getTime() <= o.now.getTime()) plan.delete.push(m);
    else plan.keep.push({ archive: m, freeFrom });
  }
  return plan;
}
