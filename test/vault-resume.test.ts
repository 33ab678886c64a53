import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InitiateMultipartUploadCommand, ListPartsCommand, UploadMultipartPartCommand } from '@aws-sdk/client-glacier';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError } from '../src/errors.js';
import { MiB, treeHash } from '../src/treehash/tree-hash.js';
import { memoryJournal } from '../src/storage/memory-journal.js';
import type { UploadJournal } from '../src/storage/upload-journal.js';
import { pseudoRandom, vaultFixture, type VaultFixture } from './vault-fixture.js';

const partHash = (data: Buffer, i: number, size = MiB) => treeHash(data.subarray(i * size, (i + 1) * size));

async function partsOnServer(fx: VaultFixture, uploadId: string): Promise<number> {
  const res = await fx.vault.client.send(new ListPartsCommand({ accountId: '-', vaultName: fx.config.name, uploadId }));
  return res.Parts?.length ?? 0;
}

test('a part that keeps failing fails the upload naming the part, and the next run sends only the missing parts', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'UploadMultipartPart', kind: 'error500', nth: [3, 4, 5] }], vault: { maxRetries: 2 } });
  try {
    const data = pseudoRandom(6 * MiB + 10, 21);
    const path = await fx.file('a.tar.gz', data);
    const journal = memoryJournal();
    await assert.rejects(fx.vault.uploadArchive({ path, description: 'a', journal, concurrency: 1 }), (e: BackupError) => {
      assert.equal(e.code, 'UPLOAD_FAILED');
      assert.match(e.message, /part 3 of .*a\.tar\.gz \(bytes 2097152-3145727\) failed after 3 attempt\(s\): ServiceUnavailableException \(HTTP 500\)/);
      assert.match(e.message, /backup upload/);
      return true;
    });
    const state = journal.state()!;
    assert.ok(state.uploadId, 'the journal keeps the upload');
    assert.deepEqual([...state.parts.keys()].sort(), [0, 1]);
    assert.equal(state.completing, false);

    fx.server.setFaults([]);
    const before = fx.count('UploadMultipartPart');
    const res = await fx.vault.uploadArchive({ path, description: 'a', journal });
    assert.equal(fx.count('UploadMultipartPart') - before, 5, 'parts 3..7 only');
    assert.equal(fx.count('InitiateMultipartUpload'), 1, 'the same upload was resumed');
    assert.equal(res.treeHash, treeHash(data));
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('resuming trusts ListParts: parts the vault holds are skipped, a part only the journal claims is sent', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(5 * MiB + 77, 22);
    const path = await fx.file('b.tar.gz', data);
    const { client } = fx.vault;
    const init = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: fx.config.name, partSize: String(MiB), archiveDescription: 'b' }));
    const uploadId = init.uploadId!;
    for (const i of [0, 2]) {
      const body = data.subarray(i * MiB, (i + 1) * MiB);
      await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: fx.config.name, uploadId, range: `bytes ${i * MiB}-${(i + 1) * MiB - 1}/*`, checksum: treeHash(body), body }));
    }
    // the journal (as a crashed run left it) claims parts 0, 1 and 2; the vault has 0 and 2
    const journal = memoryJournal({ uploadId, partSize: MiB, completing: false, parts: new Map([[0, partHash(data, 0)], [1, partHash(data, 1)], [2, partHash(data, 2)]]) });
    const before = fx.count('UploadMultipartPart');
    const res = await fx.vault.uploadArchive({ path, description: 'b', journal });
    assert.equal(fx.count('UploadMultipartPart') - before, 4, 'parts 2, 4, 5, 6 (1-based) only');
    assert.equal(fx.count('InitiateMultipartUpload'), 1);
    assert.ok(fx.logs.some((l) => /1 recorded part\(s\) differ/.test(l)), fx.logs.join('\n'));
    assert.equal(res.treeHash, treeHash(data));
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('a part the vault holds with other bytes than the file is sent again', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(3 * MiB, 23);
    const path = await fx.file('c.tar.gz', data);
    const { client } = fx.vault;
    const uploadId = (await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: fx.config.name, partSize: String(MiB) }))).uploadId!;
    const wrong = pseudoRandom(MiB, 99);
    await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: fx.config.name, uploadId, range: `bytes 0-${MiB - 1}/*`, checksum: treeHash(wrong), body: wrong }));
    const journal = memoryJournal({ uploadId, partSize: MiB, completing: false, parts: new Map([[0, treeHash(wrong)]]) });
    const before = fx.count('UploadMultipartPart');
    const res = await fx.vault.uploadArchive({ path, description: 'c', journal });
    assert.equal(fx.count('UploadMultipartPart') - before, 3);
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('an upload the vault no longer knows is restarted cleanly', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(3 * MiB + 5, 24);
    const path = await fx.file('d.tar.gz', data);
    const journal = memoryJournal({ uploadId: 'expired-upload-id', partSize: MiB, completing: false, parts: new Map([[0, partHash(data, 0)]]) });
    const res = await fx.vault.uploadArchive({ path, description: 'd', journal });
    assert.ok(fx.logs.some((l) => /unknown or expired; starting it again/.test(l)));
    assert.notEqual(journal.state()?.uploadId, 'expired-upload-id');
    assert.equal(fx.count('UploadMultipartPart'), 4);
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('after a crash between Complete and recording the archive, the next run gets the same archive id and no duplicate', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'CompleteMultipartUpload', kind: 'reset', nth: [1] }] });
  try {
    const data = pseudoRandom(4 * MiB + 3, 25);
    const path = await fx.file('e.tar.gz', data);
    const journal = memoryJournal();
    // the first Complete takes effect but its response is lost; the retry must return the same archive
    const first = await fx.vault.uploadArchive({ path, description: 'e', journal });
    assert.equal(fx.count('CompleteMultipartUpload'), 2);
    assert.equal(journal.state()?.completing, true, 'the journal is left for the caller to clear with the archive id');

    // the caller crashed before recording first.archiveId: a new run resumes from the journal
    const parts = fx.count('UploadMultipartPart');
    const again = await fx.vault.uploadArchive({ path, description: 'e', journal });
    assert.equal(again.archiveId, first.archiveId);
    assert.equal(fx.count('UploadMultipartPart'), parts, 'no part sent again');
    assert.equal(fx.count('InitiateMultipartUpload'), 1);
    assert.equal((await fx.vault.describeVault()).numberOfArchives, 1);
  } finally {
    await fx.close();
  }
});

test('when Complete is no longer idempotent (upload gone) the upload restarts instead of failing', async () => {
  const fx = await vaultFixture({ server: { multipartCompleteIdempotencyMs: 0 } });
  try {
    const data = pseudoRandom(2 * MiB + 3, 26);
    const path = await fx.file('f.tar.gz', data);
    const journal = memoryJournal();
    const first = await fx.vault.uploadArchive({ path, description: 'f', journal });
    const again = await fx.vault.uploadArchive({ path, description: 'f', journal });
    assert.ok(fx.logs.some((l) => /no longer known to the vault; starting it again/.test(l)), fx.logs.join('\n'));
    assert.notEqual(again.archiveId, first.archiveId);
    assert.equal(fx.count('InitiateMultipartUpload'), 2);
    assert.ok((await fx.retrieve(again.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('Ctrl-C (abort signal) stops in-flight parts and leaves a resumable journal and upload', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'UploadMultipartPart', kind: 'delay', delayMs: 40 }] });
  try {
    const data = pseudoRandom(12 * MiB, 27);
    const path = await fx.file('g.tar.gz', data);
    const ac = new AbortController();
    const inner = memoryJournal();
    const journal: UploadJournal = {
      ...inner,
      partDone(i, h) {
        inner.partDone(i, h);
        if (inner.state()!.parts.size === 3) ac.abort();
      },
    };
    await assert.rejects(fx.vault.uploadArchive({ path, description: 'g', journal, signal: ac.signal, concurrency: 2 }), (e: BackupError) => e.code === 'ABORTED');
    const state = inner.state()!;
    assert.ok(state.parts.size >= 3 && state.parts.size < 12, `parts recorded: ${state.parts.size}`);
    assert.equal(state.completing, false);
    const uploads = await fx.vault.listUploads();
    assert.deepEqual(uploads.map((u) => u.uploadId), [state.uploadId], 'the multipart upload was not aborted');

    // a part whose body was already on its way when the client aborted may still land: wait for the server to settle
    let held = await partsOnServer(fx, state.uploadId);
    for (let stable = 0; stable < 3; ) {
      await sleep(50);
      const now = await partsOnServer(fx, state.uploadId);
      stable = now === held ? stable + 1 : 0;
      held = now;
    }
    const before = fx.count('UploadMultipartPart');
    const res = await fx.vault.uploadArchive({ path, description: 'g', journal: inner });
    assert.equal(fx.count('UploadMultipartPart') - before, 12 - held, 'only the parts the vault lacked');
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('a staged file whose bytes differ from the tree hash the catalog recorded is not uploaded', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(2 * MiB, 28);
    const path = await fx.file('h.tar.gz', data);
    await assert.rejects(
      fx.vault.uploadArchive({ path, description: 'h', journal: memoryJournal(), expectedTreeHash: '0'.repeat(64) }),
      (e: BackupError) => e.code === 'CHECKSUM_MISMATCH' && /the catalog recorded/.test(e.message),
    );
    assert.equal(fx.count('CompleteMultipartUpload'), 0);
  } finally {
    await fx.close();
  }
});
