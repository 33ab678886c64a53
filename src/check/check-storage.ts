/**
 * The listing part of `backup check`, through the storage seam: a backend that lists at once
 * (S3) is listed now; a vault, whose listings are inventory jobs that take hours, is compared
 * with the newest inventory `backup inventory fetch` stored (none yet: not compared, and the
 * caller says how to get one). A listing that fails is one problem, not the end of the check.
 */
import type { Db } from '../catalog/open-catalog.js';
import { listArchives } from '../catalog/archive-store.js';
import { catalogSnapshotIds, latestListing } from '../catalog/inventory-store.js';
import { BackupError } from '../errors.js';
import type { Backend } from '../storage/backend.js';
import { storedElsewhere } from '../storage/assert-stored-in.js';
import type { CheckProblem } from './chain-problems.js';
import { storageListingProblems, type StorageListing } from './check-storage-listing.js';

/** What the listing check compared: the listing's time, or null when there was none to compare. */
export interface StorageCheck {
  problems: CheckProblem[];
  listedAt: string | null;
}

/** Compares the backend's listing (or the newest stored inventory of a vault) with the catalog. */
export async function checkStorage(db: Db, backend: Backend, set: string): Promise<StorageCheck> {
  const of = backend.info.kind === 'glacier' ? 'vault' : backend.info.kind === 's3' ? 'bucket' : 'storage';
  let listing: StorageListing | undefined;
  if (backend.info.listsAtOnce) {
    try {
      const l = await backend.list();
      if (l.ready) listing = { of, asOf: l.asOf, objects: l.objects.map((o) => ({ archiveId: o.id, description: o.description, size: o.size, ...(o.treeHash ? { treeHash: o.treeHash } : {}) })) };
    } catch (err) {
      if (!(err instanceof BackupError) || err.code === 'ABORTED') throw err;
      return { problems: [{ seq: null, what: `${backend.info.location} cannot be listed: ${err.message}` }], listedAt: null };
    }
  } else {
    const stored = latestListing(db);
    if (stored) listing = { of, ...stored };
  }
  if (!listing) return { problems: [], listedAt: null };
  // archives a vault-to-bucket move has not moved yet (or has) are compared where they are, not here
  const here = listArchives(db).filter((a) => !storedElsewhere(a, backend.info.kind));
  return { problems: storageListingProblems(listing, here, set, catalogSnapshotIds(db)), listedAt: listing.asOf };
}
