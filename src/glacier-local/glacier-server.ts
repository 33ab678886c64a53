/**
 * The HTTP request pipeline of the Glacier-compatible server: route → fault
 * injection → SigV4 → x-amz-glacier-version → job/expiry upkeep → operation handler,
 * with every failure answered as Glacier answers it (JSON body, status,
 * x-amzn-RequestId).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchiveFiles } from './archive-files.js';
import type { FaultInjector } from '../local-server/fault-injector.js';
import type { GlacierStore } from './glacier-store.js';
import type { OperationContext, ServerConfig } from './operation-context.js';
import type { ServerStats } from '../local-server/server-stats.js';
import type { Credentials } from '../local-server/verify-sigv4.js';
import { fromSigV4Error, GlacierError, invalidParameter, missingParameter } from './glacier-error.js';
import { newRequestId } from './glacier-ids.js';
import { readSmallBody } from './receive-body.js';
import { ConnectionResetByFault, drainBody, sendStream } from '../local-server/http-bodies.js';
import { routeRequest, STREAMING_OPERATIONS } from './route-request.js';
import type { GlacierOperation, Route } from './route-request.js';
import { headerMap, sha256Hex, SigV4Error, verifySigV4 } from '../local-server/verify-sigv4.js';
import { createVault, deleteVault, describeVault, listVaults } from './vault-operations.js';
import { deleteArchive, uploadArchive } from './archive-operations.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadMultipartPart,
} from './multipart-operations.js';
import { describeJob, getJobOutput, initiateJob, listJobs } from './job-operations.js';

/** The only x-amz-glacier-version there is. */
export const GLACIER_API_VERSION = '2012-06-01';
/** Largest body accepted by operations whose body is not archive data. */
const MAX_SMALL_BODY = 1024 * 1024;

// operations with nothing to wait for answer synchronously
const handlers: Record<GlacierOperation, (ctx: OperationContext) => void | Promise<void>> = {
  CreateVault: createVault,
  DescribeVault: describeVault,
  ListVaults: listVaults,
  DeleteVault: deleteVault,
  UploadArchive: uploadArchive,
  DeleteArchive: deleteArchive,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadMultipartPart: uploadMultipartPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListMultipartUploads: listMultipartUploads,
  ListParts: listParts,
  InitiateJob: initiateJob,
  DescribeJob: describeJob,
  ListJobs: listJobs,
  GetJobOutput: getJobOutput,
};

/** Everything the pipeline needs; owned by startGlacierLocal. */
export interface ServerParts {
  store: GlacierStore;
  files: ArchiveFiles;
  faults: FaultInjector;
  stats: ServerStats;
  config: ServerConfig;
  credentials: Credentials;
  /** The server's clock (epoch ms) for everything it records and times; signatures are checked against the real clock. */
  clock: () => number;
  /** Fires when the server closes: pending fault delays end and their connections are dropped. */
  shutdown: AbortSignal;
}

/** Serves one request. Never rejects: failures become Glacier error responses or dropped connections. */
export async function handleGlacierRequest(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { stats, faults, config } = parts;
  const now = parts.clock();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const query = new URLSearchParams(rawQuery);
  res.setHeader('x-amzn-RequestId', newRequestId());

  let operation = 'Unknown';
  let dropResponse = false;
  const reply = (status: number, headers: Record<string, string>, body?: string | Buffer): void => {
    if (dropResponse) {
      req.socket.destroy();
      return;
    }
    const data = body === undefined ? undefined : Buffer.from(body);
    const all: Record<string, string> = { ...headers };
    if (status !== 204) all['Content-Length'] = String(data?.length ?? 0);
    res.writeHead(status, all);
    res.end(data);
    if (data) stats.sent(operation, data.length);
  };

  try {
    let route: Route | undefined;
    try {
      route = routeRequest(req.method ?? 'GET', rawPath, query);
    } finally {
      operation = route?.operation ?? 'Unknown';
      stats.request(operation);
    }
    const streaming = route !== undefined && STREAMING_OPERATIONS.has(operation);

    let resetAfterRequestBytes: number | undefined;
    let resetMidResponse = false;
    const fault = faults.next(operation);
    if (fault) {
      stats.fault(operation, fault.kind);
      switch (fault.kind) {
        case 'delay':
          await sleep(fault.delayMs ?? 0, undefined, { signal: parts.shutdown });
          break;
        case 'error500':
          throw new GlacierError('ServiceUnavailableException', 'The service is unable to handle the request (injected fault error500)', 500);
        case 'error503':
          throw new GlacierError('ServiceUnavailableException', 'The service is unavailable (injected fault error503)', 503);
        case 'throttle':
          throw new GlacierError('ThrottlingException', 'Rate exceeded (injected fault)');
        case 'timeout408':
          throw new GlacierError('RequestTimeoutException', 'The request timed out while the body was being received (injected fault)');
        case 'lostResponse':
          dropResponse = true;
          break;
        case 'reset': {
          if (streaming) {
            const length = Number(req.headers['content-length'] ?? 0);
            if (!(length > 1)) {
              req.socket.destroy();
              return;
            }
            resetAfterRequestBytes = Math.floor(length / 2);
          } else if (operation === 'GetJobOutput') {
            resetMidResponse = true;
          } else {
            dropResponse = true;
          }
          break;
        }
      }
    }

    const headers = headerMap(req.rawHeaders);
    const header = (name: string): string | undefined => headers.get(name)?.join(',');
    const sigReq = { method: req.method ?? 'GET', rawPath, rawQuery, headers };
    const expectation = { credentials: parts.credentials, region: config.region, service: 'glacier', now: new Date(Date.now()) };
    const declared = header('x-amz-content-sha256');
    let body: Buffer = Buffer.alloc(0);
    if (streaming) {
      if (declared === undefined || declared === '') throw missingParameter('x-amz-content-sha256');
      verifySigV4(sigReq, declared, expectation);
    } else {
      body = await readSmallBody(req, MAX_SMALL_BODY, (n) => stats.received(operation, n));
      const computed = sha256Hex(body);
      verifySigV4(sigReq, declared ?? computed, expectation);
      if (declared !== undefined && declared.toLowerCase() !== computed) {
        throw new GlacierError(
          'InvalidSignatureException',
          `The value passed in as x-amz-content-sha256 does not match the computed payload hash. Computed digest: ${computed} expected hash: ${declared}`,
        );
      }
    }

    const version = header('x-amz-glacier-version');
    if (version === undefined || version === '') throw missingParameter('x-amz-glacier-version');
    if (version !== GLACIER_API_VERSION) throw invalidParameter(`Invalid x-amz-glacier-version: ${version.slice(0, 50)}. The supported API version is ${GLACIER_API_VERSION}`);
    if (route === undefined) throw new GlacierError('BadRequest', `No Glacier operation is ${req.method} ${rawPath.slice(0, 300)}`);
    if (!route.supported) throw new GlacierError('BadRequest', `The operation ${operation} is not implemented by this Glacier-compatible server`);
    if (route.accountId !== '-' && route.accountId !== config.accountId) {
      throw new GlacierError('AccessDeniedException', `The account ID ${route.accountId.slice(0, 50)} in the request URI does not match the account of the credentials; use '-' or ${config.accountId}`);
    }

    await upkeep(parts, now);

    const ctx: OperationContext = {
      req,
      res,
      route,
      query,
      now,
      clock: parts.clock,
      store: parts.store,
      files: parts.files,
      config,
      body,
      declaredContentSha256: declared?.toLowerCase(),
      resetAfterRequestBytes,
      resetMidResponse,
      header,
      countReceived: (n) => stats.received(operation, n),
      reply,
      replyJson: (status, value, extra = {}) => reply(status, { 'Content-Type': 'application/json', ...extra }, JSON.stringify(value)),
      replyStream: (status, extra, stream, length) => {
        if (dropResponse) {
          stream.destroy();
          req.socket.destroy();
          return Promise.resolve();
        }
        return sendStream(req, res, status, extra, stream, length, resetMidResponse, (n) => stats.sent(operation, n));
      },
    };
    await handlers[operation as GlacierOperation](ctx);
  } catch (err) {
    if (err instanceof ConnectionResetByFault) return;
    if ((err as Error)?.name === 'AbortError' && parts.shutdown.aborted) {
      req.socket.destroy();
      return;
    }
    const error = err instanceof GlacierError ? err : err instanceof SigV4Error ? fromSigV4Error(err) : new GlacierError('ServiceUnavailableException', `Internal error: ${(err as Error)?.message ?? String(err)}`);
    if (res.headersSent || req.socket.destroyed) {
      req.socket.destroy();
      return;
    }
    if (!req.readableEnded) {
      try {
        await drainBody(req, (n) => stats.received(operation, n));
      } catch {
        return;
      }
    }
    reply(error.status, { 'Content-Type': 'application/json' }, JSON.stringify(error.toJSON()));
  }
}

/** Completes due jobs, expires old job output and forgets stale upload tombstones. */
async function upkeep(parts: ServerParts, now: number): Promise<void> {
  const { store, files, config } = parts;
  store.settleJobs(now);
  for (const job of store.expireJobs(now)) {
    if (job.action === 'InventoryRetrieval') await files.removeJobOutput(job.jobId);
  }
  for (const archiveId of store.takePurgeableArchives()) await files.removeArchive(archiveId);
  store.forgetAbortedUploads(now - config.multipartCompleteIdempotencyMs);
}
