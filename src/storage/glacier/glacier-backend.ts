/**
 * The Glacier vault behind the storage seam. An object id is the Glacier archive id; the
 * object's self-description is the archive description (archive-description.ts); a part
 * receipt is the part's tree hash. Warm-ups are archive-retrieval jobs (per MiB-aligned byte
 * range when asked), listings are inventory-retrieval jobs: both tokens are Glacier job ids.
 * Retry, bandwidth cap and logging come from the VaultSession (open-vault.ts).
 */
import { BackupError, isBackupError } from '../../errors.js';
import { decodeDescription, encodeDescription } from '../archive-description.js';
import type { Backend, BackendInfo, Listing } from '../backend.js';
import type { VaultSession } from './open-vault.js';

/** Adapts an open vault session; `pollMs` is the first poll interval while waiting for jobs. */
export function glacierBackend(session: VaultSession, opts: { pollMs: number; onClose?: () => Promise<void> }): Backend {
  const info: BackendInfo = {
    kind: 'glacier',
    location: `vault ${session.vaultName} (${session.endpoint})`,
    minimumStorageDays: 90,
    rangedWarmUp: true,
    listsAtOnce: false,
  };
  return {
    info,
    async put(p) {
      const r = await session.uploadArchive({
        path: p.path,
        description: encodeDescription(p.meta),
        source: p.source,
        expectedBytes: p.expectedBytes,
        journal: p.journal,
        signal: p.signal,
        onProgress: p.onProgress,
      });
      return { id: r.archiveId, treeHash: r.treeHash, size: r.size, requests: r.requests, partsSent: r.partsSent };
    },
    async abortUpload(uploadId) {
      try {
        await session.abortUpload(uploadId);
      } catch (err) {
        if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
      }
    },
    async listUploads() {
      return (await session.listUploads()).map((u) => ({ uploadId: u.uploadId, createdAt: u.creationDate, label: u.archiveDescription }));
    },
    async list(o = {}): Promise<Listing> {
      if (!o.token) return { ready: false, token: await session.initiateInventory() };
      const j = await session.describeJob(o.token);
      if (j.statusCode === 'Failed') throw new BackupError('VAULT', `inventory job ${o.token} failed: ${j.statusMessage ?? 'no reason given'}; request a new one`);
      if (j.statusCode !== 'Succeeded') return { ready: false, token: o.token };
      const inv = await session.fetchInventory(o.token);
      return {
        ready: true,
        asOf: inv.inventoryDate,
        objects: inv.archives.map((a) => ({
          id: a.archiveId,
          size: a.size,
          treeHash: a.treeHash,
          meta: decodeDescription(a.description),
          description: a.description,
          storedAt: new Date(a.creationDate),
        })),
      };
    },
    warmUp: async (w) => ({ token: await session.initiateRetrieval({ archiveId: w.id, tier: w.tier, range: w.range, description: 'backup restore' }), ready: false }),
    async warmState(token) {
      const j = await session.describeJob(token);
      const state = j.statusCode === 'Succeeded' ? 'ready' : j.statusCode === 'Failed' ? 'failed' : 'pending';
      return j.statusMessage ? { state, message: j.statusMessage } : { state };
    },
    async waitWarm(token, o) {
      await session.waitForJob(token, { signal: o.signal, initialMs: opts.pollMs, maxMs: Math.max(opts.pollMs, 15 * 60_000), onPoll: (j) => o.onPoll?.(j.statusCode) });
    },
    read: (r) =>
      session.downloadJobOutput({ jobId: r.token, outPath: r.outPath, size: r.size, expectedTreeHash: r.expectedTreeHash, signal: r.signal, onProgress: (p) => r.onProgress?.(p.bytesDone) }),
    async delete(id) {
      try {
        await session.deleteArchive(id);
      } catch (err) {
        if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
      }
    },
    async close() {
      session.close();
      await opts.onClose?.();
    },
  };
}
