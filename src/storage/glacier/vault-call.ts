/**
 * What every vault operation needs (client, vault, account, retry policy, signal) and the
 * single place a request is wrapped: retried by with-retry's policy, then mapped to a
 * BackupError. Operations take a `VaultTarget` plus their own arguments.
 */
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { withRetry, toVaultError, type RetryPolicy } from '../with-retry.js';

/** The vault an operation addresses and how its requests are retried. */
export interface VaultTarget {
  client: GlacierClient;
  vaultName: string;
  /** "-" for the credentials' own account, or a 12-digit id. Default "-". */
  accountId?: string;
  /** Retries per request: a count (default backoff) or a full policy. Default 8. */
  retries?: number | RetryPolicy;
  /** Stops waiting and in-flight requests; the operation then throws ABORTED. */
  signal?: AbortSignal;
  /** Named in network errors; default "the Glacier endpoint". */
  endpoint?: string;
}

/** The retry policy a target asks for. */
export function retryPolicy(t: Pick<VaultTarget, 'retries'>): RetryPolicy {
  const r = t.retries ?? 8;
  return typeof r === 'number' ? { retries: r } : r;
}

/**
 * Runs one vault request with the target's retry policy; `fn` gets the abort signal to pass to
 * `client.send`. Throws a BackupError (see toVaultError); `resource` names a job/upload/archive
 * so a 404 on it reads as VAULT_ITEM_NOT_FOUND rather than a missing vault.
 */
export async function vaultCall<T>(
  t: VaultTarget,
  operation: string,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
  resource?: string,
): Promise<T> {
  try {
    return await withRetry(() => fn(t.signal), { ...retryPolicy(t), signal: t.signal, operation });
  } catch (err) {
    throw toVaultError(err, { vaultName: t.vaultName, endpoint: t.endpoint ?? 'the Glacier endpoint', operation, resource });
  }
}

/** The account id to send. */
export function account(t: Pick<VaultTarget, 'accountId'>): string {
  return t.accountId ?? '-';
}
