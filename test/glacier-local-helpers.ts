/**
 * Helpers for the glacier-local test suites: a server over a fresh temp directory,
 * an SDK client for it, deterministic test data, and the third-party peers (python3,
 * boto3, the AWS CLI) — present, skipped with a reason, or (BACKUP_REQUIRE_PEERS=1,
 * as CI sets it) a failure when missing.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlacierClient } from '@aws-sdk/client-glacier';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-glacier';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { describeNeedingPeers } from './helpers/peers.js';
import type { GlacierLocal, GlacierLocalOptions } from '../src/glacier-local/start-glacier-local.js';
import { basicDate, canonicalRequest, sha256Hex, signature, stringToSign } from '../src/local-server/verify-sigv4.js';

export const MiB = 1024 * 1024;

/** A server over a new temp directory; `cleanup` closes it and removes the directory. */
export interface TestServer {
  gl: GlacierLocal;
  dir: string;
  client: GlacierClient;
  /** A client with its own settings (retries, credentials, region …). */
  clientWith(config: Partial<ConstructorParameters<typeof GlacierClient>[0]>): GlacierClient;
  cleanup(): Promise<void>;
}

/** Starts glacier-local over a fresh temp directory (or `dir`) with an SDK client that does not retry. */
export async function startTestServer(opts: Partial<GlacierLocalOptions> = {}): Promise<TestServer> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'glacier-local-')));
  const gl = await startGlacierLocal({ ...opts, dir });
  const clientWith = (config: Partial<ConstructorParameters<typeof GlacierClient>[0]>) =>
    new GlacierClient({ endpoint: gl.endpoint, region: gl.region, credentials: gl.credentials, maxAttempts: 1, ...config });
  const client = clientWith({});
  return {
    gl,
    dir,
    client,
    clientWith,
    cleanup: async () => {
      client.destroy();
      await gl.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `n` deterministic pseudo-random bytes (xorshift32); different seeds give different data. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** A middleware for GlacierClient.middlewareStack.addRelativeTo (tests tamper with requests around signing). */
export type GlacierMiddleware = FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes>;

/** Awaits `p` and returns the SDK error it rejects with (fails if it resolves). */
export async function sdkError(p: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { name: string; $metadata: { httpStatusCode?: number; attempts?: number } };
  }
  assert.fail('expected the request to fail');
}

/** Asserts the SDK error has Glacier error `code`, HTTP `status` and (optionally) a message matching `message`. */
export async function expectGlacierError(p: Promise<unknown>, code: string, status: number, message?: RegExp): Promise<void> {
  const err = await sdkError(p);
  assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
  assert.equal(err.$metadata.httpStatusCode, status);
  if (message) assert.match(err.message, message);
}

/**
 * A request signed with SigV4 by the server's own signing functions (for requests the
 * SDK cannot make, such as an empty upload body or a chunked one). The SDK, boto3 and
 * the AWS CLI tests prove those functions agree with the official signers.
 */
export async function signedFetch(
  gl: GlacierLocal,
  method: string,
  pathAndQuery: string,
  opts: { body?: Buffer; headers?: Record<string, string> } = {},
): Promise<Response> {
  const url = new URL(pathAndQuery, gl.endpoint);
  const body = opts.body ?? Buffer.alloc(0);
  const longDate = basicDate(Date.now());
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': longDate,
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': sha256Hex(body),
    ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const signed = Object.keys(headers).sort();
  const scope = `${longDate.slice(0, 8)}/${gl.region}/glacier/aws4_request`;
  const canonical = canonicalRequest(
    { method, rawPath: url.pathname, rawQuery: url.search.slice(1), headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) },
    signed,
    headers['x-amz-content-sha256'],
  );
  const sig = signature(gl.credentials.secretAccessKey, longDate.slice(0, 8), gl.region, 'glacier', stringToSign(longDate, scope, canonical));
  const { host: _host, ...sent } = headers;
  return fetch(url, {
    method,
    body: method === 'GET' || method === 'HEAD' ? undefined : Uint8Array.from(body),
    headers: { ...sent, authorization: `AWS4-HMAC-SHA256 Credential=${gl.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}` },
  });
}

// ---- third-party peers ----

export type Peer = 'python3' | 'boto3' | 'aws';

const peerCache = new Map<Peer, boolean>();

/** True when `peer` can be run on this machine. */
export function hasPeer(peer: Peer): boolean {
  let ok = peerCache.get(peer);
  if (ok === undefined) {
    const probe =
      peer === 'python3'
        ? spawnSync('python3', ['-c', 'import hashlib'], { stdio: 'ignore' })
        : peer === 'boto3'
          ? spawnSync('python3', ['-c', 'import boto3, botocore.utils'], { stdio: 'ignore' })
          : spawnSync('aws', ['--version'], { stdio: 'ignore', env: awsEnv({ accessKeyId: 'x', secretAccessKey: 'x' }, 'us-east-1', tmpdir()) });
    ok = probe.status === 0;
    peerCache.set(peer, ok);
  }
  return ok;
}

/**
 * A describe() block that needs `peers`: runs when they are present; when one is
 * missing it is skipped with the reason, or — with BACKUP_REQUIRE_PEERS=1 — replaced
 * by one failing test naming what is missing (helpers/peers.ts).
 */
export function describeWithPeers(name: string, peers: Peer[], body: () => void): void {
  describeNeedingPeers(name, peers.filter((p) => !hasPeer(p)), 'install it (python3 with boto3, the AWS CLI)', body);
}

/** Runs a Python script with JSON arguments; resolves with the JSON it prints on stdout. */
export function runPython<T = unknown>(script: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, JSON.stringify(args)], { maxBuffer: 64 * MiB }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python3 failed: ${err.message}\n${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`python3 printed no JSON: ${stdout}\n${stderr}`));
        }
      }
    });
  });
}

/** Environment for the AWS CLI: only these credentials and region, no config files, no metadata service. */
export function awsEnv(credentials: { accessKeyId: string; secretAccessKey: string }, region: string, dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

/** Result of one AWS CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aws glacier <args> --endpoint-url <endpoint> --account-id -` with `env`. */
export function awsGlacier(endpoint: string, env: NodeJS.ProcessEnv, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['glacier', ...args, '--account-id', '-', '--endpoint-url', endpoint, '--output', 'json'],
      { env, maxBuffer: 64 * MiB },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
