/**
 * Verification of AWS Signature Version 4 (Authorization header form), as Glacier
 * and S3 check it: canonical request, string to sign, HMAC chain from the secret key,
 * credential scope (date, region, service) and a 15-minute clock window. Failures are
 * SigV4Errors with a protocol-neutral reason; each protocol maps them to its own error
 * vocabulary. Pure apart from reading the clock passed in: no I/O.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Why a signature was refused. */
export type SigV4Failure =
  | 'missing-authentication'
  | 'incomplete-signature'
  | 'unknown-access-key'
  | 'invalid-scope'
  | 'clock-skew'
  | 'signature-mismatch';

/** A refused signature; `reason` says which check failed, `message` is worded as AWS words it. */
export class SigV4Error extends Error {
  override readonly name = 'SigV4Error';
  readonly reason: SigV4Failure;

  constructor(reason: SigV4Failure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Access key pair the server accepts. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The parts of an HTTP request that SigV4 covers, as received on the wire. */
export interface SigV4Request {
  method: string;
  /** Path as received (still percent-encoded), without the query. */
  rawPath: string;
  /** Query string as received, without '?'; '' when none. */
  rawQuery: string;
  /** Header values by lowercase name, in arrival order (repeated headers keep every value). */
  headers: ReadonlyMap<string, readonly string[]>;
}

/** What the server expects of a signature. */
export interface SigV4Expectation {
  credentials: Credentials;
  region: string;
  service: string;
  now: Date;
  /** Allowed distance between the request's date and `now`; AWS allows 15 minutes. */
  maxSkewMs?: number;
  /**
   * How the canonical URI is formed: 'normalized' (default) as SDKs do for every
   * service but S3 (dot segments resolved, the path encoded a second time); 'single'
   * as they do for S3 (the path kept as it is, each segment encoded once).
   */
  uriStyle?: 'normalized' | 'single';
}

/** The SigV4 algorithm name, and the SHA-256 of an empty payload. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** The fields of a parsed `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Verifies the request's signature over `payloadHash` (the x-amz-content-sha256
 * value, or the SHA-256 of the body the server read). Returns the access key ID;
 * throws a SigV4Error naming the check that failed.
 */
export function verifySigV4(req: SigV4Request, payloadHash: string, expect: SigV4Expectation): string {
  const authorization = single(req.headers, 'authorization');
  if (authorization === undefined) {
    if (req.rawQuery.includes('X-Amz-Signature=')) {
      throw new SigV4Error('incomplete-signature', 'Presigned (query-string) requests are not supported by this server; sign with the Authorization header');
    }
    throw new SigV4Error('missing-authentication', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);
  const longDate = requestDate(req.headers);

  if (auth.accessKeyId !== expect.credentials.accessKeyId) {
    throw new SigV4Error('unknown-access-key', 'The security token included in the request is invalid.');
  }
  if (single(req.headers, 'x-amz-security-token') !== undefined) {
    throw new SigV4Error('unknown-access-key', 'The security token included in the request is invalid.');
  }
  if (auth.scopeDate !== longDate.slice(0, 8)) {
    throw new SigV4Error(
      'invalid-scope',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`,
    );
  }
  if (auth.scopeRegion !== expect.region) {
    throw new SigV4Error('invalid-scope', `Credential should be scoped to a valid region, not '${auth.scopeRegion}'. This server accepts region '${expect.region}'.`);
  }
  if (auth.scopeService !== expect.service) {
    throw new SigV4Error('invalid-scope', `Credential should be scoped to correct service: '${expect.service}'. `);
  }
  if (auth.scopeTerminator !== 'aws4_request') {
    throw new SigV4Error('invalid-scope', `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.scopeTerminator}'.`);
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new SigV4Error('invalid-scope', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  for (const name of auth.signedHeaders) {
    if (!req.headers.has(name)) {
      throw new SigV4Error('signature-mismatch', `The request signature we calculated does not match the signature you provided: signed header '${name}' is not in the request.`);
    }
  }
  checkClock(longDate, expect.now, expect.maxSkewMs ?? FIFTEEN_MINUTES);

  const scope = `${auth.scopeDate}/${auth.scopeRegion}/${auth.scopeService}/${auth.scopeTerminator}`;
  const canonical = canonicalRequest(req, auth.signedHeaders, payloadHash, expect.uriStyle);
  const toSign = stringToSign(longDate, scope, canonical);
  const expected = signature(expect.credentials.secretAccessKey, auth.scopeDate, auth.scopeRegion, auth.scopeService, toSign);
  if (!sameHex(expected, auth.signature)) {
    throw new SigV4Error(
      'signature-mismatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${toSign}'\n`,
    );
  }
  return auth.accessKeyId;
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; throws IncompleteSignatureException when malformed. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${SIGV4_ALGORITHM} `)) {
    throw new SigV4Error('incomplete-signature', `Authorization header requires the algorithm '${SIGV4_ALGORITHM}' (Signature Version 4).`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  for (const [name, value] of [['Credential', credential], ['SignedHeaders', signedHeaders], ['Signature', sig]] as const) {
    if (!value) throw new SigV4Error('incomplete-signature', `Authorization header requires '${name}' parameter. Authorization=${trimmed.slice(0, 300)}`);
  }
  const scope = credential!.split('/');
  if (scope.length !== 5 || scope.some((s) => s === '')) {
    throw new SigV4Error('incomplete-signature', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  return {
    accessKeyId: scope[0],
    scopeDate: scope[1],
    scopeRegion: scope[2],
    scopeService: scope[3],
    scopeTerminator: scope[4],
    signedHeaders: signedHeaders!.split(';').map((h) => h.trim().toLowerCase()),
    signature: sig!.toLowerCase(),
  };
}

/** SigV4 canonical request for the given signed headers (names in lowercase). */
export function canonicalRequest(req: SigV4Request, signedHeaders: readonly string[], payloadHash: string, uriStyle: 'normalized' | 'single' = 'normalized'): string {
  const names = [...signedHeaders].sort();
  const headerLines = names.map((name) => `${name}:${canonicalHeaderValue(req.headers.get(name) ?? [])}`);
  const path = uriStyle === 'single' ? canonicalS3Path(req.rawPath) : canonicalPath(req.rawPath);
  return [req.method.toUpperCase(), path, canonicalQuery(req.rawQuery), ...headerLines, '', names.join(';'), payloadHash].join('\n');
}

/** Canonical URI as SDKs build it for S3: the path kept segment for segment (no dot resolution), each segment encoded once. */
export function canonicalS3Path(rawPath: string): string {
  return rawPath.split('/').map((segment) => uriEncode(decode(segment))).join('/');
}

/** The string to sign for `canonical` at `longDate` (ISO 8601 basic) in `scope`. */
export function stringToSign(longDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, longDate, scope, sha256Hex(canonical)].join('\n');
}

/** The hex signature of `toSign` with the key derived from `secret` for the scope. */
export function signature(secret: string, date: string, region: string, service: string, toSign: string): string {
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(toSign, 'utf8').digest('hex');
}

/**
 * Canonical URI as AWS SDKs build it for non-S3 services: "." and ".." segments
 * resolved, empty segments dropped, then the (already encoded) path encoded again.
 */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

/** Canonical query: parameters decoded, re-encoded strictly, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = uriEncode(decode(eq < 0 ? part : part.slice(0, eq)));
    const value = uriEncode(decode(eq < 0 ? '' : part.slice(eq + 1)));
    if (key.toLowerCase() === 'x-amz-signature') continue;
    pairs.push([key, value]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** RFC 3986 encoding: everything but A–Z a–z 0–9 - _ . ~ is percent-encoded. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Lowercase hex SHA-256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Groups Node's `rawHeaders` ([name, value, name, value, …]) by lowercase name. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1]);
    else map.set(name, [rawHeaders[i + 1]]);
  }
  return map;
}

/** The request's signing date (x-amz-date, or an ISO 8601 basic Date header). */
function requestDate(headers: ReadonlyMap<string, readonly string[]>): string {
  const value = single(headers, 'x-amz-date') ?? single(headers, 'date');
  if (value === undefined) {
    throw new SigV4Error('incomplete-signature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (!/^\d{8}T\d{6}Z$/.test(value)) {
    throw new SigV4Error('incomplete-signature', `The signing date must be in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z'), got '${value}'.`);
  }
  return value;
}

function checkClock(longDate: string, now: Date, maxSkewMs: number): void {
  const signed = Date.UTC(+longDate.slice(0, 4), +longDate.slice(4, 6) - 1, +longDate.slice(6, 8), +longDate.slice(9, 11), +longDate.slice(11, 13), +longDate.slice(13, 15));
  const nowMs = now.getTime();
  if (signed < nowMs - maxSkewMs) {
    throw new SigV4Error(
      'clock-skew',
      `Signature expired: ${longDate} is now earlier than ${basicDate(nowMs - maxSkewMs)} (${basicDate(nowMs)} - ${Math.round(maxSkewMs / 60000)} min.)`,
    );
  }
  if (signed > nowMs + maxSkewMs) {
    throw new SigV4Error(
      'clock-skew',
      `Signature not yet current: ${longDate} is still later than ${basicDate(nowMs + maxSkewMs)} (${basicDate(nowMs)} + ${Math.round(maxSkewMs / 60000)} min.)`,
    );
  }
}

/** ISO 8601 basic format (YYYYMMDDTHHMMSSZ) of an epoch time. */
export function basicDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

function single(headers: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  const values = headers.get(name);
  return values === undefined ? undefined : values.join(',');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
