/**
 * The HTTP request pipeline of the S3 side of the local server: route → fault
 * injection → SigV4 (service `s3`, S3's canonical URI, x-amz-content-sha256
 * required) → body checks → operation handler, with every failure answered as S3
 * answers it (XML body, status, x-amz-request-id; no body for HEAD).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultInjector } from '../local-server/fault-injector.js';
import type { ServerStats } from '../local-server/server-stats.js';
import type { Credentials } from '../local-server/verify-sigv4.js';
import { headerMap, parseAuthorization, sha256Hex, SigV4Error, verifySigV4 } from '../local-server/verify-sigv4.js';
import { ConnectionResetByFault, drainBody, sendStream } from '../local-server/http-bodies.js';
import type { ChunkSigning } from './aws-chunked-decoder.js';
import type { ObjectFiles } from './object-files.js';
import type { S3Config, S3Context } from './s3-context.js';
import { S3Error, fromSigV4Error, invalidRequest } from './s3-error.js';
import { newS3RequestId } from './s3-ids.js';
import type { S3Store } from './s3-store.js';
import { routeS3Request, S3_STREAMING_OPERATIONS } from './route-s3-request.js';
import type { S3Operation, S3Route } from './route-s3-request.js';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './bucket-operations.js';
import { deleteObject, deleteObjects, getObject, headObject, putObject } from './object-operations.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './s3-multipart-operations.js';
import { listObjectsV2 } from './list-objects.js';
import { restoreObject } from './restore-object.js';
import { checksumHeader, CHECKSUM_ALGORITHMS, isWellFormedChecksum, newChecksummer } from './s3-checksums.js';

/** Largest body accepted by operations whose body is not object data (XML documents). */
const MAX_SMALL_BODY = 2 * 1024 * 1024;

/** Everything the S3 pipeline needs; owned by the server's starter. */
export interface S3ServerParts {
  store: S3Store;
  files: ObjectFiles;
  faults: FaultInjector;
  stats: ServerStats;
  config: S3Config & { minPartSize: number; completeIdempotencyMs: number };
  credentials: Credentials;
  /** The server's clock (epoch ms) for everything it records and every restore it times; signatures are checked against the real clock. */
  clock: () => number;
  /** Fires when the server closes: pending fault delays end and their connections are dropped. */
  shutdown: AbortSignal;
}

const handlers: Record<S3Operation, (ctx: S3Context, parts: S3ServerParts) => void | Promise<void>> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjectsV2: listObjectsV2,
  DeleteObjects: deleteObjects,
  ListMultipartUploads: listMultipartUploads,
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: (ctx, parts) => completeMultipartUpload(ctx, parts.config.minPartSize, parts.config.completeIdempotencyMs),
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  RestoreObject: restoreObject,
};

/** Serves one S3 request. Never rejects: failures become S3 error responses or dropped connections. */
export async function handleS3Request(parts: S3ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { stats, faults } = parts;
  const now = parts.clock();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const query = new URLSearchParams(rawQuery);
  const requestId = newS3RequestId();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', createHash('sha256').update(requestId).digest('base64'));
  const headers = headerMap(req.rawHeaders);
  const header = (name: string): string | undefined => headers.get(name)?.join(',');

  let operation = 'Unknown';
  let dropResponse = false;
  let resetMidResponse = false;
  const reply = (status: number, extra: Record<string, string>, body?: string | Buffer): void => {
    if (dropResponse) {
      req.socket?.destroy();
      return;
    }
    const data = body === undefined ? undefined : Buffer.from(body);
    const all: Record<string, string> = { ...extra };
    if (status !== 204 && status !== 304 && all['Content-Length'] === undefined) all['Content-Length'] = String(data?.length ?? 0);
    res.writeHead(status, all);
    res.end(method === 'HEAD' ? undefined : data);
    if (data && method !== 'HEAD') stats.sent(operation, data.length);
  };

  try {
    let route: S3Route | undefined;
    try {
      route = routeS3Request(method, rawPath, query, headers);
    } finally {
      operation = route?.operation ?? 'Unknown';
      stats.request(operation);
    }
    const streaming = S3_STREAMING_OPERATIONS.has(operation);

    let resetAfterRequestBytes: number | undefined;
    const fault = faults.next(operation);
    if (fault) {
      stats.fault(operation, fault.kind);
      switch (fault.kind) {
        case 'delay':
          await sleep(fault.delayMs ?? 0, undefined, { signal: parts.shutdown });
          break;
        case 'error500':
          throw new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again. (injected fault error500)');
        case 'error503':
          throw new S3Error(503, 'ServiceUnavailable', 'Please reduce your request rate. (injected fault error503)');
        case 'throttle':
          throw new S3Error(503, 'SlowDown', 'Please reduce your request rate. (injected fault throttle)');
        case 'timeout408':
          throw new S3Error(400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed. (injected fault)');
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
          } else if (operation === 'GetObject') {
            resetMidResponse = true;
          } else {
            dropResponse = true;
          }
          break;
        }
      }
    }

    const declared = header('x-amz-content-sha256');
    if (declared === undefined || declared === '') {
      if (header('authorization') !== undefined) throw invalidRequest('Missing required header for this request: x-amz-content-sha256');
      throw new S3Error(403, 'AccessDenied', 'Access Denied');
    }
    verifySigV4({ method, rawPath, rawQuery, headers }, declared, {
      credentials: parts.credentials,
      region: parts.config.region,
      service: 's3',
      now: new Date(Date.now()),
      uriStyle: 'single',
    });
    let body: Buffer = Buffer.alloc(0);
    let signing: ChunkSigning | undefined;
    if (streaming) {
      if (declared.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) {
        const auth = parseAuthorization(header('authorization')!);
        signing = {
          secretAccessKey: parts.credentials.secretAccessKey,
          longDate: header('x-amz-date') ?? '',
          scopeDate: auth.scopeDate,
          region: auth.scopeRegion,
          service: auth.scopeService,
          seedSignature: auth.signature,
        };
      } else if (declared !== 'UNSIGNED-PAYLOAD' && declared !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' && !/^[0-9a-fA-F]{64}$/.test(declared)) {
        throw invalidRequest(`x-amz-content-sha256 must be a SHA-256 hex digest, UNSIGNED-PAYLOAD or a STREAMING- value; got ${declared.slice(0, 80)}`);
      }
    } else {
      body = await readSmallBody(req, (n) => stats.received(operation, n));
      if (declared !== 'UNSIGNED-PAYLOAD') {
        if (!/^[0-9a-fA-F]{64}$/.test(declared)) throw invalidRequest(`x-amz-content-sha256 must be a SHA-256 hex digest or UNSIGNED-PAYLOAD for ${operation}`);
        const computed = sha256Hex(body);
        if (computed !== declared.toLowerCase()) {
          throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
            ClientComputedContentSHA256: declared,
            S3ComputedContentSHA256: computed,
          });
        }
      }
      checkSmallBodyDigests(body, header, operation !== 'CompleteMultipartUpload');
    }
    if (!route.supported) {
      throw new S3Error(501, 'NotImplemented', `A header or query you provided implies functionality that is not implemented by this S3-compatible server (${operation})`);
    }

    const ctx: S3Context = {
      req,
      res,
      route,
      query,
      now,
      store: parts.store,
      files: parts.files,
      config: parts.config,
      body,
      signing,
      resetAfterRequestBytes,
      header,
      headers,
      countReceived: (n) => stats.received(operation, n),
      reply,
      replyXml: (status, xml, extra = {}) => reply(status, { 'Content-Type': 'application/xml', ...extra }, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`),
      replyStream: (status, extra, stream, length) => {
        if (dropResponse || method === 'HEAD') {
          stream.destroy();
          if (dropResponse) req.socket.destroy();
          else reply(status, { ...extra, 'Content-Length': String(length) });
          return Promise.resolve();
        }
        return sendStream(req, res, status, extra, stream, length, resetMidResponse, (n) => stats.sent(operation, n));
      },
    };
    await handlers[operation as S3Operation](ctx, parts);
  } catch (err) {
    if (err instanceof ConnectionResetByFault) return;
    if ((err as Error)?.name === 'AbortError' && parts.shutdown.aborted) {
      req.socket.destroy();
      return;
    }
    const error =
      err instanceof S3Error
        ? err
        : err instanceof SigV4Error
          ? fromSigV4Error(err)
          : new S3Error(500, 'InternalError', `We encountered an internal error: ${(err as Error)?.message ?? String(err)}`);
    if (res.headersSent || !req.socket || req.socket.destroyed) {
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
    dropResponse = false;
    if (error.status === 304) reply(304, {});
    else reply(error.status, { 'Content-Type': 'application/xml' }, error.toXml(requestId));
  }
}

/** Reads an XML request body fully; beyond MAX_SMALL_BODY it fails (after draining). */
async function readSmallBody(req: IncomingMessage, onBytes: (n: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const data = chunk as Buffer;
    onBytes(data.length);
    size += data.length;
    if (size <= MAX_SMALL_BODY) chunks.push(data);
  }
  if (size > MAX_SMALL_BODY) throw new S3Error(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
  return Buffer.concat(chunks);
}

/**
 * Content-MD5 and x-amz-checksum-* of a small body, verified as S3 does. The checksum
 * headers of CompleteMultipartUpload describe the object, not the body (`checksums` false).
 */
function checkSmallBodyDigests(body: Buffer, header: (name: string) => string | undefined, checksums: boolean): void {
  const md5 = header('content-md5');
  if (md5 !== undefined) {
    const want = Buffer.from(md5, 'base64');
    if (want.length !== 16) throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
    if (!createHash('md5').update(body).digest().equals(want)) throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  for (const algorithm of checksums ? CHECKSUM_ALGORITHMS : []) {
    const value = header(checksumHeader(algorithm));
    if (value === undefined) continue;
    if (!isWellFormedChecksum(algorithm, value)) throw invalidRequest(`Value for ${checksumHeader(algorithm)} header is invalid.`);
    const sum = newChecksummer(algorithm);
    sum.update(body);
    if (sum.digest() !== value) throw new S3Error(400, 'BadDigest', `The ${algorithm.toLowerCase()} you specified did not match the calculated checksum.`);
  }
}
