/**
 * Rebuilds a lost catalog from a listing of the backend (a vault inventory, a bucket
 * listing): retrieves the newest catalog snapshot (kind "catalog") and restores the catalog
 * from it, then adds any data archive the listing holds that the snapshot does not know;
 * without a snapshot, rebuilds the
 * archive list from the self-describing archive descriptions alone (members unknown:
 * restores of those archives read them whole, in chain order).
 */
import { existsSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Db } from '../catalog/open-catalog.js';
import { catalogPath, openCatalog } from '../catalog/open-catalog.js';
import { commitArchive, listArchives, storeOfId, updateArchive, type ArchiveRecord } from '../catalog/archive-store.js';
import { expireAllJobs } from '../catalog/job-store.js';
import { clearSnapshot } from '../catalog/snapshot-store.js';
import { BackupError } from '../errors.js';
import type { DecodedDescription } from '../storage/archive-description.js';
import type { Backend, StoredObject } from '../storage/backend.js';
import { prepareSources, type Tier } from '../restore/archive-sources.js';
import { decryptWhole, type IdentitySource } from '../restore/decrypting-source.js';

/** What a rebuild did. */
export interface RebuildResult {
  from: 'catalog-snapshot' | 'descriptions';
  snapshotArchiveId?: string;
  archives: number;
  addedFromDescriptions: number;
}

interface Described {
  archiveId: string;
  size: number;
  treeHash: string | undefined;
  d: DecodedDescription;
  storageClass?: string;
}

/**
 * Rebuilds the catalog at stateDir/catalog.db. `db` is the (empty) catalog open now; it is
 * closed and replaced when a snapshot is restored, so the caller must reopen it: the new
 * handle is returned.
 */
export async function rebuildCatalog(
  deps: { db: Db; stateDir: string; set: string; backend: () => Promise<Backend>; signal: AbortSignal; log: (line: string) => void; identity?: IdentitySource },
  listing: { asOf: string; objects: StoredObject[] },
  opts: { tier: Tier; wait: boolean },
): Promise<{ db: Db; result: RebuildResult }> {
  const described: Described[] = listing.objects
    .map((o) => ({ archiveId: o.id, size: o.size, treeHash: o.treeHash ?? o.meta?.treeHash, d: o.meta, ...(o.storageClass ? { storageClass: o.storageClass } : {}) }))
    .filter((a): a is Described => a.d !== null && a.d.set === deps.set);
  const snapshots = described.filter((a) => a.d.kind === 'catalog').sort((a, b) => b.d.createdAt.getTime() - a.d.createdAt.getTime());
  const data = described.filter((a) => a.d.kind === 'data');
  deps.log(`listing of ${listing.asOf}: ${listing.objects.length} objects, ${data.length} data archives and ${snapshots.length} catalog snapshots of set ${deps.set}`);
  if (data.length === 0 && snapshots.length === 0) {
    throw new BackupError('NOT_FOUND', `the listing of ${listing.asOf} holds no archives of set "${deps.set}"; check "set" in the config (a vault's inventory is updated about daily: request a newer one if the archives are recent)`);
  }

  let db = deps.db;
  let result: RebuildResult;
  const snap = snapshots[0];
  if (snap) {
    const pseudo: ArchiveRecord = {
      seq: 0, level: 0, parentSeq: null, chainSeq: 0, createdAt: snap.d.createdAt.toISOString(), fileName: snap.d.fileName, size: snap.size,
      rawSize: 0, treeHash: snap.treeHash ?? '', blockSize: 0, fileCount: 0, stagedPath: null, localPath: null, uploadState: 'uploaded',
      archiveId: snap.archiveId, description: null, uploadedAt: null, uploadRequests: null, deletedAt: null, runId: null, chainId: null, store: storeOfId(snap.archiveId), storageClass: null,
    };
    deps.log(`restoring the catalog from snapshot ${snap.d.fileName} (${snap.d.createdAt.toISOString()})`);
    const prepared = await prepareSources({ db, stateDir: deps.stateDir, backend: deps.backend, signal: deps.signal, log: deps.log }, [{ archive: pseudo, ranges: null }], opts);
    const source = prepared.sources.get(0)!;
    const path = catalogPath(deps.stateDir);
    const restored = `${path}.restored`;
    // an encrypted snapshot (….db.gz.age) needs the identity; it is authenticated chunk by chunk as it is read
    const stored = source.read({ start: 0, end: snap.size - 1 });
    const gz = snap.d.fileName.endsWith('.age') ? decryptWhole(stored, { fileName: snap.d.fileName }, deps.identity) : stored;
    await pipeline(gz, createGunzip(), createWriteStream(restored));
    db.close();
    for (const suffix of ['-wal', '-shm']) await rm(path + suffix, { force: true });
    await rename(restored, path);
    db = openCatalog(path);
    // the old machine's local copies and staging files are gone (or elsewhere now)
    for (const a of listArchives(db)) {
      if (a.localPath && !existsSync(a.localPath)) updateArchive(db, a.seq, { localPath: null });
      if (a.stagedPath && !existsSync(a.stagedPath)) updateArchive(db, a.seq, { stagedPath: null });
      // the listing knows the class of each object (its price and minimum storage duration)
      const cls = a.storageClass === null ? described.find((x) => x.archiveId === a.archiveId)?.storageClass : undefined;
      if (cls) updateArchive(db, a.seq, { storageClass: cls });
    }
    expireAllJobs(db);
    result = { from: 'catalog-snapshot', snapshotArchiveId: snap.archiveId, archives: 0, addedFromDescriptions: 0 };
  } else {
    deps.log('no catalog snapshot in the listing: rebuilding the archive list from the archive descriptions');
    result = { from: 'descriptions', archives: 0, addedFromDescriptions: 0 };
  }

  const existing = listArchives(db);
  const known = new Set(existing.map((a) => a.archiveId));
  const knownSeqs = new Set(existing.map((a) => a.seq));
  const chainOf = new Map(existing.map((a) => [a.seq, a.chainSeq]));
  for (const a of [...data].sort((x, y) => x.d.seq - y.d.seq)) {
    if (known.has(a.archiveId) || knownSeqs.has(a.d.seq)) continue;
    const chainSeq = a.d.parentSeq === null ? a.d.seq : (chainOf.get(a.d.parentSeq) ?? a.d.parentSeq);
    chainOf.set(a.d.seq, chainSeq);
    commitArchive(db, {
      record: {
        seq: a.d.seq, level: a.d.level, parentSeq: a.d.parentSeq, chainSeq, createdAt: a.d.createdAt.toISOString(), fileName: a.d.fileName,
        size: a.size, rawSize: 0, treeHash: a.treeHash ?? '', blockSize: 0,
        // -1: members unknown; restores read such archives whole, in chain order
        fileCount: -1,
        stagedPath: null, localPath: null, uploadState: 'uploaded', archiveId: a.archiveId, description: null, runId: null, chainId: a.d.chainId ?? null,
      },
      members: [], blocks: [], deleted: [],
    });
    updateArchive(db, a.d.seq, { uploadedAt: listing.asOf, storageClass: a.storageClass ?? null });
    knownSeqs.add(a.d.seq);
    result.addedFromDescriptions++;
  }
  if (result.addedFromDescriptions > 0 && result.from === 'catalog-snapshot') {
    // the snapshot's change-detection state is older than these archives: the next run must be full
    clearSnapshot(db);
  }
  result.archives = listArchives(db).length;
  return { db, result };
}
