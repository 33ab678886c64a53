/**
 * The one retry policy for every vault request: exponential backoff with full jitter on
 * throttling, 5xx, request timeouts and connection failures; permanent errors (validation,
 * auth, not found) fail at once. `toVaultError` turns whatever finally failed into a
 * user-facing BackupError that keeps the original in `cause`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError, throwIfAborted } from '../errors.js';

/** How often and how patiently a request is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = one attempt). */
  retries: number;
  /** First backoff ceiling in ms; attempt n waits a random time in [0, min(maxMs, baseMs·2^n)). Default 500. */
  baseMs?: number;
  /** Largest backoff ceiling in ms. Default 20 s. */
  maxMs?: number;
  /** Called before each retry's wait; `attempt` counts from 1. Must not throw. */
  onRetry?: (info: RetryInfo) => void;
  /** Source of randomness for the jitter, in [0, 1). Default Math.random. */
  random?: () => number;
}

/** What `onRetry` is told. */
export interface RetryInfo {
  /** What is being retried, e.g. "UploadMultipartPart part 3 (bytes 0-1048575)". */
  operation?: string;
  attempt: number;
  retries: number;
  delayMs: number;
  error: unknown;
}

/** Options of one `withRetry` call. */
export interface WithRetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  /** Passed to onRetry. */
  operation?: string;
}

/**
 * Runs `fn` until it succeeds, a permanent error occurs, or `retries` are used up; rethrows
 * the last error unchanged. An aborted signal stops at once with BackupError('ABORTED').
 * `fn` must be safe to call again (re-readable bodies, idempotent requests).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: WithRetryOptions): Promise<T> {
  const baseMs = opts.baseMs ?? 500;
  const maxMs = opts.maxMs ?? 20_000;
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      throwIfAborted(opts.signal);
      if (attempt >= opts.retries || classifyError(err) === 'permanent') throw err;
      const delayMs = Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
      opts.onRetry?.({ operation: opts.operation, attempt: attempt + 1, retries: opts.retries, delayMs, error: err });
      try {
        await sleep(delayMs, undefined, { signal: opts.signal });
      } catch {
        throwIfAborted(opts.signal);
      }
    }
  }
}

const throttlingNames = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const transientNames = new Set(['RequestTimeoutException', 'RequestTimeout', 'TimeoutError', 'ServiceUnavailableException', 'InternalFailure', 'InternalError']);
const transientCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);
const transientMessage = /socket hang up|ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|premature close|aborted|timed out|other side closed/i;

/** Whether a failed vault request is worth retrying ('retry') or must fail now ('permanent'). */
export function classifyError(err: unknown): 'retry' | 'permanent' {
  if (err instanceof BackupError) return err.code === 'NETWORK' ? 'retry' : 'permanent';
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return 'permanent';
  if (e.name === 'AbortError') return 'permanent';
  const status = e.$metadata?.httpStatusCode;
  if (e.name && (throttlingNames.has(e.name) || transientNames.has(e.name))) return 'retry';
  if (e.$retryable) return 'retry';
  if (status === 429 || status === 408 || (status !== undefined && status >= 500)) return 'retry';
  if (status !== undefined && status >= 400) return 'permanent';
  if (e.code && transientCodes.has(e.code)) return 'retry';
  if (typeof e.message === 'string' && transientMessage.test(e.message) && status === undefined && isSystemLike(e)) return 'retry';
  if (e.cause && e.cause !== err) return classifyError(e.cause);
  return 'permanent';
}

/** Node and SDK transport errors carry a code or one of a few names; plain programming errors do not. */
function isSystemLike(e: { name?: string; code?: string }): boolean {
  return typeof e.code === 'string' || e.name === 'Error' || e.name === 'TimeoutError';
}

/** Where a vault error happened, for the message. */
export interface VaultErrorContext {
  vaultName: string;
  /** The endpoint the client talks to, named in network errors. */
  endpoint: string;
  /** The operation, e.g. "UploadMultipartPart". */
  operation: string;
  /** The sub-resource addressed, e.g. "job abc" or "archive xyz"; a 404 on it is VAULT_ITEM_NOT_FOUND rather than VAULT_NOT_FOUND. */
  resource?: string;
}

const authNames = new Set([
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
]);

/**
 * Maps the error a vault request finally failed with to a BackupError: VAULT_AUTH for
 * signature/credential failures, VAULT_NOT_FOUND for a missing vault, VAULT_ITEM_NOT_FOUND for a
 * missing job/upload/archive (exit 1: never the user's NOT_FOUND, exit 2), NETWORK for connection failures (naming the endpoint), ABORTED stays,
 * VAULT otherwise. Never includes credentials: only the error's name and message.
 */
export function toVaultError(err: unknown, ctx: VaultErrorContext): BackupError {
  if (err instanceof BackupError) return err;
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = oneLine(e.message ?? String(err));
  const status = e.$metadata?.httpStatusCode;
  const vault = ctx.vaultName;
  if (authNames.has(name) || status === 403 || status === 401) {
    return new BackupError('VAULT_AUTH', `${ctx.operation} on vault ${vault} was refused (${name}: ${message}); check the credentials for vault ${vault} (environment, shared credentials file, vault.profile) and its access policy`, { cause: err, subject: vault });
  }
  if (name === 'ResourceNotFoundException' || status === 404) {
    const vaultMissing = /vault not found|no such vault|vault\b.*\bdoes not exist/i.test(message);
    if (vaultMissing || (!ctx.resource && !/not found/i.test(message))) {
      return new BackupError('VAULT_NOT_FOUND', `vault ${vault} does not exist at ${ctx.endpoint}; create it with \`backup vault create\``, { cause: err, subject: vault });
    }
    if (!ctx.resource) return new BackupError('VAULT_ITEM_NOT_FOUND', `${ctx.operation} on vault ${vault}: ${message}`, { cause: err, subject: vault });
    return new BackupError('VAULT_ITEM_NOT_FOUND', `${ctx.resource} not found in vault ${vault} (${message})`, { cause: err, subject: ctx.resource });
  }
  if (status === undefined && classifyError(err) === 'retry') {
    return new BackupError('NETWORK', `${ctx.operation} on vault ${vault}: cannot reach ${ctx.endpoint} (${e.code ?? name}: ${message}); check the network and run the command again`, { cause: err, subject: ctx.endpoint });
  }
  return new BackupError('VAULT', `${ctx.operation} on vault ${vault} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, { cause: err, subject: vault });
}

/** "Name (HTTP status): message" of an error, on one line, for logs. Never includes credentials. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  const status = e?.$metadata?.httpStatusCode;
  const label = e?.code ?? e?.name ?? 'Error';
  return `${label}${status ? ` (HTTP ${status})` : ''}: ${oneLine(e?.message ?? String(err)).slice(0, 200)}`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}
