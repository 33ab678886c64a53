import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, open, readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BackupError } from '../src/errors.js';
import { MiB, treeHash } from '../src/treehash/tree-hash.js';
import { memoryJournal } from '../src/storage/memory-journal.js';
import { openVault } from '../src/storage/glacier/open-vault.js';
import { pseudoRandom, vaultFixture, type VaultFixture } from './vault-fixture.js';

const exists = (p: string) => access(p).then(() => true, () => false);

async function uploaded(fx: VaultFixture, data: Buffer, name: string): Promise<string> {
  const path = await fx.file(name, data);
  return (await fx.vault.uploadArchive({ path, description: name, journal: memoryJournal(), partSize: 4 * MiB })).archiveId;
}

async function retrievalJob(fx: VaultFixture, archiveId: string, range?: { start: number; end: number }, archiveSize?: number) {
  const jobId = await fx.vault.initiateRetrieval({ archiveId, tier: 'Bulk', range, archiveSize });
  return { jobId, job: await fx.vault.waitForJob(jobId, { initialMs: 5, maxMs: 20 }) };
}

test('job output downloads in parallel tree-hash-aligned chunks, each verified, under injected resets', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(10 * MiB + 5, 31);
    const archiveId = await uploaded(fx, data, 'a');
    const { jobId, job } = await retrievalJob(fx, archiveId);
    assert.equal(job.treeHash, treeHash(data));
    fx.server.setFaults([{ operation: 'GetJobOutput', kind: 'reset', nth: [2] }, { operation: 'GetJobOutput', kind: 'error503', nth: [4] }]);
    const out = join(fx.dir, 'a.out');
    const res = await fx.vault.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: job.treeHash, chunkSize: 2 * MiB, concurrency: 3 });
    assert.equal(res.chunksFetched, 6);
    assert.equal(res.treeHash, treeHash(data));
    assert.equal(fx.count('GetJobOutput'), 8, '6 chunks + 2 retried');
    assert.ok((await readFile(out)).equals(data));
    assert.equal(await exists(`${out}.part`), false);
    assert.equal(await exists(`${out}.part.json`), false);
  } finally {
    await fx.close();
  }
});

test('an interrupted download resumes with the missing chunks and refetches a recorded chunk that was corrupted on disk', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(8 * MiB + 100, 32);
    const archiveId = await uploaded(fx, data, 'b');
    const { jobId, job } = await retrievalJob(fx, archiveId);
    const out = join(fx.dir, 'b.out');
    const ac = new AbortController();
    await assert.rejects(
      fx.vault.downloadJobOutput({
        jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: job.treeHash, chunkSize: MiB, concurrency: 1, signal: ac.signal,
        onProgress: (p) => {
          if (p.chunksDone === 4) ac.abort();
        },
      }),
      (e: BackupError) => e.code === 'ABORTED',
    );
    assert.equal(await exists(out), false, 'nothing unverified at the destination');
    const sidecar = JSON.parse(await readFile(`${out}.part.json`, 'utf8')) as { done: Record<string, string> };
    assert.deepEqual(Object.keys(sidecar.done).sort(), ['0', '1', '2', '3']);

    // garbage over a chunk the sidecar says is done
    const fh = await open(`${out}.part`, 'r+');
    await fh.write(Buffer.alloc(1000, 0xee), 0, 1000, MiB + 10);
    await fh.close();

    const before = fx.count('GetJobOutput');
    const res = await fx.vault.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: job.treeHash, chunkSize: MiB, concurrency: 2 });
    assert.equal(fx.count('GetJobOutput') - before, 6, '5 missing chunks + the corrupted one');
    assert.equal(res.chunksFetched, 6);
    assert.ok(fx.logs.some((l) => /chunk 2 of .* does not match its recorded tree hash/.test(l)), fx.logs.join('\n'));
    assert.ok((await readFile(out)).equals(data));
  } finally {
    await fx.close();
  }
});

test('output whose whole tree hash differs from the expected one is discarded, never left at the destination', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(3 * MiB, 33);
    const archiveId = await uploaded(fx, data, 'c');
    const { jobId, job } = await retrievalJob(fx, archiveId);
    const out = join(fx.dir, 'c.out');
    await assert.rejects(
      fx.vault.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: 'f'.repeat(64), chunkSize: MiB }),
      (e: BackupError) => e.code === 'CHECKSUM_MISMATCH' && /expected f{64}/.test(e.message),
    );
    assert.equal(await exists(out), false);
    assert.equal(await exists(`${out}.part`), false);
  } finally {
    await fx.close();
  }
});

test('ranged retrievals download just the range, verified by chunk checksums and, when aligned, the job tree hash', async () => {
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(9 * MiB + 4321, 34);
    const archiveId = await uploaded(fx, data, 'd');

    const aligned = { start: 4 * MiB, end: 8 * MiB - 1 };
    const a = await retrievalJob(fx, archiveId, aligned);
    assert.equal(a.job.treeHash, treeHash(data.subarray(aligned.start, aligned.end + 1)));
    const outA = join(fx.dir, 'd1.out');
    await fx.vault.downloadJobOutput({ jobId: a.jobId, outPath: outA, size: aligned.end - aligned.start + 1, expectedTreeHash: a.job.treeHash, chunkSize: 2 * MiB });
    assert.ok((await readFile(outA)).equals(data.subarray(aligned.start, aligned.end + 1)));

    // not tree-hash aligned, running to the archive's end: no job tree hash, chunks still verified
    const tail = { start: 6 * MiB, end: data.length - 1 };
    const t = await retrievalJob(fx, archiveId, tail, data.length);
    const outT = join(fx.dir, 'd2.out');
    const res = await fx.vault.downloadJobOutput({ jobId: t.jobId, outPath: outT, size: tail.end - tail.start + 1, expectedTreeHash: t.job.treeHash, chunkSize: MiB });
    assert.equal(res.treeHash, treeHash(data.subarray(tail.start)));
    assert.ok((await readFile(outT)).equals(data.subarray(tail.start)));
    assert.equal(fx.server.stats()['GetJobOutput.bytesSent'], aligned.end - aligned.start + 1 + data.length - tail.start, 'only the ranges were transferred');

    await assert.rejects(fx.vault.initiateRetrieval({ archiveId, tier: 'Bulk', range: { start: 100, end: MiB - 1 } }), /multiple of 1 MiB/);
  } finally {
    await fx.close();
  }
});

test('waitForJob polls with backoff until the job completes', async () => {
  const fx = await vaultFixture({ server: { jobDelaysMs: { Standard: 300 } } });
  try {
    const data = pseudoRandom(100_000, 35);
    const archiveId = await uploaded(fx, data, 'e');
    const jobId = await fx.vault.initiateRetrieval({ archiveId, tier: 'Standard' });
    const polls: number[] = [];
    const job = await fx.vault.waitForJob(jobId, { initialMs: 20, maxMs: 80, onPoll: (j, next) => polls.push(next) });
    assert.equal(job.statusCode, 'Succeeded');
    assert.ok(polls.length >= 2, `polled ${polls.length} times`);
    assert.ok(polls.every((d, i) => i === 0 || d >= polls[i - 1]) && Math.max(...polls) <= 80, `waits ${polls.join(',')}`);
    await assert.rejects(fx.vault.describeJob('no-such-job'), (e: BackupError) => e.code === 'VAULT_ITEM_NOT_FOUND' && /job no-such-job/.test(e.message));
  } finally {
    await fx.close();
  }
});

/** A pass-through HTTP proxy to the local server that flips one byte in the first `corrupt` GetJobOutput bodies. */
async function corruptingProxy(target: string, corrupt: number): Promise<{ endpoint: string; server: Server }> {
  const t = new URL(target);
  let left = corrupt;
  const server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      const flip = req.method === 'GET' && /\/jobs\/[^/]+\/output$/.test(req.url ?? '') && ur.statusCode === 206 && left-- > 0;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let first = flip;
      ur.on('data', (chunk: Buffer) => {
        if (first && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] ^= 0xff;
          first = false;
        }
        res.write(chunk);
      });
      ur.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('a chunk corrupted in transit fails its tree-hash check and is fetched again', async () => {
  const fx = await vaultFixture();
  const proxy = await corruptingProxy(fx.server.endpoint, 2);
  const logs: string[] = [];
  const viaProxy = openVault(fx.config, { endpoint: proxy.endpoint, credentials: fx.server.credentials, log: (m) => logs.push(m), retry: { baseMs: 2, maxMs: 20 } });
  try {
    const data = pseudoRandom(4 * MiB, 36);
    const archiveId = await uploaded(fx, data, 'f');
    const { jobId, job } = await retrievalJob(fx, archiveId);
    const out = join(fx.dir, 'f.out');
    const res = await viaProxy.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, chunkSize: MiB, concurrency: 1 });
    assert.equal(res.treeHash, treeHash(data));
    assert.equal(fx.count('GetJobOutput'), 6, '4 chunks + 2 corrupted ones again');
    assert.equal(logs.filter((l) => /arrived with tree hash .* the vault says/.test(l)).length, 2, logs.join('\n'));
    assert.ok((await readFile(out)).equals(data));

    // corrupted on every attempt: CHECKSUM_MISMATCH, nothing at the destination
    const always = await corruptingProxy(fx.server.endpoint, 1000);
    const broken = openVault({ ...fx.config, maxRetries: 2 }, { endpoint: always.endpoint, credentials: fx.server.credentials, retry: { baseMs: 1, maxMs: 2 } });
    const out2 = join(fx.dir, 'f2.out');
    await assert.rejects(broken.downloadJobOutput({ jobId, outPath: out2, size: job.archiveSize!, chunkSize: MiB }), (e: BackupError) => e.code === 'CHECKSUM_MISMATCH');
    assert.equal(await exists(out2), false);
    broken.close();
    always.server.closeAllConnections();
    await new Promise((r) => always.server.close(r));
  } finally {
    viaProxy.close();
    proxy.server.closeAllConnections();
    await new Promise((r) => proxy.server.close(r));
    await fx.close();
  }
});
