/** Vault listings fetched earlier (inventories), and the catalog snapshots this catalog uploaded. */
import type { Db } from './open-catalog.js';
import { storeOfId, type Store } from './archive-store.js';

/** One stored object of a listing, as check and reconciliation read it. */
export interface ListedObject {
  archiveId: string;
  description: string;
  size: number;
  /** Absent when the service keeps none (a bucket without the metadata). */
  treeHash?: string;
}

/** The newest listing stored by `inventory fetch`, if any (listings stored by older versions, in Glacier's inventory form, too). */
export function latestListing(db: Db): { asOf: string; objects: ListedObject[] } | undefined {
  const body = db.prepare('SELECT body FROM inventories ORDER BY inventory_date DESC, id DESC LIMIT 1').pluck().get() as string | undefined;
  if (body === undefined) return undefined;
  const j = JSON.parse(body) as {
    asOf?: string;
    objects?: Array<{ id: string; description: string; size: number; treeHash?: string }>;
    inventoryDate?: string;
    archives?: Array<{ archiveId: string; description: string; size: number; treeHash: string }>;
  };
  if (j.objects && j.asOf) return { asOf: j.asOf, objects: j.objects.map((o) => ({ archiveId: o.id, description: o.description, size: o.size, ...(o.treeHash ? { treeHash: o.treeHash } : {}) })) };
  return { asOf: j.inventoryDate ?? '', objects: (j.archives ?? []).map((a) => ({ archiveId: a.archiveId, description: a.description, size: a.size, treeHash: a.treeHash })) };
}

/** Stores a listing as fetched (`listing` is kept as JSON for latestListing and check). */
export function recordListing(db: Db, l: { token: string; asOf: string; fetchedAt: string; objectCount: number; listing: unknown }): void {
  db.prepare('INSERT INTO inventories (job_id, inventory_date, fetched_at, archive_count, body) VALUES (?, ?, ?, ?, ?)').run(l.token, l.asOf, l.fetchedAt, l.objectCount, JSON.stringify(l.listing));
}

/** Archive IDs of the catalog snapshots this catalog recorded uploading. */
export function catalogSnapshotIds(db: Db): Set<string> {
  return new Set(db.prepare('SELECT archive_id FROM catalog_backups').pluck().all() as string[]);
}

/** A catalog snapshot as recorded; `storageClass` is null for a vault or when not known. */
export interface CatalogSnapshotRecord {
  archiveId: string;
  createdAt: string;
  size: number;
  storageClass: string | null;
}

/** The catalog snapshots recorded, newest first. */
export function listCatalogSnapshots(db: Db): CatalogSnapshotRecord[] {
  return db.prepare('SELECT archive_id AS archiveId, created_at AS createdAt, size, storage_class AS storageClass FROM catalog_backups ORDER BY created_at DESC, id DESC').all() as CatalogSnapshotRecord[];
}

/** Forgets a catalog snapshot (after it was deleted from storage). */
export function forgetCatalogSnapshot(db: Db, archiveId: string): void {
  db.prepare('DELETE FROM catalog_backups WHERE archive_id = ?').run(archiveId);
}

/** Records a catalog snapshot uploaded to `store` (or found in storage: an upload whose record a crash lost; then the id tells the store). */
export function recordCatalogSnapshot(db: Db, s: { archiveId: string; createdAt: string; size: number; treeHash: string; description: string; store?: Store; storageClass?: string | null }): void {
  db.prepare('INSERT INTO catalog_backups (created_at, archive_id, size, tree_hash, description, store, storage_class) VALUES (?, ?, ?, ?, ?, ?, ?)').run(s.createdAt, s.archiveId, s.size, s.treeHash, s.description, s.store ?? storeOfId(s.archiveId), s.storageClass ?? null);
}
