import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MiB, TreeHasher, treeHash } from '../src/treehash/tree-hash.js';
import { memoryJournal } from '../src/storage/memory-journal.js';
import type { UploadProgress, UploadSource } from '../src/storage/glacier/upload-archive.js';
import { pseudoRandom, vaultFixture } from './vault-fixture.js';

/** Counts UploadMultipartPart requests in flight on the session's SDK client (instrumentation only). */
function countPartsInFlight(client: { middlewareStack: { add: (mw: unknown, opts: unknown) => void } }) {
  const seen = { now: 0, max: 0 };
  client.middlewareStack.add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName !== 'UploadMultipartPartCommand') return next(args);
      seen.now++;
      seen.max = Math.max(seen.max, seen.now);
      try {
        return await next(args);
      } finally {
        seen.now--;
      }
    },
    { step: 'initialize', name: 'countPartsInFlight' },
  );
  return seen;
}

test('a multipart upload with 4 parts in flight survives 10% injected failures and stores the exact bytes', async () => {
  const fx = await vaultFixture({
    faults: [
      { operation: '*', kind: 'error500', rate: 0.025, seed: 11 },
      { operation: '*', kind: 'error503', rate: 0.015, seed: 12 },
      { operation: '*', kind: 'throttle', rate: 0.025, seed: 13 },
      { operation: '*', kind: 'reset', rate: 0.025, seed: 14 },
      { operation: '*', kind: 'timeout408', rate: 0.01, seed: 15 },
      { operation: 'UploadMultipartPart', kind: 'delay', delayMs: 15 },
    ],
  });
  try {
    const inFlight = countPartsInFlight(fx.vault.client as never);
    const data = pseudoRandom(24 * MiB + 12345, 7);
    const path = await fx.file('a.tar.gz', data);
    const journal = memoryJournal();
    const res = await fx.vault.uploadArchive({ path, description: 'backup/1 {}', journal, concurrency: 4 });
    assert.equal(res.treeHash, treeHash(data));
    assert.equal(res.size, data.length);
    assert.equal(res.partSize, MiB);
    assert.equal(inFlight.max, 4, 'parts in flight');
    const stats = fx.server.stats();
    assert.ok(stats.faults >= 3, `faults injected: ${stats.faults}`);
    assert.ok(fx.logs.some((l) => /retry/.test(l)), 'retries were logged');
    fx.server.setFaults([]);
    const back = await fx.retrieve(res.archiveId);
    assert.ok(back.equals(data), 'retrieved bytes equal the original');
  } finally {
    await fx.close();
  }
});

test('a file still being written is uploaded while it grows: parts go before the writer finishes', async () => {
  const fx = await vaultFixture();
  try {
    const path = join(fx.dir, 'growing.tar.gz');
    const data = pseudoRandom(6 * MiB + 999, 3);
    const fh = await open(path, 'w');
    let onDisk = 0;
    let finish!: (v: { size: number; treeHash: string }) => void;
    const source: UploadSource = { bytesOnDisk: () => onDisk, done: new Promise((r) => (finish = r)) };
    let writerDone = false;
    const partsBeforeDone: number[] = [];
    const progress: UploadProgress[] = [];
    const upload = fx.vault.uploadArchive({
      path,
      description: 'growing',
      source,
      journal: memoryJournal(),
      onProgress: (p) => {
        progress.push(p);
        if (!writerDone) partsBeforeDone.push(p.partsDone);
      },
    });
    const hasher = new TreeHasher();
    for (let off = 0; off < data.length; off += 256 * 1024) {
      const chunk = data.subarray(off, off + 256 * 1024);
      await fh.write(chunk, 0, chunk.length, off);
      hasher.update(chunk);
      onDisk += chunk.length;
      // halfway, wait (bounded) until the uploader has had parts acknowledged: it must not need the whole file
      if (off === 3 * MiB) for (let i = 0; i < 300 && Math.max(0, ...partsBeforeDone) < 2; i++) await sleep(10);
    }
    const partRequestsWhileWriting = fx.count('UploadMultipartPart');
    await fh.close();
    writerDone = true;
    finish({ size: data.length, treeHash: hasher.digest() });
    const res = await upload;
    assert.ok(Math.max(0, ...partsBeforeDone) >= 2, `parts acknowledged before the file was complete: ${Math.max(0, ...partsBeforeDone)}`);
    assert.ok(partRequestsWhileWriting >= 3, `part requests before the file was complete: ${partRequestsWhileWriting}`);
    assert.equal(res.treeHash, treeHash(data));
    assert.equal(progress.at(-1)?.partsTotal, 7);
    assert.equal(progress.at(-1)?.bytesSent, data.length);
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('an archive smaller than one part goes by a single UploadArchive', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'UploadArchive', kind: 'reset', nth: [1] }] });
  try {
    const data = pseudoRandom(300 * 1024, 5);
    const path = await fx.file('small.tar.gz', data);
    const journal = memoryJournal();
    const res = await fx.vault.uploadArchive({ path, description: 'small', journal });
    assert.equal(res.partSize, 0);
    assert.equal(res.treeHash, treeHash(data));
    assert.equal(fx.count('InitiateMultipartUpload'), 0);
    assert.equal(fx.count('UploadArchive'), 2, 'the reset first attempt was retried');
    assert.equal(journal.state(), null);
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('a file that outgrows 10,000 parts while being written restarts with a larger part size', async () => {
  const fx = await vaultFixture();
  try {
    const path = join(fx.dir, 'big.tar.gz');
    const data = pseudoRandom(5 * MiB + 1, 9);
    const fh = await open(path, 'w');
    let onDisk = 0;
    let finish!: (v: { size: number; treeHash: string }) => void;
    const source: UploadSource = { bytesOnDisk: () => onDisk, done: new Promise((r) => (finish = r)) };
    const journal = memoryJournal();
    // maxParts 2 stands in for Glacier's 10,000 so a small file exceeds it
    const upload = fx.vault.uploadArchive({ path, description: 'big', source, journal, maxParts: 2 });
    for (let off = 0; off < data.length; off += MiB) {
      const chunk = data.subarray(off, off + MiB);
      await fh.write(chunk, 0, chunk.length, off);
      onDisk += chunk.length;
      await sleep(20);
    }
    await fh.close();
    finish({ size: data.length, treeHash: treeHash(data) });
    const res = await upload;
    assert.equal(res.partSize, 4 * MiB, 'smallest power of two that fits 2 parts');
    assert.equal(fx.count('AbortMultipartUpload'), 1);
    assert.equal(fx.count('InitiateMultipartUpload'), 2);
    assert.equal(journal.state()?.partSize, 4 * MiB);
    assert.ok(fx.logs.some((l) => /abandoning multipart upload/.test(l)));
    assert.equal((await fx.vault.listUploads()).length, 0, 'no multipart upload left behind');
    assert.ok((await fx.retrieve(res.archiveId)).equals(data));
  } finally {
    await fx.close();
  }
});

test('the bandwidth cap holds the upload to the configured rate across parts in flight', async () => {
  const rate = 4 * MiB;
  const fx = await vaultFixture({ vault: { maxBytesPerSecond: rate } });
  try {
    const data = pseudoRandom(6 * MiB, 4);
    const path = await fx.file('capped.tar.gz', data);
    const started = performance.now();
    const res = await fx.vault.uploadArchive({ path, description: 'capped', journal: memoryJournal() });
    const seconds = (performance.now() - started) / 1000;
    const floor = (data.length / rate) * 0.8; // loose bound: the limiter allows a 100 ms burst
    console.log(`# ${data.length} bytes at a cap of ${rate} B/s took ${seconds.toFixed(2)} s (floor ${floor.toFixed(2)} s)`);
    assert.ok(seconds >= floor, `took ${seconds} s, expected at least ${floor} s`);
    assert.equal(res.treeHash, treeHash(data));
  } finally {
    await fx.close();
  }
});

test('a part that fails while the writer is still busy fails the upload at once, not when more bytes arrive', async () => {
  const fx = await vaultFixture({ faults: [{ operation: 'UploadMultipartPart', kind: 'error500' }], vault: { maxRetries: 1 } });
  try {
    const path = join(fx.dir, 'stalled.tar.gz');
    const head = pseudoRandom(2 * MiB, 8);
    const fh = await open(path, 'w');
    await fh.write(head, 0, head.length, 0);
    await fh.close();
    let finish!: (v: { size: number; treeHash: string }) => void;
    // the writer stalls after 2 MiB and only finishes after the upload has given up
    const source: UploadSource = { bytesOnDisk: () => head.length, done: new Promise((r) => (finish = r)) };
    const journal = memoryJournal();
    await assert.rejects(fx.vault.uploadArchive({ path, description: 'stalled', source, journal }), (e: Error & { code?: string }) => e.code === 'UPLOAD_FAILED' && /part [12] of /.test(e.message));
    assert.ok(journal.state()?.uploadId, 'resumable');
    finish({ size: head.length, treeHash: treeHash(head) });
  } finally {
    await fx.close();
  }
});
