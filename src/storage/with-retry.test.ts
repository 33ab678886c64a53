import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackupError, ExitCode, exitCodeFor } from '../errors.js';
import { classifyError, toVaultError, withRetry } from './with-retry.js';

const svc = (name: string, status: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
const sys = (code: string, message = code) => Object.assign(new Error(message), { code });

test('throttling, 5xx, request timeouts and connection failures are retried', () => {
  for (const e of [
    svc('ThrottlingException', 400),
    svc('SlowDown', 503),
    svc('Whatever', 429),
    svc('ServiceUnavailableException', 500),
    svc('InternalError', 502),
    svc('RequestTimeoutException', 408),
    Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }),
    sys('ECONNRESET'),
    sys('EPIPE'),
    sys('ETIMEDOUT'),
    sys('ECONNREFUSED'),
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  ]) {
    assert.equal(classifyError(e), 'retry', `${e.name} ${e.message}`);
  }
});

test('validation, auth, not-found and programming errors fail at once', () => {
  for (const e of [
    svc('InvalidParameterValueException', 400),
    svc('MissingParameterValueException', 400),
    svc('LimitExceededException', 400),
    svc('InvalidSignatureException', 403),
    svc('UnrecognizedClientException', 403),
    svc('ResourceNotFoundException', 404),
    new TypeError('x is not a function'),
    new BackupError('CHECKSUM_MISMATCH', 'bad'),
    'a string',
    null,
  ]) {
    assert.equal(classifyError(e), 'permanent', String((e as Error)?.name ?? e));
  }
});

test('withRetry retries transient errors with jittered backoff and then succeeds', async () => {
  const waits: number[] = [];
  let calls = 0;
  const v = await withRetry(
    async () => {
      calls++;
      if (calls < 4) throw svc('ThrottlingException', 400);
      return 'ok';
    },
    { retries: 5, baseMs: 4, maxMs: 10, random: () => 0.99, onRetry: (i) => waits.push(i.delayMs) },
  );
  assert.equal(v, 'ok');
  assert.equal(calls, 4);
  // full jitter: a random share of min(maxMs, baseMs * 2^attempt)
  assert.deepEqual(waits, [3, 7, 9]);
});

test('withRetry gives up after `retries` and rethrows the last error unchanged', async () => {
  let calls = 0;
  const last = svc('ServiceUnavailableException', 500);
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw last;
    }, { retries: 2, baseMs: 1 }),
    (e) => e === last,
  );
  assert.equal(calls, 3);
});

test('withRetry does not retry a permanent error', async () => {
  let calls = 0;
  await assert.rejects(withRetry(async () => {
    calls++;
    throw svc('InvalidParameterValueException', 400);
  }, { retries: 5, baseMs: 1 }));
  assert.equal(calls, 1);
});

test('an aborted signal stops retrying with ABORTED', async () => {
  const ac = new AbortController();
  let calls = 0;
  const p = withRetry(async () => {
    calls++;
    if (calls === 1) setTimeout(() => ac.abort(), 5);
    throw sys('ECONNRESET');
  }, { retries: 10, baseMs: 10_000, maxMs: 10_000, random: () => 0.5, signal: ac.signal });
  await assert.rejects(p, (e: BackupError) => e.code === 'ABORTED');
  assert.equal(calls, 1);
});

const ctx = { vaultName: 'photos', endpoint: 'http://127.0.0.1:9', operation: 'DescribeVault' };

test('final errors map to user-facing codes that name the vault and what to do, keeping the cause', () => {
  const auth = svc('InvalidSignatureException', 403);
  const a = toVaultError(auth, ctx);
  assert.equal(a.code, 'VAULT_AUTH');
  assert.match(a.message, /check the credentials for vault photos/);
  assert.equal(a.cause, auth);

  const nf = toVaultError(Object.assign(svc('ResourceNotFoundException', 404), { message: 'Vault not found for ARN: arn:aws:glacier:us-east-1:1:vaults/photos' }), ctx);
  assert.equal(nf.code, 'VAULT_NOT_FOUND');
  assert.match(nf.message, /create it with `backup vault create`/);

  const job = toVaultError(Object.assign(svc('ResourceNotFoundException', 404), { message: 'The job ID was not found: abc' }), { ...ctx, resource: 'job abc' });
  assert.equal(job.code, 'VAULT_ITEM_NOT_FOUND');
  assert.match(job.message, /job abc/);
  // regression (issue 12): a 404 from the vault mid-command (say, mid-prune) is a failure, exit 1, never "bad usage"
  assert.equal(exitCodeFor(job), ExitCode.failed);

  const net = toVaultError(sys('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), ctx);
  assert.equal(net.code, 'NETWORK');
  assert.match(net.message, /http:\/\/127\.0\.0\.1:9/);

  const other = toVaultError(svc('InvalidParameterValueException', 400), ctx);
  assert.equal(other.code, 'VAULT');
  assert.match(other.message, /DescribeVault on vault photos failed: InvalidParameterValueException \(HTTP 400\)/);
});

test('credentials never appear in a mapped message', () => {
  const e = toVaultError(Object.assign(svc('UnrecognizedClientException', 403), { message: 'The security token included in the request is invalid.' }), ctx);
  assert.doesNotMatch(e.message, /AKIA|secret/i);
});
