/**
 * The one place the vault layers are composed: a Glacier client (SDK retries off), our retry
 * policy (vault.maxRetries, logged), one bandwidth limiter shared by every upload of the
 * session (vault.maxBytesPerSecond), and the session's abort signal. CLI commands get a
 * VaultSession whose operations are already bound to the vault, account and policy.
 */
import type { GlacierClient } from '@aws-sdk/client-glacier';
import type { VaultConfig } from '../../config/config-schema.js';
import { MiB } from '../../treehash/tree-hash.js';
import { ByteRateLimiter } from '../byte-rate-limiter.js';
import { createGlacierClient, describeEndpoint, type StaticCredentials } from './glacier-client.js';
import { fetchInventory, initiateInventory, type Inventory } from './inventory.js';
import {
  describeJob,
  downloadJobOutput,
  initiateRetrieval,
  waitForJob,
  type DownloadJobOutputOptions,
  type DownloadResult,
  type JobStatus,
  type RetrievalRange,
  type RetrievalTier,
  type WaitForJobOptions,
} from './retrieve-archive.js';
import { uploadArchive, type UploadArchiveOptions, type UploadResult } from './upload-archive.js';
import {
  abortUpload,
  createVault,
  deleteArchive,
  describeVault,
  listJobs,
  listUploads,
  listVaults,
  type UploadInfo,
  type VaultInfo,
} from './vault-admin.js';
import type { VaultTarget } from './vault-call.js';
import { describeError, type RetryPolicy } from '../with-retry.js';

/** How to reach the vault and report on it. */
export interface OpenVaultOptions {
  /** An http(s) URL overriding vault.endpoint (the lead resolves "local" to the bundled server's URL). */
  endpoint?: string;
  credentials?: StaticCredentials;
  /** One line per notable event (retries, resumes, restarts). Never given credentials. */
  log?: (message: string) => void;
  /** Aborts every operation of the session (Ctrl-C); state stays resumable. */
  signal?: AbortSignal;
  /** Backoff overrides (tests use short waits); `retries` defaults to vault.maxRetries. */
  retry?: Partial<RetryPolicy>;
  /** The bandwidth cap shared by every part in flight; default: one made from vault.maxBytesPerSecond. */
  limiter?: ByteRateLimiter;
}

/** Per-call overrides every session operation accepts. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Upload arguments; part size, concurrency and limiter come from the vault config unless given. */
export type SessionUploadOptions = Omit<UploadArchiveOptions, keyof VaultTarget | 'partSize' | 'concurrency' | 'limiter' | 'log'> &
  CallOptions & { partSize?: number; concurrency?: number };

/**
 * A vault bound to its client, retry policy and limiter. Every operation throws BackupError
 * (VAULT_AUTH, VAULT_NOT_FOUND, VAULT_ITEM_NOT_FOUND, NETWORK, VAULT, UPLOAD_FAILED, CHECKSUM_MISMATCH,
 * ABORTED). close() releases the client's sockets; the session is unusable afterwards.
 */
export interface VaultSession {
  readonly vaultName: string;
  readonly accountId: string;
  /** Where requests go, for messages. */
  readonly endpoint: string;
  readonly client: GlacierClient;
  /** The shared bandwidth limiter, when vault.maxBytesPerSecond is set. */
  readonly limiter: ByteRateLimiter | undefined;
  uploadArchive(o: SessionUploadOptions): Promise<UploadResult>;
  initiateRetrieval(o: { archiveId: string; tier: RetrievalTier; range?: RetrievalRange; archiveSize?: number; description?: string } & CallOptions): Promise<string>;
  describeJob(jobId: string, o?: CallOptions): Promise<JobStatus>;
  waitForJob(jobId: string, o?: WaitForJobOptions & CallOptions): Promise<JobStatus>;
  downloadJobOutput(o: Omit<DownloadJobOutputOptions, keyof VaultTarget | 'log'> & CallOptions): Promise<DownloadResult>;
  initiateInventory(o?: CallOptions): Promise<string>;
  fetchInventory(jobId: string, o?: CallOptions): Promise<Inventory>;
  createVault(o?: CallOptions): Promise<{ location: string }>;
  describeVault(o?: CallOptions): Promise<VaultInfo>;
  listVaults(o?: CallOptions): Promise<VaultInfo[]>;
  listUploads(o?: CallOptions): Promise<UploadInfo[]>;
  abortUpload(uploadId: string, o?: CallOptions): Promise<void>;
  deleteArchive(archiveId: string, o?: CallOptions): Promise<void>;
  listJobs(o?: CallOptions & { completed?: boolean; statusCode?: 'InProgress' | 'Succeeded' | 'Failed' }): Promise<JobStatus[]>;
  close(): void;
}

/** Opens a session on the configured vault. */
export function openVault(vault: VaultConfig, opts: OpenVaultOptions = {}): VaultSession {
  const client = createGlacierClient(vault, { endpoint: opts.endpoint, credentials: opts.credentials });
  const endpoint = describeEndpoint(vault, { endpoint: opts.endpoint });
  const log = opts.log;
  const policy: RetryPolicy = {
    retries: vault.maxRetries,
    ...opts.retry,
    onRetry: (info) => {
      log?.(`${info.operation ?? 'vault request'}: ${describeError(info.error)}; retry ${info.attempt}/${info.retries} in ${info.delayMs} ms`);
      opts.retry?.onRetry?.(info);
    },
  };
  const limiter = opts.limiter ?? (vault.maxBytesPerSecond ? new ByteRateLimiter(vault.maxBytesPerSecond) : undefined);
  const target = (o?: CallOptions): VaultTarget => ({
    client,
    vaultName: vault.name,
    accountId: vault.accountId,
    retries: policy,
    signal: o?.signal ?? opts.signal,
    endpoint,
  });

  return {
    vaultName: vault.name,
    accountId: vault.accountId,
    endpoint,
    client,
    limiter,
    uploadArchive: (o) =>
      uploadArchive({
        ...o,
        ...target(o),
        partSize: o.partSize ?? vault.partSizeMiB * MiB,
        concurrency: o.concurrency ?? vault.concurrency,
        limiter,
        log,
      }),
    initiateRetrieval: (o) => initiateRetrieval({ ...o, ...target(o) }),
    describeJob: (jobId, o) => describeJob({ ...target(o), jobId }),
    waitForJob: (jobId, o = {}) => waitForJob({ ...o, ...target(o), jobId }),
    downloadJobOutput: (o) => downloadJobOutput({ ...o, ...target(o), log }),
    initiateInventory: (o) => initiateInventory({ ...target(o), format: 'JSON' }),
    fetchInventory: (jobId, o) => fetchInventory({ ...target(o), jobId }),
    createVault: (o) => createVault(target(o)),
    describeVault: (o) => describeVault(target(o)),
    listVaults: (o) => listVaults(target(o)),
    listUploads: (o) => listUploads(target(o)),
    abortUpload: (uploadId, o) => abortUpload({ ...target(o), uploadId }),
    deleteArchive: (archiveId, o) => deleteArchive({ ...target(o), archiveId }),
    listJobs: (o = {}) => listJobs({ ...target(o), completed: o.completed, statusCode: o.statusCode }),
    close: () => client.destroy(),
  };
}
