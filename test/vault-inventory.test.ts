import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { InitiateMultipartUploadCommand } from '@aws-sdk/client-glacier';
import { BackupError } from '../src/errors.js';
import { MiB, treeHash } from '../src/treehash/tree-hash.js';
import { encodeDescription } from '../src/storage/archive-description.js';
import { reconcileInventory } from '../src/storage/glacier/inventory.js';
import { memoryJournal } from '../src/storage/memory-journal.js';
import { openVault } from '../src/storage/glacier/open-vault.js';
import { glacierBackend } from '../src/storage/glacier/glacier-backend.js';
import { abortStaleUploads } from '../src/storage/abort-stale-uploads.js';
import { pseudoRandom, vaultFixture } from './vault-fixture.js';

test('an inventory fetched through a job reconciles with the catalog and decodes unknown archives', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'GetJobOutput', kind: 'error500', nth: [1] }] });
  try {
    const stored: Array<{ seq: number; archiveId: string; size: number; treeHash: string }> = [];
    for (const seq of [1, 2, 3]) {
      const data = pseudoRandom(seq * 700_000, seq);
      const fileName = `docs-00000${seq}-L${seq - 1}.tar.gz`;
      const description = encodeDescription({ kind: 'data', host: 'nas', set: 'docs', seq, level: seq - 1, parentSeq: seq === 1 ? null : seq - 1, createdAt: new Date(Date.UTC(2026, 10, seq, 2, 30)), fileName });
      const res = await fx.vault.uploadArchive({ path: await fx.file(fileName, data), description, journal: memoryJournal() });
      stored.push({ seq, archiveId: res.archiveId, size: res.size, treeHash: res.treeHash });
    }
    const foreign = await fx.vault.uploadArchive({ path: await fx.file('x', pseudoRandom(1000, 9)), description: 'my old photos', journal: memoryJournal() });

    const jobId = await fx.vault.initiateInventory();
    await fx.vault.waitForJob(jobId, { initialMs: 5, maxMs: 20 });
    const inv = await fx.vault.fetchInventory(jobId);
    assert.equal(inv.archives.length, 4);
    assert.match(inv.vaultArn, /vaults\/test-vault$/);

    // the catalog knows 1 and 2 (2 with a wrong size) and an archive the vault does not have
    const catalog = [stored[0], { ...stored[1], size: stored[1].size + 1 }, { seq: 9, archiveId: 'gone', size: 1, treeHash: treeHash(Buffer.from('x')) }];
    const r = reconcileInventory(inv.archives, catalog);
    assert.equal(r.matched, 1);
    assert.deepEqual(r.mismatched.map((m) => m.seq), [2]);
    assert.deepEqual(r.missingFromVault.map((m) => m.seq), [9]);
    const unknown = new Map(r.unknownInVault.map((u) => [u.archiveId, u]));
    assert.equal(unknown.size, 2);
    const third = unknown.get(stored[2].archiveId)!;
    assert.equal(third.decoded?.seq, 3);
    assert.equal(third.decoded?.parentSeq, 2);
    assert.equal(third.decoded?.fileName, 'docs-000003-L2.tar.gz');
    assert.equal(third.size, stored[2].size);
    assert.equal(third.treeHash, stored[2].treeHash);
    assert.equal(unknown.get(foreign.archiveId)?.decoded, null);
  } finally {
    await fx.close();
  }
});

test('vault housekeeping: describe, list, stale uploads, delete', async () => {
  const fx = await vaultFixture();
  try {
    const info = await fx.vault.describeVault();
    assert.equal(info.vaultName, 'test-vault');
    assert.ok((await fx.vault.listVaults()).some((v) => v.vaultName === 'test-vault'));
    await fx.vault.createVault(); // creating an existing vault is not an error

    const start = async () => (await fx.vault.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'test-vault', partSize: String(MiB), archiveDescription: 'stale' }))).uploadId!;
    const a = await start();
    const b = await start();
    const listed = await fx.vault.listUploads();
    assert.deepEqual(listed.map((u) => u.uploadId).sort(), [a, b].sort());
    assert.equal(listed[0].partSize, MiB);
    // stale uploads are aborted through the storage seam, as `backup uploads abort` does
    const backend = glacierBackend(fx.vault, { pollMs: 5 });
    assert.deepEqual(await abortStaleUploads(backend, { olderThanMs: 7 * 86_400_000, now: new Date(), keep: new Set() }), [], 'nothing is a week old');
    const aborted = await abortStaleUploads(backend, { olderThanMs: 0, now: new Date(Date.now() + 1000), keep: new Set([b]) });
    assert.deepEqual(aborted.map((u) => u.uploadId), [a]);
    assert.deepEqual((await fx.vault.listUploads()).map((u) => u.uploadId), [b]);
    await fx.vault.abortUpload(b);
    await fx.vault.abortUpload(b); // Glacier: aborting an aborted upload succeeds for a while
    await assert.rejects(fx.vault.abortUpload('never-existed'), (e: BackupError) => e.code === 'VAULT_ITEM_NOT_FOUND' && /multipart upload never-existed not found in vault test-vault/.test(e.message));

    const res = await fx.vault.uploadArchive({ path: await fx.file('z', pseudoRandom(5000, 3)), description: 'z', journal: memoryJournal() });
    await fx.vault.deleteArchive(res.archiveId);
    await assert.rejects(fx.vault.deleteArchive('no-such-archive'), (e: BackupError) => e.code === 'VAULT_ITEM_NOT_FOUND' || e.code === 'VAULT');
  } finally {
    await fx.close();
  }
});

test('failures reach the user as typed errors: missing vault, bad credentials, unreachable endpoint', async () => {
  const fx = await vaultFixture();
  try {
    const missing = openVault({ ...fx.config, name: 'nope' }, { endpoint: fx.server.endpoint, credentials: fx.server.credentials });
    await assert.rejects(missing.describeVault(), (e: BackupError) => e.code === 'VAULT_NOT_FOUND' && /vault nope does not exist .*backup vault create/.test(e.message));
    await assert.rejects(
      missing.uploadArchive({ path: await fx.file('m', pseudoRandom(3 * MiB, 1)), description: 'm', journal: memoryJournal() }),
      (e: BackupError) => e.code === 'VAULT_NOT_FOUND',
    );
    missing.close();

    const secret = 'wrong-secret-value-1234';
    const badCreds = openVault(fx.config, { endpoint: fx.server.endpoint, credentials: { accessKeyId: fx.server.credentials.accessKeyId, secretAccessKey: secret } });
    await assert.rejects(badCreds.describeVault(), (e: BackupError) => {
      assert.equal(e.code, 'VAULT_AUTH');
      assert.match(e.message, /check the credentials for vault test-vault/);
      assert.ok(!e.message.includes(secret), 'the secret is not in the message');
      return true;
    });
    badCreds.close();

    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const logs: string[] = [];
    const down = openVault({ ...fx.config, maxRetries: 2 }, { endpoint, credentials: fx.server.credentials, log: (m) => logs.push(m), retry: { baseMs: 1, maxMs: 2 } });
    await assert.rejects(down.describeVault(), (e: BackupError) => e.code === 'NETWORK' && e.message.includes(endpoint));
    assert.equal(logs.filter((l) => /DescribeVault: .*ECONNREFUSED.*retry/.test(l)).length, 2, logs.join('\n'));
    down.close();
  } finally {
    await fx.close();
  }
});
