/**
 * Opens the configured offsite storage for a command, behind the storage seam (Backend).
 * The one place a backend is composed: the client, our retry policy, the shared bandwidth
 * limiter and the event log (open-vault.ts for a vault). For `"endpoint": "local"` it first
 * starts the bundled server in-process over stateDir/local-vault on a free loopback port,
 * so the default setup goes through SigV4, checksums and multipart exactly as against AWS.
 * Vault-only commands (vault create/describe/list, inventory jobs) also get the session.
 * Each backend's client and the bundled server are imported when that backend is opened:
 * a run with a vault never loads the S3 client, nor a run with a bucket the Glacier one.
 */
import { join } from 'node:path';
import type { VaultConfig } from '../config/config-schema.js';
import type { Config } from '../config/load-config.js';
import { BackupError, isBackupError } from '../errors.js';
import type { GlacierLocal } from '../glacier-local/start-glacier-local.js';
import type { Backend } from '../storage/backend.js';
import { ByteRateLimiter } from '../storage/byte-rate-limiter.js';
import type { VaultSession } from '../storage/glacier/open-vault.js';

/** An open backend; `session` is set for a Glacier vault. close() also stops an embedded server. */
export interface ConnectedBackend {
  backend: Backend;
  session?: VaultSession;
  /** True when this is the bundled server started in-process. */
  embedded: boolean;
  /** The bundled server started in-process, if any (closed by close()). */
  server?: GlacierLocal;
  close(): Promise<void>;
}

/** Connects to the configured backend (starting the embedded server when asked). */
export async function connectBackend(config: Config, opts: { signal: AbortSignal; log?: (line: string) => void }): Promise<ConnectedBackend> {
  if (config.s3) return connectS3(config, config.s3, opts);
  const vault = config.vault;
  if (!vault) throw new BackupError('CONFIG_INVALID', `config ${config.configPath} has no "vault" (or "s3"); add one (see config.example.json) to store archives offsite`);
  return connectVault(config, vault, opts);
}

/**
 * Connects to a vault: the configured one, or the one a migration moves from
 * (`migrate.fromVault`). `server` is an already started bundled server to use for endpoint
 * "local" (a migration whose vault and bucket are both local shares one).
 */
export async function connectVault(config: Config, vault: VaultConfig, opts: { signal: AbortSignal; log?: (line: string) => void; server?: GlacierLocal }): Promise<ConnectedBackend> {
  const [{ openVault }, { glacierBackend }] = await Promise.all([import('../storage/glacier/open-vault.js'), import('../storage/glacier/glacier-backend.js')]);
  let server: GlacierLocal | undefined;
  let session: VaultSession;
  if (vault.endpoint === 'local') {
    server = opts.server ?? (await (await import('../glacier-local/start-glacier-local.js')).startGlacierLocal({ dir: join(config.stateDir, 'local-vault'), region: vault.region }));
    session = openVault(vault, { endpoint: server.endpoint, credentials: server.credentials, log: opts.log, signal: opts.signal, limiter: bandwidthCap(vault) });
    try {
      await session.describeVault();
    } catch (err) {
      if (!isBackupError(err, 'VAULT_NOT_FOUND')) throw err;
      await session.createVault();
    }
  } else {
    session = openVault(vault, { log: opts.log, signal: opts.signal, limiter: bandwidthCap(vault) });
  }
  const owned = opts.server ? undefined : server;
  // AWS jobs take hours: poll every minute at first; other endpoints answer in seconds
  const pollMs = vault.endpoint === undefined ? 60_000 : 500;
  const backend = glacierBackend(session, { pollMs, onClose: async () => owned?.close() });
  return { backend, session, embedded: !!server, close: () => backend.close() };
}

/**
 * Connects both sides of a vault-to-S3 migration: the vault in `migrate.fromVault` and the
 * bucket in `s3`. When both use endpoint "local" they share one bundled server.
 */
export async function connectMigration(config: Config, opts: { signal: AbortSignal; log?: (line: string) => void }): Promise<{ source: ConnectedBackend; target: ConnectedBackend; close(): Promise<void> }> {
  const from = config.migrate?.fromVault;
  if (!from || !config.s3) {
    throw new BackupError('CONFIG_INVALID', `config ${config.configPath} needs "migrate": { "fromVault": { …the vault… } } and "s3" (the bucket) to move a vault to S3; see README "Moving a vault to S3"`);
  }
  const target = await connectS3(config, config.s3, opts);
  try {
    const source = await connectVault(config, from, { ...opts, server: target.server });
    return { source, target, close: async () => { await source.close(); await target.close(); } };
  } catch (err) {
    await target.close();
    throw err;
  }
}

/** Opens the configured bucket; for endpoint "local" the bundled server's S3 side, with the bucket created on first use. */
async function connectS3(config: Config, s3: NonNullable<Config['s3']>, opts: { signal: AbortSignal; log?: (line: string) => void }): Promise<ConnectedBackend> {
  const { createS3Client, openS3 } = await import('../storage/s3/s3-backend.js');
  if (s3.endpoint !== 'local') {
    const backend = openS3(s3, { log: opts.log, signal: opts.signal, limiter: bandwidthCap(s3) });
    return { backend, embedded: false, close: () => backend.close() };
  }
  const [{ startGlacierLocal }, { CreateBucketCommand }] = await Promise.all([import('../glacier-local/start-glacier-local.js'), import('@aws-sdk/client-s3')]);
  const server = await startGlacierLocal({ dir: join(config.stateDir, 'local-vault'), region: s3.region });
  const where = { endpoint: server.endpoint, credentials: server.credentials };
  const admin = createS3Client(s3, where);
  try {
    await admin.send(new CreateBucketCommand({ Bucket: s3.bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      await server.close();
      throw new BackupError('VAULT', `cannot create bucket ${s3.bucket} in the bundled server: ${(err as Error).message}`, { cause: err });
    }
  } finally {
    admin.destroy();
  }
  const backend = openS3(s3, { ...where, log: opts.log, signal: opts.signal, limiter: bandwidthCap(s3), onClose: () => server.close() });
  return { backend, embedded: true, server, close: () => backend.close() };
}

/** One bandwidth limiter for the backend, shared by every part in flight of every upload it makes; none without maxBytesPerSecond. */
function bandwidthCap(c: { maxBytesPerSecond?: number }): ByteRateLimiter | undefined {
  return c.maxBytesPerSecond ? new ByteRateLimiter(c.maxBytesPerSecond) : undefined;
}
