/**
 * Opens the configured vault for a command. For `"endpoint": "local"` it first starts the
 * bundled Glacier-compatible server in-process over stateDir/local-vault on a free loopback
 * port, so the default setup goes through SigV4, tree hashes and multipart exactly as
 * against AWS. Adapts the vault session to the narrow interfaces the backup run
 * (ArchiveSink) and the restore (RetrievalVault) need.
 */
import { join } from 'node:path';
import type { Config } from '../config/load-config.js';
import { BackupError, isBackupError } from '../errors.js';
import { startGlacierLocal, type GlacierLocal } from '../glacier-local/start-glacier-local.js';
import { openVault, type VaultSession } from '../vault/open-vault.js';
import type { ArchiveSink } from '../backup/archive-sink.js';
import type { RetrievalVault } from '../restore/archive-sources.js';

/** An open vault and its adapters. close() stops the embedded server, if one was started. */
export interface ConnectedVault {
  session: VaultSession;
  sink: ArchiveSink;
  retrieval: RetrievalVault;
  /** True when this is the bundled server started in-process. */
  embedded: boolean;
  close(): Promise<void>;
}

/** Connects to the configured vault (starting the embedded one when asked). */
export async function connectVault(config: Config, opts: { signal: AbortSignal; log?: (line: string) => void }): Promise<ConnectedVault> {
  const vault = config.vault;
  if (!vault) throw new BackupError('CONFIG_INVALID', `config ${config.configPath} has no "vault"; add one (see config.example.json) to use Glacier`);
  let server: GlacierLocal | undefined;
  let session: VaultSession;
  if (vault.endpoint === 'local') {
    server = await startGlacierLocal({ dir: join(config.stateDir, 'local-vault'), region: vault.region });
    session = openVault(vault, { endpoint: server.endpoint, credentials: server.credentials, log: opts.log, signal: opts.signal });
    try {
      await session.describeVault();
    } catch (err) {
      if (!isBackupError(err, 'VAULT_NOT_FOUND')) throw err;
      await session.createVault();
    }
  } else {
    session = openVault(vault, { log: opts.log, signal: opts.signal });
  }
  // AWS jobs take hours: poll every minute at first; other endpoints answer in seconds
  const pollMs = vault.endpoint === undefined ? 60_000 : 500;
  const sink: ArchiveSink = {
    async upload(u) {
      const r = await session.uploadArchive({
        path: u.path,
        description: u.description,
        source: u.source,
        expectedBytes: u.expectedBytes,
        journal: u.journal,
        signal: u.signal,
        onProgress: u.onProgress,
      });
      return { archiveId: r.archiveId, treeHash: r.treeHash, size: r.size, requests: r.requests };
    },
    async abortUpload(uploadId) {
      try {
        await session.abortUpload(uploadId);
      } catch (err) {
        if (!isBackupError(err, 'NOT_FOUND')) throw err;
      }
    },
  };
  const retrieval: RetrievalVault = {
    initiateRetrieval: (r) => session.initiateRetrieval({ archiveId: r.archiveId, tier: r.tier, range: r.range, description: r.description }),
    async describeJob(jobId) {
      const j = await session.describeJob(jobId);
      return { statusCode: j.statusCode as 'InProgress' | 'Succeeded' | 'Failed', statusMessage: j.statusMessage };
    },
    async waitForJob(jobId, o) {
      await session.waitForJob(jobId, { signal: o.signal, initialMs: pollMs, maxMs: Math.max(pollMs, 15 * 60_000), onPoll: (j) => o.onPoll?.(j.statusCode) });
    },
    downloadJobOutput: (d) => session.downloadJobOutput({ jobId: d.jobId, outPath: d.outPath, size: d.size, expectedTreeHash: d.expectedTreeHash, signal: d.signal, onProgress: (p) => d.onProgress?.(p.bytesDone) }),
  };
  return {
    session,
    sink,
    retrieval,
    embedded: !!server,
    async close() {
      session.close();
      await server?.close();
    },
  };
}
