/**
 * What an S3 operation handler gets: the routed request, the store and files, the
 * server's S3 settings, and reply helpers that honour fault injection and count bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ChunkSigning } from './aws-chunked-decoder.js';
import type { ObjectFiles } from './object-files.js';
import type { RestoreDelays } from './restore-timing.js';
import type { S3Route } from './route-s3-request.js';
import type { BucketRow, S3Store } from './s3-store.js';
import { noSuchBucket } from './s3-error.js';

/** Server-wide S3 settings the handlers read. */
export interface S3Config {
  region: string;
  restoreDelaysMs: RestoreDelays;
}

/** Per-request context. Handlers reply exactly once through `reply*`. */
export interface S3Context {
  req: IncomingMessage;
  route: S3Route;
  query: URLSearchParams;
  /** Request arrival time on the server's clock (epoch ms); every timestamp the request records uses it. */
  now: number;
  store: S3Store;
  files: ObjectFiles;
  config: S3Config;
  /** The body of a non-streaming operation (already read and verified); empty for uploads. */
  body: Buffer;
  /** Chunk-signature context for signed streaming uploads. */
  signing: ChunkSigning | undefined;
  /** Fault injection: destroy the connection after this many request-body bytes. */
  resetAfterRequestBytes?: number;
  /** A single header value (repeated headers joined by ','), or undefined. */
  header: (name: string) => string | undefined;
  /** Every request header by lowercase name. */
  headers: ReadonlyMap<string, readonly string[]>;
  /** Counts request-body bytes received by the handler. */
  countReceived: (n: number) => void;
  /** Sends a response with an optional small body. */
  reply(status: number, headers: Record<string, string>, body?: string | Buffer): void;
  /** Sends an XML document (the declaration is added). */
  replyXml(status: number, xml: string, headers?: Record<string, string>): void;
  /** Streams `length` bytes from `stream` as the response body. */
  replyStream(status: number, headers: Record<string, string>, stream: Readable, length: number): Promise<void>;
  /** The response object, for handlers that check whether the client went away. */
  res: ServerResponse;
}

/** The bucket the request names, or NoSuchBucket. */
export function requireBucket(ctx: S3Context): BucketRow {
  const name = ctx.route.bucket!;
  const bucket = ctx.store.getBucket(name);
  if (!bucket) throw noSuchBucket(name);
  return bucket;
}

/** RFC 1123 date as S3 prints it in headers. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** ISO 8601 with milliseconds as S3 prints it in XML. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
