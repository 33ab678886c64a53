import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SigV4Error } from './verify-sigv4.js';
import { canonicalPath, canonicalQuery, EMPTY_SHA256, parseAuthorization, verifySigV4 } from './verify-sigv4.js';
import type { SigV4Request } from './verify-sigv4.js';

// The worked examples of the Glacier Developer Guide, "Signing Requests".
const docCredentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function request(method: string, path: string, headers: Record<string, string>, query = ''): SigV4Request {
  return { method, rawPath: path, rawQuery: query, headers: new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]])) };
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SigV4Error, String(err));
    assert.equal(err.reason, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const createVault = () =>
  request('PUT', '/-/vaults/examplevault', {
    host: 'glacier.us-east-1.amazonaws.com',
    'x-amz-date': '20120525T002453Z',
    'x-amz-glacier-version': '2012-06-01',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20120525/us-east-1/glacier/aws4_request, SignedHeaders=host;x-amz-date;x-amz-glacier-version, Signature=3ce5b2f2fffac9262b4da9256f8d086b4aaf42eba5f111c21681a65a127b7c2a',
  });
const at = (iso: string) => new Date(iso);

test('accepts the Developer Guide Create Vault signature example', () => {
  const key = verifySigV4(createVault(), EMPTY_SHA256, { credentials: docCredentials, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') });
  assert.equal(key, 'AKIAIOSFODNN7EXAMPLE');
});

// The guide's streaming example prints a signature (b0923974…) that does not follow from the canonical
// request it shows; e8ba379a… is that canonical request signed by an independent implementation
// (Python's hmac/hashlib), so the example still pins the streaming header's place in the signature.
test('accepts the Developer Guide streaming (Upload Archive) example over x-amz-content-sha256', () => {
  const sha = '726e392cb4d09924dbad1cc0ba3b00c3643d03d14cb4b823e2f041cff612a628';
  const req = request('POST', '/-/vaults/examplevault', {
    host: 'glacier.us-east-1.amazonaws.com',
    'x-amz-date': '20120507T000000Z',
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': sha,
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20120507/us-east-1/glacier/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-glacier-version, Signature=e8ba379a747bc294584102fd2430f7a563696740882e149c87b15754e7c10a89',
  });
  verifySigV4(req, sha, { credentials: docCredentials, region: 'us-east-1', service: 'glacier', now: at('2012-05-07T00:05:00Z') });
});

test('a wrong secret key is a signature mismatch naming the expected canonical request', () => {
  expectCode(
    () => verifySigV4(createVault(), EMPTY_SHA256, { credentials: { ...docCredentials, secretAccessKey: 'wrong' }, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }),
    'signature-mismatch',
    /does not match the signature you provided[\s\S]*PUT\n\/-\/vaults\/examplevault\n/,
  );
});

test('a different payload hash breaks the signature', () => {
  expectCode(
    () => verifySigV4(createVault(), 'ab'.repeat(32), { credentials: docCredentials, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }),
    'signature-mismatch',
  );
});

test('an unknown access key is refused as unknown', () => {
  expectCode(
    () => verifySigV4(createVault(), EMPTY_SHA256, { credentials: { ...docCredentials, accessKeyId: 'AKIAOTHER' }, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }),
    'unknown-access-key',
    /security token included in the request is invalid/,
  );
});

test('a credential scope for another region is refused', () => {
  expectCode(
    () => verifySigV4(createVault(), EMPTY_SHA256, { credentials: docCredentials, region: 'eu-west-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }),
    'invalid-scope',
    /scoped to a valid region, not 'us-east-1'/,
  );
});

test('a signature more than 15 minutes old is "Signature expired"; one from the future is "not yet current"', () => {
  const expect = { credentials: docCredentials, region: 'us-east-1', service: 'glacier' };
  expectCode(() => verifySigV4(createVault(), EMPTY_SHA256, { ...expect, now: at('2012-05-25T00:40:00Z') }), 'clock-skew', /^Signature expired: 20120525T002453Z is now earlier than/);
  expectCode(() => verifySigV4(createVault(), EMPTY_SHA256, { ...expect, now: at('2012-05-25T00:05:00Z') }), 'clock-skew', /^Signature not yet current/);
  verifySigV4(createVault(), EMPTY_SHA256, { ...expect, now: at('2012-05-25T00:38:00Z') });
});

test('a request without Authorization is refused as unauthenticated', () => {
  const req = createVault();
  (req.headers as Map<string, string[]>).delete('authorization');
  expectCode(() => verifySigV4(req, EMPTY_SHA256, { credentials: docCredentials, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }), 'missing-authentication');
});

test('malformed Authorization headers are refused as incomplete', () => {
  expectCode(() => parseAuthorization('AWS AKIA:abc'), 'incomplete-signature');
  expectCode(() => parseAuthorization('AWS4-HMAC-SHA256 Credential=AKIA/20120525/us-east-1/glacier/aws4_request, Signature=ab'), 'incomplete-signature', /SignedHeaders/);
  expectCode(() => parseAuthorization('AWS4-HMAC-SHA256 Credential=AKIA/20120525, SignedHeaders=host, Signature=ab'), 'incomplete-signature', /5 slash-delimited/);
});

test('host must be signed', () => {
  const req = request('GET', '/-/vaults', {
    host: 'h',
    'x-amz-date': '20120525T002453Z',
    authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20120525/us-east-1/glacier/aws4_request, SignedHeaders=x-amz-date, Signature=00',
  });
  expectCode(() => verifySigV4(req, EMPTY_SHA256, { credentials: docCredentials, region: 'us-east-1', service: 'glacier', now: at('2012-05-25T00:24:53Z') }), 'invalid-scope', /Host/);
});

test('canonical query sorts parameters and encodes them strictly; canonical path re-encodes the received path', () => {
  assert.equal(canonicalQuery('marker=arn%3Aaws%3Aglacier%3Aus-east-1%3A0%3Avaults%2Fa&limit=2'), 'limit=2&marker=arn%3Aaws%3Aglacier%3Aus-east-1%3A0%3Avaults%2Fa');
  assert.equal(canonicalQuery('b=&a=x y'), 'a=x%20y&b=');
  assert.equal(canonicalPath('/-/vaults/a%20b'), '/-/vaults/a%2520b');
  assert.equal(canonicalPath('/-/vaults/./x/../y'), '/-/vaults/y');
});
