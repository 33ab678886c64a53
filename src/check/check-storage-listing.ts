/**
 * The storage part of `backup check` that needs no retrieval: a listing of the vault or
 * bucket (a bucket's is taken now; a vault's is the newest inventory `backup inventory fetch`
 * stored) against the catalog's archives. Missing, size or checksum (tree hash) mismatch are
 * problems; objects of this set that the catalog does not know (orphans, a second catalog's
 * chain) and objects backup did not store (foreign) are problems too; archives uploaded after
 * the listing was taken are not, nor are other sets' archives sharing the vault or bucket. Pure.
 */
import { reconcileInventory } from '../storage/glacier/inventory.js';
import type { ListedObject } from '../catalog/inventory-store.js';
import type { CheckProblem } from './chain-problems.js';

/** The fields of a catalog archive this check reads. */
export interface ListedArchive {
  seq: number;
  archiveId: string | null;
  uploadState: string;
  size: number;
  treeHash: string;
  uploadedAt: string | null;
}

/** A listing and what it lists: 'vault' or 'bucket' (for the messages). */
export interface StorageListing {
  asOf: string;
  objects: readonly ListedObject[];
  of: 'vault' | 'bucket' | 'storage';
}

/** Problems between the listing and the catalog. */
export function storageListingProblems(listing: StorageListing, archives: readonly ListedArchive[], set: string, catalogSnapshots: ReadonlySet<string>): CheckProblem[] {
  const uploaded = archives.filter((a) => a.archiveId && a.uploadState === 'uploaded').map((a) => ({ seq: a.seq, archiveId: a.archiveId!, size: a.size, treeHash: a.treeHash, uploadedAt: a.uploadedAt }));
  const byId = new Map(uploaded.map((a) => [a.archiveId, a]));
  // an object listed without a tree hash (a bucket whose metadata has none) is compared by size alone
  const objects = listing.objects.map((o) => ({ ...o, creationDate: listing.asOf, treeHash: o.treeHash ?? byId.get(o.archiveId)?.treeHash ?? '' }));
  const rec = reconcileInventory(objects, uploaded, { inventoryDate: listing.asOf, catalogSnapshots });
  const when = `the ${listing.of} listing of ${listing.asOf}`;
  const problems: CheckProblem[] = [
    ...rec.missingFromVault.map((m) => ({ seq: m.seq, what: `missing from ${when} (archive ID ${m.archiveId})` })),
    ...rec.mismatched.map((m) => ({ seq: m.seq, what: `differs in ${when}: ${m.vault.size} bytes, tree hash ${m.vault.treeHash}; the catalog has ${m.catalog.size} bytes, ${m.catalog.treeHash}` })),
  ];
  for (const u of rec.unknownInVault) {
    if (!u.decoded) {
      problems.push({ seq: null, what: `in ${when} but not stored by backup: ${u.archiveId} (${u.size} bytes, description ${JSON.stringify(u.description.slice(0, 80))}); keep other data out of the ${listing.of} backup uses, or delete it` });
      continue;
    }
    if (u.decoded.set !== set) continue;
    problems.push({ seq: u.decoded.kind === 'data' ? u.decoded.seq : null, what: `in ${when} but unknown to the catalog: ${u.decoded.kind} archive ${u.decoded.fileName} (archive ID ${u.archiveId}); "backup inventory fetch" adopts, deletes or lists it` });
  }
  return problems;
}
