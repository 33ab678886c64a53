/**
 * Opens the configured offsite storage for a command, behind the storage seam (Backend).
 * The one place a backend is composed: the client, our retry policy, the shared bandwidth
 * limiter and the event log (open-vault.ts for a vault). For `"endpoint": "local"` it first
 * starts the bundled server in-process over stateDir/local-vault on a free loopback port,
 * so the default setup goes through SigV4, checksums and multipart exactly as against AWS.
 * Vault-only commands (vault create/describe/list, inventory jobs) also get the session.
 */
import { join } from 'node:path';
import type { Config } from '../config/load-config.js';
import { BackupError, isBackupError } from '../errors.js';
import { startGlacierLocal, type GlacierLocal } from '../glacier-local/start-glacier-local.js';
import type { Backend } from '../storage/backend.js';
import { glacierBackend } from '../storage/glacier/glacier-backend.js';
import { openVault, type VaultSession } from '../storage/glacier/open-vault.js';

/** An open backend; `session` is set for a Glacier vault. close() also stops an embedded server. */
export interface ConnectedBackend {
  backend: Backend;
  session?: VaultSession;
  /** True when this is the bundled server started in-process. */
  embedded: boolean;
  close(): Promise<void>;
}

/** Connects to the configured backend (starting the embedded server when asked). */
export async function connectBackend(config: Config, opts: { signal: AbortSignal; log?: (line: string) => void }): Promise<ConnectedBackend> {
  const vault = config.vault;
  if (!vault) throw new BackupError('CONFIG_INVALID', `config ${config.configPath} has no "vault" (or "s3"); add one (see config.example.json) to store archives offsite`);
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
  const backend = glacierBackend(session, { pollMs, onClose: async () => server?.close() });
  return { backend, session, embedded: !!server, close: () => backend.close() };
}
