/**
 * The contract suite every Backend passes (restic's backend tests are the model): put,
 * resume after a crash, list, warm up, range read, delete, faults. A backend's test file
 * calls `backendContract(name, open)`; `open` gives a fresh, empty backend and a way to inject
 * one failed part into the next upload. Data is small (a few MiB) so the suite stays fast.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBackupError } from '../errors.js';
import { MiB, treeHash } from '../treehash/tree-hash.js';
import type { ArchiveDescription } from './archive-description.js';
import type { Backend } from './backend.js';
import { memoryJournal } from './memory-journal.js';

/** A backend under test. */
export interface ContractSubject {
  backend: Backend;
  /** Makes the second part of the next upload fail for good (every retry of it refused). */
  failNextPart(): void;
  close(): Promise<void>;
}

/** Registers the contract tests for one backend; parts are 1 MiB (the backend's minimum may be larger, see `partSize`). */
export function backendContract(name: string, open: () => Promise<ContractSubject>, opts: { partSize?: number } = {}): void {
  const partSize = opts.partSize ?? MiB;
  describe(`backend contract: ${name}`, () => {
    let s: ContractSubject;
    let dir: string;
    let seq = 0;
    const meta = (kind: ArchiveDescription['kind'] = 'data'): ArchiveDescription => {
      seq++;
      return { kind, host: 'contract', set: 'contract', seq, level: seq > 1 ? 1 : 0, parentSeq: seq > 1 ? seq - 1 : null, createdAt: new Date(Date.UTC(2026, 10, 1, 2, seq)), fileName: `contract-${String(seq).padStart(6, '0')}-L0.tar.gz` };
    };
    const file = async (size: number, fill: number): Promise<{ path: string; bytes: Buffer }> => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i + 4 <= size; i += 4096) bytes.writeUInt32LE((i * 2654435761 + fill) >>> 0, i);
      const path = join(dir, `f-${fill}-${size}`);
      await writeFile(path, bytes);
      return { path, bytes };
    };
    const readBack = async (id: string, size: number, range?: { start: number; end: number }): Promise<Buffer> => {
      const { token } = await s.backend.warmUp({ id, size, tier: 'Standard', ...(range ? { range } : {}) });
      await s.backend.waitWarm(token, { signal: AbortSignal.timeout(60_000) });
      const out = join(dir, `read-${id.replace(/[^A-Za-z0-9]/g, '_').slice(-40)}-${range?.start ?? 'all'}`);
      await s.backend.read({ id, token, outPath: out, size: range ? range.end - range.start + 1 : size, signal: AbortSignal.timeout(60_000), ...(range ? { range } : {}) });
      return readFile(out);
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'backend-contract-'));
      s = await open();
    });
    after(async () => {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('put stores a multipart object whose tree hash and bytes read back exactly', async () => {
      const f = await file(2 * partSize + 12345, 1);
      const stored = await s.backend.put({ path: f.path, meta: meta(), expectedBytes: f.bytes.length, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      assert.equal(stored.size, f.bytes.length);
      assert.equal(stored.treeHash, treeHash(f.bytes));
      assert.ok((await readBack(stored.id, stored.size)).equals(f.bytes));
    });

    test('a small object (one part) round-trips', async () => {
      const f = await file(1000, 2);
      const stored = await s.backend.put({ path: f.path, meta: meta('catalog'), expectedBytes: 1000, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      assert.equal(stored.treeHash, treeHash(f.bytes));
      assert.ok((await readBack(stored.id, stored.size)).equals(f.bytes));
    });

    test('a failed part fails the put loudly; the same journal resumes sending only the missing parts, and no second object appears', async () => {
      const f = await file(3 * partSize + 7, 3);
      const journal = memoryJournal();
      const m = meta();
      const before = (await listed()).length;
      s.failNextPart();
      await assert.rejects(
        s.backend.put({ path: f.path, meta: m, expectedBytes: f.bytes.length, journal, signal: AbortSignal.timeout(60_000) }),
        (e: unknown) => isBackupError(e),
      );
      assert.ok(journal.state(), 'the journal keeps the upload');
      const stored = await s.backend.put({ path: f.path, meta: m, expectedBytes: f.bytes.length, journal, signal: AbortSignal.timeout(60_000) });
      assert.ok(stored.partsSent < 4, `resumed put sent ${stored.partsSent} of 4 parts`);
      assert.equal(stored.treeHash, treeHash(f.bytes));
      assert.equal((await listed()).length, before + 1);
      assert.ok((await readBack(stored.id, stored.size)).equals(f.bytes));
    });

    test('a put resumed after its process died (journal recorded, nothing completed) stores one object', async () => {
      const f = await file(2 * partSize + 99, 4);
      const journal = memoryJournal();
      const m = meta();
      const ac = new AbortController();
      await assert.rejects(
        s.backend.put({ path: f.path, meta: m, expectedBytes: f.bytes.length, journal, signal: ac.signal, onProgress: (p) => p.partsDone >= 1 && ac.abort() }),
        (e: unknown) => isBackupError(e, 'ABORTED') || isBackupError(e, 'UPLOAD_FAILED'),
      );
      const stored = await s.backend.put({ path: f.path, meta: m, expectedBytes: f.bytes.length, journal, signal: AbortSignal.timeout(60_000) });
      assert.equal(stored.treeHash, treeHash(f.bytes));
      const ids = (await listed()).filter((o) => o.meta?.seq === m.seq).map((o) => o.id);
      assert.deepEqual(ids, [stored.id]);
    });

    test('list returns every object with its size and self-description', async () => {
      const f = await file(5000, 5);
      const m = meta();
      const stored = await s.backend.put({ path: f.path, meta: m, expectedBytes: 5000, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      const o = (await listed()).find((x) => x.id === stored.id);
      assert.ok(o, 'the new object is listed');
      assert.equal(o.size, 5000);
      assert.equal(o.meta?.seq, m.seq);
      assert.equal(o.meta?.set, 'contract');
      assert.equal(o.meta?.fileName, m.fileName);
      assert.equal(o.meta?.kind, 'data');
    });

    test('a byte range reads back exactly (MiB-aligned, as restores ask)', async () => {
      const f = await file(3 * MiB + 500, 6);
      const stored = await s.backend.put({ path: f.path, meta: meta(), expectedBytes: f.bytes.length, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      const range = { start: MiB, end: 2 * MiB - 1 };
      assert.ok((await readBack(stored.id, stored.size, range)).equals(f.bytes.subarray(range.start, range.end + 1)));
      const tail = { start: 3 * MiB, end: f.bytes.length - 1 };
      assert.ok((await readBack(stored.id, stored.size, tail)).equals(f.bytes.subarray(tail.start)));
    });

    test('a whole read with the wrong expected tree hash is refused and leaves no file', async () => {
      const f = await file(4000, 7);
      const stored = await s.backend.put({ path: f.path, meta: meta(), expectedBytes: 4000, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      const { token } = await s.backend.warmUp({ id: stored.id, size: stored.size, tier: 'Standard' });
      await s.backend.waitWarm(token, { signal: AbortSignal.timeout(60_000) });
      const out = join(dir, 'wrong');
      await assert.rejects(
        s.backend.read({ id: stored.id, token, outPath: out, size: stored.size, expectedTreeHash: 'f'.repeat(64), signal: AbortSignal.timeout(60_000) }),
        (e: unknown) => isBackupError(e, 'CHECKSUM_MISMATCH'),
      );
      await assert.rejects(readFile(out));
    });

    test('delete removes an object from the listing and is idempotent', async () => {
      const f = await file(3000, 8);
      const stored = await s.backend.put({ path: f.path, meta: meta(), expectedBytes: 3000, journal: memoryJournal(), signal: AbortSignal.timeout(60_000) });
      await s.backend.delete(stored.id);
      assert.ok(!(await listed()).some((o) => o.id === stored.id));
      await s.backend.delete(stored.id);
    });

    test('an upload left open is listed and abortUpload removes it idempotently', async () => {
      const f = await file(2 * partSize + 1, 9);
      const journal = memoryJournal();
      s.failNextPart();
      await assert.rejects(s.backend.put({ path: f.path, meta: meta(), expectedBytes: f.bytes.length, journal, signal: AbortSignal.timeout(60_000) }));
      const uploadId = journal.state()!.uploadId;
      assert.ok((await s.backend.listUploads()).some((u) => u.uploadId === uploadId));
      await s.backend.abortUpload(uploadId);
      assert.ok(!(await s.backend.listUploads()).some((u) => u.uploadId === uploadId));
      await s.backend.abortUpload(uploadId);
    });

    async function listed() {
      let l = await s.backend.list();
      // info.listsAtOnce promises a listing without waiting (check compares it at once)
      assert.equal(l.ready, s.backend.info.listsAtOnce);
      while (!l.ready) {
        await s.backend.waitWarm(l.token, { signal: AbortSignal.timeout(60_000) });
        l = await s.backend.list({ token: l.token });
      }
      return l.objects;
    }
  });
}
