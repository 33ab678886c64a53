/**
 * Builds the @aws-sdk/client-glacier client for a configured vault. Retries are switched off
 * in the SDK (`maxAttempts: 1`): every retry is ours (with-retry.ts), composed in open-vault.ts.
 * Credentials come from `opts.credentials` when given, otherwise from the SDK's default chain
 * (environment, shared config/credentials files, `AWS_PROFILE`, or `vault.profile` through the
 * client's `profile` option). The SDK gets a silent logger, so nothing it resolves is printed.
 */
import { createHash } from 'node:crypto';
import { GlacierClient, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import { BackupError } from '../../errors.js';
import type { VaultConfig } from '../../config/config-schema.js';
import { combineDigests, treeHash } from '../../treehash/tree-hash.js';
import { isPacedBody } from '../paced-body.js';

/** Static credentials, e.g. for the bundled local server or tests. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Overrides of what the vault config says. */
export interface GlacierClientOptions {
  /** An http(s) URL; wins over `vault.endpoint`. Required when `vault.endpoint` is "local". */
  endpoint?: string;
  credentials?: StaticCredentials;
}

/** Creates a Glacier client for `vault`. The caller owns it and calls `destroy()` when done. */
export function createGlacierClient(vault: VaultConfig, opts: GlacierClientOptions = {}): GlacierClient {
  const endpoint = opts.endpoint ?? vault.endpoint;
  if (endpoint === 'local') {
    throw new BackupError('INTERNAL', 'vault.endpoint "local" must be resolved to the bundled server\'s URL before creating a client');
  }
  const config: GlacierClientConfig = {
    region: vault.region,
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 15_000,
      // idle socket timeout; a paced part sends at least one 64 KiB chunk per interval at any sane rate
      socketTimeout: 120_000,
    },
    bodyChecksumGenerator,
    bodyLengthChecker,
    // The SDK prints "An error was encountered in a non-retryable streaming request." to the
    // console for every failed part unless given a logger; retries are ours and logged by us.
    logger: silentLogger,
  };
  if (endpoint) config.endpoint = endpoint;
  if (opts.credentials) config.credentials = opts.credentials;
  else if (vault.profile) config.profile = vault.profile;
  return new GlacierClient(config);
}

/** The endpoint a client for `vault` talks to, for messages (never carries credentials). */
export function describeEndpoint(vault: VaultConfig, opts: GlacierClientOptions = {}): string {
  const endpoint = opts.endpoint ?? vault.endpoint;
  return endpoint && endpoint !== 'local' ? endpoint : `https://glacier.${vault.region}.amazonaws.com`;
}

const silentLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

type RequestLike = { body?: unknown };

/**
 * Replaces the SDK's generator, which cannot hash non-file streams: a PacedBody brings its
 * own hashes (computed by a first read of the part); strings and byte arrays are hashed here.
 * The Glacier middleware adds x-amz-content-sha256 and x-amz-sha256-tree-hash from the result
 * unless the request already has them, and SigV4 signs the payload hash it finds there.
 */
function bodyChecksumGenerator(request: RequestLike): Promise<[string, string]> {
  const body = request.body;
  if (isPacedBody(body)) return Promise.resolve([body.hashes.sha256.toString('hex'), combineDigests(body.hashes.leaves).toString('hex')]);
  const bytes = toBytes(body);
  if (!bytes) return Promise.reject(new Error('cannot compute checksums for this request body'));
  return Promise.resolve([createHash('sha256').update(bytes).digest('hex'), treeHash(bytes)]);
}

/** Content-Length for the bodies we send; a PacedBody knows its length. */
function bodyLengthChecker(body: unknown): number | undefined {
  if (isPacedBody(body)) return body.contentLength;
  const bytes = toBytes(body);
  if (!bytes) throw new Error('cannot compute the length of this request body');
  return bytes.byteLength;
}

function toBytes(body: unknown): Uint8Array | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}
