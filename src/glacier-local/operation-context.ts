/**
 * What an operation handler gets: the routed request, the stores, the server's
 * configuration and reply helpers that honour fault injection and count bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ArchiveFiles } from './archive-files.js';
import type { GlacierStore, VaultRow } from './glacier-store.js';
import type { JobDelays } from './job-timing.js';
import type { Route } from './route-request.js';
import { notFound } from './glacier-error.js';

/** Server-wide settings the handlers read. */
export interface ServerConfig {
  region: string;
  /** The 12-digit account ID that '-' stands for. */
  accountId: string;
  jobDelaysMs: JobDelays;
  jobOutputTtlMs: number;
  inventoryRefreshMs: number;
  multipartCompleteIdempotencyMs: number;
}

/** Per-request context. Handlers reply exactly once through `reply*`. */
export interface OperationContext {
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  query: URLSearchParams;
  /** Request arrival time (epoch ms); every timestamp the request records uses it. */
  now: number;
  /** The server's clock, for the instant a long request (an upload) finishes. */
  clock: () => number;
  store: GlacierStore;
  files: ArchiveFiles;
  config: ServerConfig;
  /** The body of a non-streaming operation (already read and verified); empty for uploads. */
  body: Buffer;
  /** x-amz-content-sha256 as declared (lowercase), for streaming operations to check. */
  declaredContentSha256: string | undefined;
  /** Fault injection: destroy the connection after this many request-body bytes. */
  resetAfterRequestBytes?: number;
  /** Fault injection: destroy the connection halfway through the response body. */
  resetMidResponse: boolean;
  /** A single header value, or undefined. */
  header(name: string): string | undefined;
  /** Counts request-body bytes received by the handler. */
  countReceived(n: number): void;
  /** Sends a response without a body (or with a small one). */
  reply(status: number, headers: Record<string, string>, body?: string | Buffer): void;
  /** Sends a JSON response. */
  replyJson(status: number, value: unknown, headers?: Record<string, string>): void;
  /** Streams `length` bytes from `stream` as the response body. */
  replyStream(status: number, headers: Record<string, string>, stream: Readable, length: number): Promise<void>;
}

/** The ARN of a vault, as Glacier spells it. */
export function vaultArn(config: ServerConfig, vaultName: string): string {
  return `arn:aws:glacier:${config.region}:${config.accountId}:vaults/${vaultName}`;
}

/** The vault the request names, or ResourceNotFoundException as AWS words it. */
export function requireVault(ctx: OperationContext): VaultRow {
  const name = ctx.route.vaultName!;
  const vault = ctx.store.getVault(name);
  if (!vault) throw notFound(`Vault not found for ARN: ${vaultArn(ctx.config, name)}`);
  return vault;
}

/** Relative URI of a vault (and optionally a sub-resource), always with the numeric account ID. */
export function locationOf(config: ServerConfig, vaultName: string, ...sub: string[]): string {
  return ['', config.accountId, 'vaults', vaultName, ...sub].map((s, i) => (i < 2 ? s : encodeURIComponent(s))).join('/');
}
