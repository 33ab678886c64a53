/**
 * glacier-local driven by the official @aws-sdk/client-glacier: vault, archive and
 * multipart operations with their error cases, and the protocol layer (SigV4,
 * x-amz-glacier-version, error bodies). Jobs and inventories: glacier-local-jobs.test.ts.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  InitiateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { combineTreeHashes, treeHash } from '../src/treehash/tree-hash.js';
import { expectGlacierError, MiB, pattern, sdkError, signedFetch, startTestServer } from './glacier-local-helpers.js';
import type { GlacierMiddleware } from './glacier-local-helpers.js';
import type { TestServer } from './glacier-local-helpers.js';

let s: TestServer;
let c: GlacierClient;
before(async () => {
  s = await startTestServer();
  c = s.client;
});
after(() => s.cleanup());

const vault = (name: string) => c.send(new CreateVaultCommand({ accountId: '-', vaultName: name }));

async function upload(vaultName: string, body: Buffer, description?: string) {
  return c.send(new UploadArchiveCommand({ accountId: '-', vaultName, body, checksum: treeHash(body), archiveDescription: description }));
}

async function initiate(vaultName: string, partSize: number, description?: string): Promise<string> {
  const out = await c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(partSize), archiveDescription: description }));
  return out.uploadId!;
}

function putPart(vaultName: string, uploadId: string, start: number, body: Buffer, checksum = treeHash(body)) {
  return c.send(
    new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body, checksum }),
  );
}

describe('vaults', () => {
  test('CreateVault answers 201 with the vault URI under the numeric account, and is idempotent', async () => {
    const out = await vault('create-me');
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.location, '/000000000000/vaults/create-me');
    assert.equal((await vault('create-me')).location, '/000000000000/vaults/create-me');
  });

  test('DescribeVault of a new vault: ARN, name, creation date, no inventory yet, zero archives', async () => {
    await vault('describe-me');
    const d = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'describe-me' }));
    assert.equal(d.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/describe-me');
    assert.equal(d.VaultName, 'describe-me');
    assert.match(d.CreationDate!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(d.LastInventoryDate, undefined);
    assert.equal(d.NumberOfArchives, 0);
    assert.equal(d.SizeInBytes, 0);
  });

  test('vault names outside 1–255 of a-z A-Z 0-9 _ - . are InvalidParameterValueException', async () => {
    await expectGlacierError(vault('bad!name'), 'InvalidParameterValueException', 400, /Invalid vault name/);
    await expectGlacierError(vault('x'.repeat(256)), 'InvalidParameterValueException', 400);
  });

  test('an unknown vault is ResourceNotFoundException naming its ARN', async () => {
    await expectGlacierError(
      c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'no-such-vault' })),
      'ResourceNotFoundException',
      404,
      /^Vault not found for ARN: arn:aws:glacier:us-east-1:000000000000:vaults\/no-such-vault$/,
    );
  });

  test('the numeric account ID works like "-"; another account is AccessDeniedException', async () => {
    await vault('by-number');
    const d = await c.send(new DescribeVaultCommand({ accountId: '000000000000', vaultName: 'by-number' }));
    assert.equal(d.VaultName, 'by-number');
    await expectGlacierError(c.send(new DescribeVaultCommand({ accountId: '111122223333', vaultName: 'by-number' })), 'AccessDeniedException', 403);
  });

  test('ListVaults pages in ASCII order, 10 by default, with marker and limit', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `list-${String.fromCharCode(97 + i)}`);
    for (const n of names.slice().reverse()) await vault(n);
    const all: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await c.send(new ListVaultsCommand({ accountId: '-', marker }));
      assert.ok(page.VaultList!.length <= 10);
      all.push(...page.VaultList!.map((v) => v.VaultName!));
      marker = page.Marker;
      pages += 1;
    } while (marker);
    assert.ok(pages >= 2);
    assert.deepEqual(all.filter((n) => n.startsWith('list-')), names);
    assert.deepEqual([...all].sort(), all);

    const first = await c.send(new ListVaultsCommand({ accountId: '-', limit: 2, marker: 'arn:aws:glacier:us-east-1:000000000000:vaults/list-c' }));
    assert.deepEqual(first.VaultList!.map((v) => v.VaultName), ['list-c', 'list-d']);
    assert.equal(first.Marker, 'arn:aws:glacier:us-east-1:000000000000:vaults/list-e');
    await expectGlacierError(c.send(new ListVaultsCommand({ accountId: '-', limit: 0 })), 'InvalidParameterValueException', 400);
    await expectGlacierError(c.send(new ListVaultsCommand({ accountId: '-', marker: 'not-an-arn' })), 'InvalidParameterValueException', 400, /Invalid marker/);
  });

  test('DeleteVault removes an empty vault and refuses one holding archives', async () => {
    await vault('delete-empty');
    const del = await c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-empty' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await expectGlacierError(c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'delete-empty' })), 'ResourceNotFoundException', 404);
    await expectGlacierError(c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-empty' })), 'ResourceNotFoundException', 404);

    await vault('delete-full');
    const a = await upload('delete-full', pattern(100, 3));
    await expectGlacierError(
      c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-full' })),
      'InvalidParameterValueException',
      400,
      /^Vault not empty or recently written to: arn:aws:glacier:us-east-1:000000000000:vaults\/delete-full$/,
    );
    await c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'delete-full', archiveId: a.archiveId }));
    await c.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-full' }));
    assert.ok(!(await readdir(join(s.dir, 'archives'))).includes(a.archiveId!), 'archive files removed');
  });
});

describe('vault limit', () => {
  test('an account holds at most 1000 vaults: the next CreateVault is LimitExceededException, an existing name still succeeds', async (t) => {
    const own = await startTestServer();
    t.after(() => own.cleanup());
    const names = Array.from({ length: 1000 }, (_, i) => `v${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((vaultName) => own.client.send(new CreateVaultCommand({ accountId: '-', vaultName }))));
    }
    await expectGlacierError(own.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'one-too-many' })), 'LimitExceededException', 400);
    assert.equal((await own.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v0999' }))).$metadata.httpStatusCode, 201);
  });
});

describe('single-request archives', () => {
  before(() => vault('archives'));

  test('UploadArchive answers 201 with Location, archive ID (138 URL-safe characters) and the tree hash', async () => {
    const body = pattern(3 * MiB + 5, 11);
    const out = await upload('archives', body, 'nightly 2024-01-01, full');
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.match(out.archiveId!, /^[A-Za-z0-9_-]{138}$/);
    assert.equal(out.location, `/000000000000/vaults/archives/archives/${out.archiveId}`);
    assert.equal(out.checksum, treeHash(body));
    const d = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'archives' }));
    assert.equal(d.NumberOfArchives, 1);
    assert.equal(d.SizeInBytes, body.length);
    assert.ok(d.LastInventoryDate);
  });

  test('a wrong x-amz-sha256-tree-hash is refused and nothing is stored', async () => {
    const body = pattern(2 * MiB, 12);
    const before = (await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'archives' }))).NumberOfArchives;
    await expectGlacierError(
      c.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'archives', body, checksum: treeHash(pattern(2 * MiB, 13)) })),
      'InvalidParameterValueException',
      400,
      /Checksum mismatch/,
    );
    const after = (await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'archives' }))).NumberOfArchives;
    assert.equal(after, before);
  });

  test('descriptions longer than 1024 characters or not printable ASCII are refused', async () => {
    const body = pattern(10, 1);
    await expectGlacierError(upload('archives', body, 'd'.repeat(1025)), 'InvalidParameterValueException', 400, /longer than 1024/);
    await expectGlacierError(upload('archives', body, 'caf\u00e9'), 'InvalidParameterValueException', 400, /printable ASCII/);
    const ok = await upload('archives', body, `${' '.repeat(3)}${'~'.repeat(1021)}`);
    assert.ok(ok.archiveId);
  });

  test('an empty archive is refused; an upload to an unknown vault is ResourceNotFoundException', async () => {
    // the SDK cannot send an empty body, so this request is signed by hand
    const res = await signedFetch(s.gl, 'POST', '/-/vaults/archives/archives', {
      body: Buffer.alloc(0),
      headers: { 'x-amz-sha256-tree-hash': treeHash(Buffer.alloc(0)) },
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'InvalidParameterValueException');
    await expectGlacierError(upload('nowhere', pattern(10, 2)), 'ResourceNotFoundException', 404);
  });

  test('bytes altered after signing fail the x-amz-content-sha256 check', async () => {
    const client = s.clientWith({});
    const flipLastByte: GlacierMiddleware = (next) => async (args) => {
        const req = args.request as { body: Uint8Array };
        const copy = Buffer.from(req.body);
        copy[copy.length - 1] ^= 0xff;
        req.body = copy;
        return next(args);
      };
    client.middlewareStack.addRelativeTo(flipLastByte, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'flipLastByte' });
    const body = pattern(4096, 5);
    await expectGlacierError(
      client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'archives', body, checksum: treeHash(body) })),
      'InvalidSignatureException',
      403,
      /x-amz-content-sha256 does not match the computed payload hash/,
    );
    client.destroy();
  });

  test('DeleteArchive answers 204, again for an already-deleted archive; unknown and malformed IDs are refused', async () => {
    const a = await upload('archives', pattern(1000, 9));
    const first = await c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'archives', archiveId: a.archiveId }));
    assert.equal(first.$metadata.httpStatusCode, 204);
    const again = await c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'archives', archiveId: a.archiveId }));
    assert.equal(again.$metadata.httpStatusCode, 204);
    await expectGlacierError(c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'archives', archiveId: 'A'.repeat(138) })), 'ResourceNotFoundException', 404);
    await expectGlacierError(c.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'archives', archiveId: 'short' })), 'InvalidParameterValueException', 400);
  });
});

describe('multipart uploads', () => {
  before(() => vault('mp'));

  test('parts in any order, a re-sent part replacing the first, then Complete: the archive has the whole tree hash', async () => {
    const data = pattern(5 * MiB + 3, 21);
    const uploadId = await initiate('mp', 2 * MiB, 'mp archive');
    assert.match(uploadId, /^[A-Za-z0-9_-]{92}$/);
    const part = (i: number) => data.subarray(i * 2 * MiB, Math.min(data.length, (i + 1) * 2 * MiB));
    const r2 = await putPart('mp', uploadId, 4 * MiB, part(2));
    assert.equal(r2.$metadata.httpStatusCode, 204);
    assert.equal(r2.checksum, treeHash(part(2)));
    await putPart('mp', uploadId, 0, pattern(2 * MiB, 99)); // wrong bytes first …
    await putPart('mp', uploadId, 0, part(0)); // … replaced
    await putPart('mp', uploadId, 2 * MiB, part(1));

    const parts = await c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp', uploadId }));
    assert.equal(parts.PartSizeInBytes, 2 * MiB);
    assert.equal(parts.ArchiveDescription, 'mp archive');
    assert.equal(parts.MultipartUploadId, uploadId);
    assert.equal(parts.VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/mp');
    assert.deepEqual(
      parts.Parts!.map((p) => [p.RangeInBytes, p.SHA256TreeHash]),
      [0, 1, 2].map((i) => [`${i * 2 * MiB}-${i * 2 * MiB + part(i).length - 1}`, treeHash(part(i))]),
    );
    assert.equal(parts.Marker, undefined);

    const done = await c.send(
      new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }),
    );
    assert.equal(done.$metadata.httpStatusCode, 201);
    assert.match(done.archiveId!, /^[A-Za-z0-9_-]{138}$/);
    assert.equal(done.location, `/000000000000/vaults/mp/archives/${done.archiveId}`);
    assert.equal(done.checksum, treeHash(data));
    assert.equal(combineTreeHashes([0, 1, 2].map((i) => treeHash(part(i)))), treeHash(data));

    // Complete is idempotent for a while: same archive ID, no second archive
    const again = await c.send(
      new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }),
    );
    assert.equal(again.archiveId, done.archiveId);
    // the upload is gone from listings and part operations
    await expectGlacierError(c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp', uploadId })), 'ResourceNotFoundException', 404);
    await expectGlacierError(putPart('mp', uploadId, 0, part(0)), 'ResourceNotFoundException', 404);
    await expectGlacierError(c.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId })), 'ResourceNotFoundException', 404);
    const list = await c.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'mp' }));
    assert.ok(!list.UploadsList!.some((u) => u.MultipartUploadId === uploadId));
  });

  test('two concurrent Completes of one upload create one archive and both get its ID', async () => {
    await vault('mp-race');
    const data = pattern(MiB + 1, 22);
    const uploadId = await initiate('mp-race', MiB);
    await putPart('mp-race', uploadId, 0, data.subarray(0, MiB));
    await putPart('mp-race', uploadId, MiB, data.subarray(MiB));
    const complete = () =>
      c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'mp-race', uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
    const [a, b] = await Promise.all([complete(), complete()]);
    assert.equal(a.archiveId, b.archiveId);
    assert.equal((await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'mp-race' }))).NumberOfArchives, 1);
  });

  test('part sizes must be 1 MiB times a power of two up to 4 GiB, and present', async () => {
    for (const bad of [3 * MiB, MiB / 2, 8192 * MiB]) {
      await expectGlacierError(initiate('mp', bad), 'InvalidParameterValueException', 400, /part size/);
    }
    await expectGlacierError(
      c.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'mp' })),
      'MissingParameterValueException',
      400,
      /x-amz-part-size/,
    );
  });

  test('parts that are misaligned, larger than the part size, mis-hashed or without Content-Range are refused', async () => {
    const uploadId = await initiate('mp', MiB);
    const body = pattern(MiB, 31);
    await expectGlacierError(putPart('mp', uploadId, 512 * 1024, body.subarray(0, 1024)), 'InvalidParameterValueException', 400, /align/);
    await expectGlacierError(putPart('mp', uploadId, 0, pattern(MiB + 1, 1)), 'InvalidParameterValueException', 400, /larger than the part size/);
    await expectGlacierError(putPart('mp', uploadId, 0, body, treeHash(pattern(MiB, 32))), 'InvalidParameterValueException', 400, /Checksum mismatch/);
    await expectGlacierError(
      c.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'mp', uploadId, body, checksum: treeHash(body) })),
      'MissingParameterValueException',
      400,
      /Content-Range/,
    );
    const parts = await c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp', uploadId }));
    assert.deepEqual(parts.Parts, []);
  });

  test('Complete checks the total size, the whole tree hash, gaps and short middle parts; the upload stays open', async () => {
    const data = pattern(3 * MiB, 41);
    const uploadId = await initiate('mp', MiB);
    const complete = (size: number, hash: string) =>
      c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId, archiveSize: String(size), checksum: hash }));
    await expectGlacierError(complete(data.length, treeHash(data)), 'InvalidParameterValueException', 400, /No parts/);
    await putPart('mp', uploadId, 0, data.subarray(0, MiB));
    await putPart('mp', uploadId, 2 * MiB, data.subarray(2 * MiB));
    await expectGlacierError(complete(data.length, treeHash(data)), 'InvalidParameterValueException', 400, /Missing part: bytes 1048576-2097151/);
    await putPart('mp', uploadId, MiB, data.subarray(MiB, MiB + 10)); // short, not last
    await expectGlacierError(complete(2 * MiB + 10, treeHash(data)), 'InvalidParameterValueException', 400, /smaller than the part size 1048576 but is not the last part/);
    await putPart('mp', uploadId, MiB, data.subarray(MiB, 2 * MiB));
    await expectGlacierError(complete(data.length + 1, treeHash(data)), 'InvalidParameterValueException', 400, /does not match the total size/);
    await expectGlacierError(complete(data.length, treeHash(pattern(3 * MiB, 42))), 'InvalidParameterValueException', 400, /Checksum mismatch/);
    await expectGlacierError(
      c.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId, checksum: treeHash(data) })),
      'MissingParameterValueException',
      400,
      /x-amz-archive-size/,
    );
    const done = await complete(data.length, treeHash(data));
    assert.ok(done.archiveId);
  });

  test('ListMultipartUploads and ListParts paginate with marker and limit', async () => {
    await vault('mp-list');
    const ids = [await initiate('mp-list', MiB, 'one'), await initiate('mp-list', 2 * MiB, 'two'), await initiate('mp-list', 4 * MiB)];
    const page1 = await c.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'mp-list', limit: 2 }));
    assert.deepEqual(page1.UploadsList!.map((u) => u.MultipartUploadId), ids.slice(0, 2));
    assert.deepEqual(page1.UploadsList!.map((u) => [u.ArchiveDescription, u.PartSizeInBytes]), [['one', MiB], ['two', 2 * MiB]]);
    assert.equal(page1.UploadsList![0].VaultARN, 'arn:aws:glacier:us-east-1:000000000000:vaults/mp-list');
    assert.ok(page1.Marker);
    const page2 = await c.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'mp-list', limit: 2, marker: page1.Marker }));
    assert.deepEqual(page2.UploadsList!.map((u) => u.MultipartUploadId), ids.slice(2));
    assert.equal(page2.Marker, undefined);

    const uploadId = ids[0];
    for (let i = 4; i >= 0; i--) await putPart('mp-list', uploadId, i * MiB, pattern(MiB, 50 + i));
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp-list', uploadId, limit: 2, marker }));
      assert.ok(page.Parts!.length <= 2);
      seen.push(...page.Parts!.map((p) => p.RangeInBytes!));
      marker = page.Marker;
    } while (marker);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `${i * MiB}-${(i + 1) * MiB - 1}`));
    await expectGlacierError(c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp-list', uploadId, marker: 'garbage' })), 'InvalidParameterValueException', 400);
  });

  test('AbortMultipartUpload answers 204, again for an aborted upload; afterwards the upload is gone', async () => {
    const uploadId = await initiate('mp', MiB);
    await putPart('mp', uploadId, 0, pattern(MiB, 61));
    assert.equal((await c.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId }))).$metadata.httpStatusCode, 204);
    assert.equal((await c.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId }))).$metadata.httpStatusCode, 204);
    await expectGlacierError(putPart('mp', uploadId, 0, pattern(MiB, 61)), 'ResourceNotFoundException', 404, /upload ID was not found/);
    await expectGlacierError(c.send(new ListPartsCommand({ accountId: '-', vaultName: 'mp', uploadId })), 'ResourceNotFoundException', 404);
    assert.ok(!(await readdir(join(s.dir, 'uploads'))).includes(uploadId), 'part files removed');
    await expectGlacierError(c.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: 'mp', uploadId: 'x'.repeat(92) })), 'ResourceNotFoundException', 404);
  });
});

describe('protocol', () => {
  test('a wrong secret key is InvalidSignatureException (403); an unknown access key UnrecognizedClientException', async () => {
    const wrongSecret = s.clientWith({ credentials: { ...s.gl.credentials, secretAccessKey: 'not-the-secret' } });
    await expectGlacierError(wrongSecret.send(new ListVaultsCommand({ accountId: '-' })), 'InvalidSignatureException', 403, /signature we calculated does not match/);
    const wrongKey = s.clientWith({ credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: s.gl.credentials.secretAccessKey } });
    await expectGlacierError(wrongKey.send(new ListVaultsCommand({ accountId: '-' })), 'UnrecognizedClientException', 400, /security token/);
    const otherRegion = s.clientWith({ region: 'eu-west-1' });
    await expectGlacierError(otherRegion.send(new ListVaultsCommand({ accountId: '-' })), 'InvalidSignatureException', 403, /region/);
  });

  test('a clock 20 minutes slow: "Signature expired" without retries; the SDK corrects the skew and succeeds with retries', async () => {
    const slow = s.clientWith({ systemClockOffset: -20 * 60_000 });
    await expectGlacierError(slow.send(new ListVaultsCommand({ accountId: '-' })), 'InvalidSignatureException', 403, /^Signature expired/);
    const retrying = s.clientWith({ systemClockOffset: -20 * 60_000, maxAttempts: 3 });
    const out = await retrying.send(new ListVaultsCommand({ accountId: '-' }));
    assert.equal(out.$metadata.attempts, 2);
  });

  test('x-amz-glacier-version is required', async () => {
    const client = s.clientWith({});
    const dropVersion: GlacierMiddleware = (next) => async (args) => {
      delete (args.request as { headers: Record<string, string> }).headers['x-amz-glacier-version'];
      return next(args);
    };
    client.middlewareStack.addRelativeTo(dropVersion, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'dropVersion' });
    await expectGlacierError(client.send(new ListVaultsCommand({ accountId: '-' })), 'MissingParameterValueException', 400, /x-amz-glacier-version/);
    client.destroy();
  });

  test('errors are JSON {code, message, type} with x-amzn-RequestId; unsigned requests are MissingAuthenticationTokenException', async () => {
    const res = await fetch(`${s.gl.endpoint}/-/vaults`, { headers: { 'x-amz-glacier-version': '2012-06-01' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[A-Za-z0-9_-]{47}$/);
    assert.deepEqual(await res.json(), { code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token', type: 'Client' });
  });

  test('Glacier operations this server does not implement are BadRequest', async () => {
    await vault('tags');
    const err = await sdkError(c.send(new ListTagsForVaultCommand({ accountId: '-', vaultName: 'tags' })));
    assert.equal(err.name, 'BadRequest');
    assert.match(err.message, /ListTagsForVault is not implemented/);
  });

  test('stats count requests and body bytes per operation', async () => {
    await vault('stats');
    const before = s.gl.stats();
    const body = pattern(70_000, 77);
    await upload('stats', body);
    const after = s.gl.stats();
    assert.equal(after.UploadArchive - (before.UploadArchive ?? 0), 1);
    assert.equal(after['UploadArchive.bytesReceived'] - (before['UploadArchive.bytesReceived'] ?? 0), body.length);
    assert.ok(after.requests > before.requests);
  });
});
