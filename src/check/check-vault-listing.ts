/**
 * The vault part of `backup check` that needs no retrieval: the newest vault listing the
 * catalog holds (a listing or inventory fetched with `backup inventory fetch`) against the catalog's
 * archives. Missing, size or tree-hash mismatch are problems; archives of this set in the
 * vault that the catalog does not know (orphans, a second catalog's chain) are problems too;
 * archives uploaded after the listing was taken are not. Pure.
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

/** Problems between the listing and the catalog. */
export function vaultListingProblems(listing: { asOf: string; objects: readonly ListedObject[] }, archives: readonly ListedArchive[], set: string, catalogSnapshots: ReadonlySet<string>): CheckProblem[] {
  const uploaded = archives.filter((a) => a.archiveId && a.uploadState === 'uploaded').map((a) => ({ seq: a.seq, archiveId: a.archiveId!, size: a.size, treeHash: a.treeHash, uploadedAt: a.uploadedAt }));
  const byId = new Map(uploaded.map((a) => [a.archiveId, a]));
  // a listing without tree hashes (a bucket) is compared by size alone
  const objects = listing.objects.map((o) => ({ ...o, creationDate: listing.asOf, treeHash: o.treeHash ?? byId.get(o.archiveId)?.treeHash ?? '' }));
  const rec = reconcileInventory(objects, uploaded, { inventoryDate: listing.asOf, catalogSnapshots });
  const when = `the vault listing of ${listing.asOf}`;
  const problems: CheckProblem[] = [
    ...rec.missingFromVault.map((m) => ({ seq: m.seq, what: `missing from ${when} (archive ID ${m.archiveId})` })),
    ...rec.mismatched.map((m) => ({ seq: m.seq, what: `differs in ${when}: ${m.vault.size} bytes, tree hash ${m.vault.treeHash}; the catalog has ${m.catalog.size} bytes, ${m.catalog.treeHash}` })),
  ];
  for (const u of rec.unknownInVault) {
    if (u.decoded?.set !== set) continue;
    problems.push({ seq: u.decoded.kind === 'data' ? u.decoded.seq : null, what: `in ${when} but unknown to the catalog: ${u.decoded.kind} archive ${u.decoded.fileName} (archive ID ${u.archiveId}); "backup inventory fetch" lists it` });
  }
  return problems;
}
