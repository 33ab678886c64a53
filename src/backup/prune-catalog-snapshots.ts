/**
 * Catalog snapshots pile up, one per run; only the newest few are worth keeping (a rebuild
 * uses the newest). This deletes the older ones from storage, then forgets them. Idempotent:
 * a crash between the two leaves a row whose object is gone, and the next prune's delete
 * (idempotent, see Backend.delete) finds nothing and forgets it.
 */
import type { Db } from '../catalog/open-catalog.js';
import { forgetCatalogSnapshot, listCatalogSnapshots } from '../catalog/inventory-store.js';
import type { Backend } from '../storage/backend.js';

/** Snapshots kept when vault.keepCatalogSnapshots is not set: a few, in case the newest is damaged. */
export const DEFAULT_KEEP_CATALOG_SNAPSHOTS = 3;

/** Deletes all but the newest `keep` catalog snapshots; returns how many were deleted. */
export async function pruneCatalogSnapshots(db: Db, backend: Pick<Backend, 'delete'>, keep: number): Promise<number> {
  const old = listCatalogSnapshots(db).slice(keep);
  for (const s of old) {
    await backend.delete(s.archiveId);
    forgetCatalogSnapshot(db, s.archiveId);
  }
  return old.length;
}
