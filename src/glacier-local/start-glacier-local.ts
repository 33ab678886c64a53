/**
 * Starts the local AWS server ("glacier-local") over a data directory: the embedded
 * default vault, the test bed, and a rehearsal target for restores. One listener
 * speaks both the Glacier vault API and the S3 subset the tool uses (path-style); a
 * request goes to the protocol its SigV4 credential scope names (`glacier` or `s3`),
 * and unsigned ones by their path. Clients (the AWS SDKs, AWS CLI, boto3) talk to it
 * unchanged through `endpoint`.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { access, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError, fromSystemError } from '../errors.js';
import { ArchiveFiles } from './archive-files.js';
import { FaultInjector } from '../local-server/fault-injector.js';
import type { FaultRule } from '../local-server/fault-injector.js';
import { GlacierStore } from './glacier-store.js';
import { handleGlacierRequest } from './glacier-server.js';
import type { ServerParts } from './glacier-server.js';
import { DEFAULT_JOB_OUTPUT_TTL_MS, jobDelayMs } from './job-timing.js';
import type { JobTimingKind } from './job-timing.js';
import { ServerStats } from '../local-server/server-stats.js';
import type { IncomingMessage } from 'node:http';
import { ObjectFiles } from '../s3-local/object-files.js';
import { S3Store } from '../s3-local/s3-store.js';
import { handleS3Request } from '../s3-local/s3-server.js';
import type { S3ServerParts } from '../s3-local/s3-server.js';
import { restoreDelayMs } from '../s3-local/restore-timing.js';
import type { RestoreDelays } from '../s3-local/restore-timing.js';

export type { FaultRule, FaultKind } from '../local-server/fault-injector.js';
export { jobDelayMs, jobCompletionTime, REALISTIC_JOB_DELAYS_MS, DEFAULT_JOB_OUTPUT_TTL_MS } from './job-timing.js';
export type { JobTimingKind, JobDelays } from './job-timing.js';
export { REALISTIC_RESTORE_DELAYS_MS, restoreDelayMs, restoreExpiry } from '../s3-local/restore-timing.js';
export type { RestoreDelays, RestoreTier, ColdStorageClass } from '../s3-local/restore-timing.js';

/** S3's minimum size of every multipart part but the last: 5 MiB. */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;

/** Options of one server instance. */
export interface GlacierLocalOptions {
  /** Data directory (archives as files + metadata.db); created if missing. */
  dir: string;
  /** Interface to listen on; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; default 0 = a free port. */
  port?: number;
  /** The only key pair accepted; default LOCAL_CREDENTIALS. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** 12-digit account ID that '-' in paths maps to; default '000000000000'. */
  accountId?: string;
  /** Region checked in the SigV4 credential scope and used in ARNs; default 'us-east-1'. */
  region?: string;
  /** Completion delay per tier (and 'Inventory'); unset kinds complete at once. See REALISTIC_JOB_DELAYS_MS. */
  jobDelaysMs?: Partial<Record<JobTimingKind, number>>;
  /** How long job output stays available after completion; default 24 h. */
  jobOutputTtlMs?: number;
  /** The inventory reflects archives as of the last refresh, every this many ms after vault creation; default 0 = always current. */
  inventoryRefreshMs?: number;
  /** Fault injection rules; change them at runtime with setFaults(). */
  faults?: FaultRule[];
  /** A repeated CompleteMultipartUpload returns the same archive ID (Glacier) or object (S3) within this window; default 24 h. */
  multipartCompleteIdempotencyMs?: number;
  /** S3: restore delay per cold storage class and tier; unset ones complete at once. See REALISTIC_RESTORE_DELAYS_MS. */
  restoreDelaysMs?: RestoreDelays;
  /** S3: the smallest part CompleteMultipartUpload accepts before the last; default 5 MiB as in S3 (tests may lower it). */
  s3MinPartSize?: number;
  /**
   * The server's clock (epoch ms) for everything both sides record and time (vault,
   * archive, upload and job times, job completion and output expiry, inventory
   * refreshes, S3 object times and restores), so tests move time forward instead of
   * sleeping; default Date.now. Signatures are always checked against the real clock.
   */
  clock?: () => number;
}

/**
 * A running server. close() stops listening, drops open connections, waits for
 * requests in progress and closes the metadata database; it is safe to call twice.
 * State (archives, open multipart uploads, jobs) persists in `dir` across restarts.
 */
export interface GlacierLocal {
  /** Base URL for clients, e.g. http://127.0.0.1:54321. */
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /** The account ID '-' stands for. */
  accountId: string;
  /** Replaces the fault rules; occurrence counting restarts. Throws RangeError on an invalid rule. */
  setFaults(rules: FaultRule[]): void;
  /** Request counts per operation plus body bytes received/sent (see ServerStats.snapshot). */
  stats(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * The key pair a local server accepts by default. It is public: the server listens
 * on loopback, and these exist only so clients sign requests exactly as for AWS.
 */
export const LOCAL_CREDENTIALS: { accessKeyId: string; secretAccessKey: string } = Object.freeze({
  accessKeyId: 'AKIAGLACIERLOCAL0000',
  secretAccessKey: 'GlacierLocalSecretKey/NotSecret/Loopback',
});

/** Starts a server over `opts.dir` and resolves once it listens. */
export async function startGlacierLocal(opts: GlacierLocalOptions): Promise<GlacierLocal> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const accountId = opts.accountId ?? '000000000000';
  const region = opts.region ?? 'us-east-1';
  const credentials = { ...(opts.credentials ?? LOCAL_CREDENTIALS) };
  checkOptions(opts, port, accountId, region, credentials);

  try {
    await mkdir(opts.dir, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, `creating the glacier-local data directory ${opts.dir}`);
  }
  const files = new ArchiveFiles(opts.dir);
  const objectFiles = new ObjectFiles(opts.dir);
  let store: GlacierStore;
  let s3Store: S3Store;
  try {
    await files.init();
    await objectFiles.init();
    store = new GlacierStore(join(opts.dir, 'metadata.db'));
    try {
      s3Store = new S3Store(join(opts.dir, 's3.db'));
    } catch (err) {
      store.close();
      throw err;
    }
  } catch (err) {
    throw fromSystemError(err, `opening the glacier-local data directory ${opts.dir}`);
  }

  const shutdown = new AbortController();
  const stats = new ServerStats();
  const faults = new FaultInjector(opts.faults ?? []);
  const clock = opts.clock ?? Date.now;
  const parts: ServerParts = {
    store,
    files,
    faults,
    stats,
    credentials,
    shutdown: shutdown.signal,
    clock,
    config: {
      region,
      accountId,
      jobDelaysMs: { ...opts.jobDelaysMs },
      jobOutputTtlMs: opts.jobOutputTtlMs ?? DEFAULT_JOB_OUTPUT_TTL_MS,
      inventoryRefreshMs: opts.inventoryRefreshMs ?? 0,
      multipartCompleteIdempotencyMs: opts.multipartCompleteIdempotencyMs ?? 24 * 3_600_000,
    },
  };

  const s3Parts: S3ServerParts = {
    store: s3Store,
    files: objectFiles,
    faults,
    stats,
    credentials,
    shutdown: shutdown.signal,
    clock,
    config: {
      region,
      restoreDelaysMs: structuredClone(opts.restoreDelaysMs ?? {}),
      minPartSize: opts.s3MinPartSize ?? S3_MIN_PART_SIZE,
      completeIdempotencyMs: opts.multipartCompleteIdempotencyMs ?? 24 * 3_600_000,
    },
  };

  const inflight = new Set<Promise<void>>();
  let server: Server;
  try {
    await recover(store, files, clock());
    await objectFiles.sweep(new Map([...s3Store.liveDataIds(), ...s3Store.openUploadFiles()]));
    server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, (req, res) => {
      const handled = isS3Request(req) ? handleS3Request(s3Parts, req, res) : handleGlacierRequest(parts, req, res);
      const p = handled.finally(() => inflight.delete(p));
      inflight.add(p);
    });
    await listen(server, port, host);
  } catch (err) {
    store.close();
    s3Store.close();
    throw err;
  }

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    credentials,
    region,
    accountId,
    setFaults: (rules) => faults.set(rules),
    stats: () => stats.snapshot(),
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.allSettled([...inflight]);
        await closed;
        store.close();
        s3Store.close();
      })();
      return closing;
    },
  };
}

/**
 * True when a request is for the S3 side: its SigV4 credential scope names `s3`; an
 * unsigned request, when it carries no x-amz-glacier-version and its path is not a
 * Glacier account path (`/-/…` or `/<12 digits>/vaults…`).
 */
export function isS3Request(req: IncomingMessage): boolean {
  const auth = req.headers.authorization;
  const scope = typeof auth === 'string' ? /Credential=[^/,\s]*\/[^/,\s]*\/[^/,\s]*\/([^/,\s]*)\//.exec(auth) : null;
  if (scope) return scope[1] === 's3';
  if (req.headers['x-amz-glacier-version'] !== undefined) return false;
  return !/^\/(-|\d{12})\/(vaults|policies|provisioned-capacity)(\/|\?|$)/.test(req.url ?? '/');
}

/** Finishes what a crash interrupted: a completed upload whose directory was not yet renamed; then removes orphaned files. */
async function recover(store: GlacierStore, files: ArchiveFiles, now: number): Promise<void> {
  store.settleJobs(now);
  for (const job of store.expireJobs(now)) {
    if (job.action === 'InventoryRetrieval') await files.removeJobOutput(job.jobId);
  }
  for (const archiveId of store.takePurgeableArchives()) await files.removeArchive(archiveId);
  for (const { archiveId, uploadId } of store.multipartArchiveLocations()) {
    if (!(await exists(files.archiveDir(archiveId))) && (await exists(files.uploadDir(uploadId)))) {
      await rename(files.uploadDir(uploadId), files.archiveDir(archiveId));
    }
  }
  await files.sweep({ archives: store.liveArchiveIds(), uploads: store.openUploadIds(), inventoryJobs: store.inventoryJobIds() });
}

function checkOptions(
  opts: GlacierLocalOptions,
  port: number,
  accountId: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): void {
  if (!opts.dir) throw new BackupError('USAGE', 'glacier-local needs a data directory (dir)');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BackupError('USAGE', `invalid port ${port}; use 0 (any free port) to 65535`);
  if (!/^\d{12}$/.test(accountId)) throw new BackupError('USAGE', `invalid account ID ${JSON.stringify(accountId)}; use 12 digits`);
  if (!/^[a-z0-9-]+$/.test(region)) throw new BackupError('USAGE', `invalid region ${JSON.stringify(region)}; use a region name such as us-east-1`);
  if (!credentials.accessKeyId || !credentials.secretAccessKey) throw new BackupError('USAGE', 'glacier-local credentials need an accessKeyId and a secretAccessKey');
  for (const kind of ['Expedited', 'Standard', 'Bulk', 'Inventory'] as const) {
    try {
      jobDelayMs(kind, opts.jobDelaysMs);
    } catch (err) {
      throw new BackupError('USAGE', (err as Error).message);
    }
  }
  for (const [name, value] of [
    ['jobOutputTtlMs', opts.jobOutputTtlMs],
    ['inventoryRefreshMs', opts.inventoryRefreshMs],
    ['multipartCompleteIdempotencyMs', opts.multipartCompleteIdempotencyMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new BackupError('USAGE', `${name} must be a non-negative number of milliseconds, got ${value}`);
  }
  for (const storageClass of ['GLACIER', 'DEEP_ARCHIVE'] as const) {
    for (const tier of ['Expedited', 'Standard', 'Bulk'] as const) {
      try {
        restoreDelayMs(storageClass, tier, opts.restoreDelaysMs);
      } catch (err) {
        throw new BackupError('USAGE', (err as Error).message);
      }
    }
  }
  if (opts.s3MinPartSize !== undefined && !(Number.isInteger(opts.s3MinPartSize) && opts.s3MinPartSize >= 0)) {
    throw new BackupError('USAGE', `s3MinPartSize must be a non-negative number of bytes, got ${opts.s3MinPartSize}`);
  }
  try {
    new FaultInjector(opts.faults ?? []);
  } catch (err) {
    throw new BackupError('USAGE', (err as Error).message);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new BackupError('USAGE', `port ${port} on ${host} is already in use; choose another port (0 picks a free one)`, { cause: err }));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new BackupError('USAGE', `cannot listen on host ${host}; use a local address such as 127.0.0.1`, { cause: err }));
      else reject(fromSystemError(err, `listening on ${host}:${port}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
