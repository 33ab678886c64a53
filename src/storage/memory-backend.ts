/**
 * A backend held in memory, for engine tests and the contract suite's reference run. It
 * keeps the contract's observable behaviour: multipart uploads in `partSize` parts recorded
 * in the journal (receipt = the part's tree hash), resume that sends only missing parts,
 * cold objects that refuse reads until warmed, verified reads, idempotent delete and abort.
 * Faults are injected by `failPart(i)`: part i of the next upload that reaches it fails.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackupError, fromSystemError, throwIfAborted } from '../errors.js';
import { MiB, combineTreeHashes, treeHash } from '../treehash/tree-hash.js';
import { decodeDescription, encodeDescription } from './archive-description.js';
import type { Backend, StoredObject } from './backend.js';
import { GrowingFile } from './growing-file.js';

interface Held {
  bytes: Buffer;
  treeHash: string;
  description: string;
  storedAt: Date;
}

/** The memory backend plus a window into it for tests. */
export interface MemoryBackend extends Backend {
  /** Object ids currently stored. */
  ids(): string[];
  /** Parts received so far, all uploads together (counts resends). */
  partsReceived(): number;
  /** Makes part `index` of the next upload that sends it fail (once). */
  failPart(index: number): void;
}

/** Creates an empty memory backend. `partSize` is a multiple of 1 MiB (default 1 MiB). */
export function memoryBackend(opts: { partSize?: number; cold?: boolean } = {}): MemoryBackend {
  const partSize = opts.partSize ?? MiB;
  const objects = new Map<string, Held>();
  const uploads = new Map<string, { createdAt: string; label: string; parts: Map<number, Buffer> }>();
  const warm = new Map<string, string>();
  let partsReceived = 0;
  let failPart: number | undefined;

  return {
    info: { kind: 'memory', location: 'memory', minimumStorageDays: 0, rangedWarmUp: false, listsAtOnce: true },
    ids: () => [...objects.keys()],
    partsReceived: () => partsReceived,
    failPart(index) {
      failPart = index;
    },
    async put(p) {
      const description = encodeDescription(p.meta);
      const fh = await open(p.path, 'r').catch((err: unknown) => {
        throw fromSystemError(err, p.path);
      });
      try {
        const file = await GrowingFile.open(fh, p.path, p.source, 10);
        let j = p.journal.load();
        if (j && !uploads.has(j.uploadId)) {
          p.journal.reset();
          j = null;
        }
        let uploadId = j?.uploadId;
        if (!uploadId) {
          uploadId = randomUUID();
          uploads.set(uploadId, { createdAt: new Date().toISOString(), label: description, parts: new Map() });
          p.journal.begin(uploadId, partSize);
        }
        const up = uploads.get(uploadId)!;
        const hashes: string[] = [];
        let partsSent = 0;
        let bytesSent = 0;
        for (let i = 0; ; i++) {
          const start = i * partSize;
          const end = await file.waitFor(start + partSize, p.signal);
          if (end <= start) break;
          throwIfAborted(p.signal);
          const buf = Buffer.from(await file.read(start, end - start));
          const h = treeHash(buf);
          hashes[i] = h;
          const held = up.parts.get(i);
          if (!held || treeHash(held) !== h) {
            if (failPart === i) {
              failPart = undefined;
              throw new BackupError('UPLOAD_FAILED', `part ${i + 1} of ${p.path} failed (injected fault); run \`backup upload\` to resume`);
            }
            up.parts.set(i, buf);
            partsReceived++;
            partsSent++;
          }
          p.journal.partDone(i, h);
          bytesSent += buf.length;
          p.onProgress?.({ bytesSent, partsDone: i + 1 });
        }
        const done = await file.whenComplete(p.signal);
        const tree = hashes.length ? combineTreeHashes(hashes) : treeHash(Buffer.alloc(0));
        if (done.treeHash !== undefined && done.treeHash !== tree) {
          throw new BackupError('CHECKSUM_MISMATCH', `${p.path} has tree hash ${tree} but the archive writer recorded ${done.treeHash}`, { subject: p.path });
        }
        p.journal.completing();
        const bytes = Buffer.concat([...up.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)).subarray(0, done.size);
        const id = `${p.meta.set}/${String(p.meta.seq).padStart(6, '0')}-${p.meta.kind}-${uploadId}`;
        objects.set(id, { bytes, treeHash: tree, description, storedAt: new Date() });
        uploads.delete(uploadId);
        return { id, treeHash: tree, size: bytes.length, requests: partsSent + 2, partsSent };
      } finally {
        await fh.close();
      }
    },
    abortUpload(uploadId) {
      uploads.delete(uploadId);
      return Promise.resolve();
    },
    listUploads() {
      return Promise.resolve([...uploads].map(([uploadId, u]) => ({ uploadId, createdAt: u.createdAt, label: u.label })));
    },
    list() {
      const list: StoredObject[] = [...objects].map(([id, o]) => ({
        id,
        size: o.bytes.length,
        treeHash: o.treeHash,
        meta: decodeDescription(o.description),
        description: o.description,
        storedAt: o.storedAt,
      }));
      return Promise.resolve({ ready: true, asOf: new Date().toISOString(), objects: list });
    },
    warmUp(w) {
      if (!objects.has(w.id)) return Promise.reject(new BackupError('VAULT_ITEM_NOT_FOUND', `object ${w.id} is not stored`));
      const token = `warm:${w.id}`;
      warm.set(token, w.id);
      return Promise.resolve({ token, ready: !opts.cold });
    },
    warmState(token) {
      if (!warm.has(token)) return Promise.reject(new BackupError('VAULT_ITEM_NOT_FOUND', `warm-up ${token} is unknown`));
      return Promise.resolve({ state: 'ready' });
    },
    waitWarm(token) {
      if (!warm.has(token)) return Promise.reject(new BackupError('VAULT_ITEM_NOT_FOUND', `warm-up ${token} is unknown`));
      return Promise.resolve();
    },
    async read(r) {
      const o = objects.get(r.id);
      if (!o) throw new BackupError('VAULT_ITEM_NOT_FOUND', `object ${r.id} is not stored`);
      if (opts.cold && warm.get(r.token) !== r.id) throw new BackupError('VAULT', `object ${r.id} is cold: warm it up before reading`);
      throwIfAborted(r.signal);
      const range = r.range ?? { start: 0, end: o.bytes.length - 1 };
      const bytes = o.bytes.subarray(range.start, range.end + 1);
      const tree = treeHash(bytes);
      if (r.expectedTreeHash !== undefined && tree !== r.expectedTreeHash) {
        throw new BackupError('CHECKSUM_MISMATCH', `object ${r.id} has tree hash ${tree}, expected ${r.expectedTreeHash}`);
      }
      await mkdir(dirname(r.outPath), { recursive: true });
      await writeFile(`${r.outPath}.part`, bytes);
      await rename(`${r.outPath}.part`, r.outPath);
      r.onProgress?.(bytes.length);
      return { size: bytes.length, treeHash: tree };
    },
    delete(id) {
      objects.delete(id);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
