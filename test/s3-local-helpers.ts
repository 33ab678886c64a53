/**
 * Helpers for the S3 suites of the local server: a server over a fresh temp
 * directory with an @aws-sdk/client-s3 client (path-style, no retries), a movable
 * clock, and requests signed by hand (aws-chunked bodies the SDK does not send).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import type { GlacierLocal, GlacierLocalOptions } from '../src/glacier-local/start-glacier-local.js';
import { basicDate, canonicalRequest, EMPTY_SHA256, sha256Hex, signature, stringToSign } from '../src/local-server/verify-sigv4.js';

/** A server, its S3 client and its clock. */
export interface S3TestServer {
  gl: GlacierLocal;
  dir: string;
  s3: S3Client;
  /** A client with its own settings (retries, checksum behaviour …). */
  clientWith(config: Partial<ConstructorParameters<typeof S3Client>[0]>): S3Client;
  /** Moves the server's clock forward. */
  advance(ms: number): void;
  cleanup(): Promise<void>;
}

/** Starts the local server over a fresh temp directory (or `dir`) with a movable clock starting at the real time. */
export async function startS3TestServer(opts: Partial<GlacierLocalOptions> = {}): Promise<S3TestServer> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 's3-local-')));
  let offset = 0;
  const gl = await startGlacierLocal({ clock: () => Date.now() + offset, ...opts, dir });
  const clients: S3Client[] = [];
  const clientWith = (config: Partial<ConstructorParameters<typeof S3Client>[0]>) => {
    const c = new S3Client({ endpoint: gl.endpoint, region: gl.region, credentials: gl.credentials, forcePathStyle: true, maxAttempts: 1, ...config });
    clients.push(c);
    return c;
  };
  const s3 = clientWith({});
  return {
    gl,
    dir,
    s3,
    clientWith,
    advance: (ms) => {
      offset += ms;
    },
    cleanup: async () => {
      for (const c of clients) c.destroy();
      await gl.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** How a hand-made request's body is sent. */
export type BodyMode =
  | { kind: 'plain' }
  | { kind: 'unsigned-trailer'; chunkSize: number; trailer: [string, string] }
  | { kind: 'signed'; chunkSize: number; tamperChunk?: number }
  | { kind: 'signed-trailer'; chunkSize: number; trailer: [string, string]; tamperTrailer?: boolean };

/** A request to the S3 side signed with the server's own signing functions (which the SDK, CLI and boto3 suites prove agree with AWS's). */
export async function signedS3Fetch(
  gl: GlacierLocal,
  method: string,
  pathAndQuery: string,
  opts: { body?: Buffer; headers?: Record<string, string>; mode?: BodyMode } = {},
): Promise<Response> {
  const url = new URL(pathAndQuery, gl.endpoint);
  const body = opts.body ?? Buffer.alloc(0);
  const mode = opts.mode ?? { kind: 'plain' };
  const longDate = basicDate(Date.now());
  const scope = `${longDate.slice(0, 8)}/${gl.region}/s3/aws4_request`;
  const contentSha =
    mode.kind === 'plain'
      ? sha256Hex(body)
      : mode.kind === 'unsigned-trailer'
        ? 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        : mode.kind === 'signed'
          ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
          : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': longDate,
    'x-amz-content-sha256': contentSha,
    ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  if (mode.kind !== 'plain') {
    headers['content-encoding'] = 'aws-chunked';
    headers['x-amz-decoded-content-length'] = String(body.length);
    if (mode.kind !== 'signed') headers['x-amz-trailer'] = mode.trailer[0];
  }
  const signed = Object.keys(headers).sort();
  const canonical = canonicalRequest(
    { method, rawPath: url.pathname, rawQuery: url.search.slice(1), headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) },
    signed,
    contentSha,
    'single',
  );
  const seed = signature(gl.credentials.secretAccessKey, longDate.slice(0, 8), gl.region, 's3', stringToSign(longDate, scope, canonical));
  let wire = body;
  if (mode.kind !== 'plain') {
    const pieces: Buffer[] = [];
    let previous = seed;
    const sign = (data: Buffer) => {
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, EMPTY_SHA256, sha256Hex(data)].join('\n');
      previous = signature(gl.credentials.secretAccessKey, longDate.slice(0, 8), gl.region, 's3', toSign);
      return previous;
    };
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += mode.chunkSize) chunks.push(body.subarray(i, i + mode.chunkSize));
    chunks.push(Buffer.alloc(0));
    for (const [i, data] of chunks.entries()) {
      let ext = '';
      if (mode.kind === 'signed' || mode.kind === 'signed-trailer') {
        let sig = sign(data);
        if (mode.kind === 'signed' && mode.tamperChunk === i) sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        ext = `;chunk-signature=${sig}`;
      }
      pieces.push(Buffer.from(`${data.length.toString(16)}${ext}\r\n`), data);
      if (data.length > 0) pieces.push(Buffer.from('\r\n'));
    }
    if (mode.kind === 'unsigned-trailer' || mode.kind === 'signed-trailer') {
      const line = `${mode.trailer[0]}:${mode.trailer[1]}`;
      pieces.push(Buffer.from(`${line}\r\n`));
      if (mode.kind === 'signed-trailer') {
        const toSign = ['AWS4-HMAC-SHA256-TRAILER', longDate, scope, previous, sha256Hex(`${line}\n`)].join('\n');
        let sig = signature(gl.credentials.secretAccessKey, longDate.slice(0, 8), gl.region, 's3', toSign);
        if (mode.tamperTrailer) sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        pieces.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
      }
    }
    pieces.push(Buffer.from('\r\n'));
    wire = Buffer.concat(pieces);
  }
  const { host: _host, ...sent } = headers;
  return fetch(url, {
    method,
    body: method === 'GET' || method === 'HEAD' ? undefined : Uint8Array.from(wire),
    headers: { ...sent, authorization: `AWS4-HMAC-SHA256 Credential=${gl.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${seed}` },
  });
}

/** The S3 error code in an XML error body. */
export async function s3ErrorCode(res: Response): Promise<string | undefined> {
  return /<Code>([^<]*)<\/Code>/.exec(await res.text())?.[1];
}
