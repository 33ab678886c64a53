/**
 * Uploads one archive file to a Glacier vault: a single UploadArchive for small files,
 * otherwise a concurrent, pipelined, resumable multipart upload.
 *
 * - Pipelined: with a `source`, the file is still being written; part i goes as soon as its
 *   bytes are on disk (growing-file.ts). Without one, the file is complete.
 * - Bounded: at most `concurrency` parts in flight (send-parts.ts, shared with S3). A part is
 *   never held in memory: it is hashed by a first read (hash-range.ts) and sent by a second
 *   read of the same range (paced-body.ts), which the page cache answers; memory is about
 *   concurrency × 2 MiB whatever the part size. The file range is the re-readable source a
 *   retry replays.
 * - Verified: every part carries its tree hash and SHA-256; Complete carries the whole tree
 *   hash (combined from the parts), which must equal the writer's; the service's returned
 *   checksum and archive id are checked.
 * - Resumable: the journal records the upload id, part size and each acknowledged part
 *   before the next step. On restart the service's ListParts is the truth: parts it holds
 *   whose tree hash equals the local bytes' are not sent again.
 * - Never a second archive: after Complete was attempted (journal `completing`), a restart
 *   calls Complete again first, which Glacier answers with the same archive id.
 */
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  InitiateMultipartUploadCommand,
  ListPartsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { BackupError, fromSystemError, isBackupError } from '../../errors.js';
import { MiB, combineDigests, combineTreeHashes } from '../../treehash/tree-hash.js';
import type { ByteRateLimiter } from '../byte-rate-limiter.js';
import { GrowingFile, type UploadSource } from '../growing-file.js';
import type { UploadJournal } from '../upload-journal.js';
import { hashRange, type RangeHashes } from '../hash-range.js';
import { PacedBody } from '../paced-body.js';
import { sendParts } from '../send-parts.js';
import { account, retryPolicy, vaultCall, type VaultTarget } from './vault-call.js';
import { classifyError, describeError, toVaultError, withRetry } from '../with-retry.js';

export type { UploadSource } from '../growing-file.js';
export type { UploadJournal } from '../upload-journal.js';

/** Glacier's limit on parts per multipart upload. */
export const MAX_PARTS = 10_000;
/** Glacier's largest part size. */
export const MAX_PART_SIZE = 4096 * MiB;

/** Progress of one upload; `partsTotal` is known once the file is complete. */
export interface UploadProgress {
  /** Bytes the service has (acknowledged or already present) plus bytes of parts in flight. */
  bytesSent: number;
  partsDone: number;
  partsTotal?: number;
  /** 0 for a single UploadArchive. */
  partSize: number;
}

/** What uploadArchive needs besides the vault. */
export interface UploadArchiveOptions extends VaultTarget {
  path: string;
  /** x-amz-archive-description (see archive-description.ts). */
  description: string;
  /** Configured part size in bytes (a power of two MiB); raised to fit 10,000 parts. */
  partSize: number;
  /** Parts in flight at once. */
  concurrency: number;
  /** Present while the file is still being written (pipelined upload). */
  source?: UploadSource;
  /** Estimated final size of a file still being written, so its part size fits 10,000 parts from the start. */
  expectedBytes?: number;
  /** The tree hash the file must have (e.g. the catalog's), checked before Complete. */
  expectedTreeHash?: string;
  journal: UploadJournal;
  /** Shared bandwidth cap. */
  limiter?: ByteRateLimiter;
  onProgress?: (p: UploadProgress) => void;
  /** Notable events (resumed, restarted, parts skipped), one line each. */
  log?: (message: string) => void;
  /** How often a pipelined upload checks for new bytes. Default 50 ms. */
  pollMs?: number;
  /** Parts per upload: Glacier's 10,000; only tests lower it, to exercise the restart with larger parts. */
  maxParts?: number;
}

/** A stored archive. */
export interface UploadResult {
  archiveId: string;
  treeHash: string;
  size: number;
  location: string;
  /** Part size used, 0 for a single UploadArchive. */
  partSize: number;
  /** Requests sent for this archive in this call, retries included (billable). */
  requests: number;
  /** Parts sent in this call (not counting those the service already had). */
  partsSent: number;
}

/**
 * The part size for an archive of `expectedBytes`: the configured size, doubled until the
 * archive fits in 10,000 parts. Throws UPLOAD_FAILED beyond Glacier's 4 GiB parts.
 */
export function choosePartSize(expectedBytes: number, configuredMiB: number, maxParts = MAX_PARTS): number {
  if (!(configuredMiB >= 1 && configuredMiB <= 4096 && (configuredMiB & (configuredMiB - 1)) === 0)) {
    throw new BackupError('CONFIG_INVALID', `vault.partSizeMiB must be a power of two from 1 to 4096, got ${configuredMiB}`);
  }
  let size = configuredMiB * MiB;
  while (Math.ceil(expectedBytes / size) > maxParts && size < MAX_PART_SIZE) size *= 2;
  if (Math.ceil(expectedBytes / size) > maxParts) {
    throw new BackupError('UPLOAD_FAILED', `an archive of ${expectedBytes} bytes exceeds Glacier's limit of ${maxParts.toLocaleString('en-US')} parts of 4 GiB`);
  }
  return size;
}

/** Uploads `path` and returns the stored archive. Throws ABORTED on the signal, leaving the journal resumable. */
export async function uploadArchive(o: UploadArchiveOptions): Promise<UploadResult> {
  const fh = await open(o.path, 'r').catch((err: unknown) => {
    throw fromSystemError(err, o.path);
  });
  try {
    const file = await GrowingFile.open(fh, o.path, o.source, o.pollMs);
    return await new Uploader(o, file).run();
  } finally {
    await fh.close();
  }
}

/** Thrown inside an upload whose file outgrew 10,000 parts of the part size in use. */
class Outgrown extends Error {}

interface Resumable {
  uploadId: string;
  partSize: number;
  /** Tree hashes of the parts the service holds, by index. */
  remote: Map<number, string>;
}

class Uploader {
  private requests = 0;
  private partsSent = 0;
  private doneBytes = 0;
  private partsDone = 0;
  private readonly inflightBytes = new Map<number, number>();
  private lastEmit = 0;
  private partSizeNow = 0;
  private readonly maxParts: number;

  constructor(
    private readonly o: UploadArchiveOptions,
    private readonly file: GrowingFile,
  ) {
    this.maxParts = o.maxParts ?? MAX_PARTS;
  }

  async run(): Promise<UploadResult> {
    let state = await this.resume();
    if (state && 'archiveId' in state) return state;
    for (;;) {
      try {
        return await this.send(state);
      } catch (err) {
        if (!(err instanceof Outgrown)) throw err;
        state = null;
      }
    }
  }

  // ---- resume -------------------------------------------------------------------------

  private async resume(): Promise<Resumable | UploadResult | null> {
    const o = this.o;
    const j = o.journal.load();
    if (!j) return null;
    o.log?.(`resuming multipart upload of ${o.path} (${j.parts.size} parts recorded)`);
    if (j.completing) {
      const c = await this.file.whenComplete(o.signal);
      const n = partCount(c.size, j.partSize);
      const hashes = Array.from({ length: n }, (_, i) => j.parts.get(i));
      if (hashes.every((h): h is string => h !== undefined)) {
        const tree = combineTreeHashes(hashes);
        if (this.expectedMismatch(tree, c.treeHash) === null) {
          try {
            return await this.complete(j.uploadId, c.size, tree, j.partSize);
          } catch (err) {
            const raw = rawCause(err);
            if (isNotFound(raw)) {
              o.log?.(`multipart upload ${j.uploadId} is no longer known to the vault; starting it again`);
              o.journal.reset();
              return null;
            }
            // a permanent refusal (e.g. a part the service lacks): fall through and repair the parts
            if (isBackupError(err, 'ABORTED') || classifyError(raw) === 'retry' || isBackupError(err, 'VAULT_AUTH', 'VAULT_NOT_FOUND', 'CHECKSUM_MISMATCH')) throw err;
            o.log?.(`completing multipart upload ${j.uploadId} was refused (${(err as Error).message}); checking its parts`);
          }
        }
      }
    }
    let listed: { partSize: number; parts: Map<number, string> };
    try {
      listed = await this.listParts(j.uploadId, j.partSize);
    } catch (err) {
      if (isNotFound(rawCause(err))) {
        o.log?.(`multipart upload ${j.uploadId} is unknown or expired; starting it again`);
        o.journal.reset();
        return null;
      }
      throw err;
    }
    let disagree = 0;
    for (const [i, h] of j.parts) if (listed.parts.get(i) !== h) disagree++;
    if (disagree > 0) o.log?.(`${disagree} recorded part(s) differ from what the vault holds; they will be checked and sent again`);
    return { uploadId: j.uploadId, partSize: listed.partSize, remote: listed.parts };
  }

  private async listParts(uploadId: string, recordedPartSize: number): Promise<{ partSize: number; parts: Map<number, string> }> {
    const o = this.o;
    const parts = new Map<number, string>();
    let partSize = recordedPartSize;
    let marker: string | undefined;
    do {
      const page = await vaultCall(o, 'ListParts', (signal) =>
        o.client.send(new ListPartsCommand({ accountId: account(o), vaultName: o.vaultName, uploadId, marker, limit: 1000 }), { abortSignal: signal }),
        `multipart upload ${uploadId}`,
      );
      if (page.PartSizeInBytes) partSize = page.PartSizeInBytes;
      for (const p of page.Parts ?? []) {
        const m = /^(\d+)-(\d+)$/.exec(p.RangeInBytes ?? '');
        if (!m || !p.SHA256TreeHash) continue;
        const start = Number(m[1]);
        if (start % partSize === 0) parts.set(start / partSize, p.SHA256TreeHash);
      }
      marker = page.Marker ?? undefined;
    } while (marker);
    return { partSize, parts };
  }

  // ---- send ---------------------------------------------------------------------------

  private async send(state: Resumable | null): Promise<UploadResult> {
    const o = this.o;
    const configuredMiB = Math.max(1, Math.round(o.partSize / MiB));
    let partSize: number;
    let uploadId: string | null = null;
    let remote = new Map<number, string>();
    if (state) {
      ({ uploadId, partSize, remote } = state);
    } else {
      const c = this.file.complete;
      partSize = choosePartSize(c ? c.size : (o.expectedBytes ?? 0), configuredMiB, this.maxParts);
      const available = await this.file.waitFor(partSize, o.signal);
      const done = this.file.complete;
      if (done && done.size < partSize && available === done.size) return this.single(done.size, done.treeHash);
      if (done) partSize = choosePartSize(done.size, configuredMiB, this.maxParts);
    }
    this.partSizeNow = partSize;
    const c = this.file.complete;
    if (c && partCount(c.size, partSize) > this.maxParts) {
      await this.abandon(uploadId, `it needs more than ${this.maxParts} parts of the recorded size`);
      return this.send(null);
    }

    const hashes: string[] = [];
    const parts = await sendParts({
      file: this.file,
      partSize,
      concurrency: o.concurrency,
      maxParts: this.maxParts,
      signal: o.signal,
      beforePart: async () => {
        if (uploadId !== null) return;
        uploadId = await this.initiate(partSize);
        o.journal.begin(uploadId, partSize);
      },
      send: (i, start, end, h) => this.part(uploadId!, i, start, end, h, remote, hashes),
    });
    if (parts === 0) throw new BackupError('INTERNAL', `multipart upload of an empty file ${o.path}`);
    if (parts === null) {
      const done = await this.file.whenComplete(o.signal);
      await this.abandon(uploadId, `it grew to ${done.size} bytes, more than ${this.maxParts} parts of ${partSize / MiB} MiB`);
      throw new Outgrown();
    }

    const done = await this.file.whenComplete(o.signal);
    const n = partCount(done.size, partSize);
    if (hashes.length !== n || Array.from(hashes).some((h) => h === undefined)) {
      throw new BackupError('INTERNAL', `multipart upload of ${o.path}: ${hashes.length} part hashes for ${n} parts`);
    }
    const tree = combineTreeHashes(hashes);
    const mismatch = this.expectedMismatch(tree, done.treeHash);
    if (mismatch) throw mismatch;
    o.journal.completing();
    return this.complete(uploadId!, done.size, tree, partSize);
  }

  /** Sends (or, if the service already holds it with the same hash, skips) part i = bytes [start, end). */
  private async part(uploadId: string, i: number, start: number, end: number, h: RangeHashes, remote: Map<number, string>, hashes: string[]): Promise<void> {
    const o = this.o;
    const tree = combineDigests(h.leaves).toString('hex');
    hashes[i] = tree;
    if (remote.get(i) === tree) {
      o.journal.partDone(i, tree);
      this.partFinished(i, end - start);
      return;
    }
    const policy = retryPolicy(o);
    let attempts = 0;
    try {
      const res = await withRetry(
        () => {
          attempts++;
          this.requests++;
          this.inflightBytes.set(i, 0);
          const body = new PacedBody(this.file, start, end - start, h, { limiter: o.limiter, signal: o.signal, onBytes: (n) => this.streamed(i, n) });
          return o.client.send(
            new UploadMultipartPartCommand({
              accountId: account(o),
              vaultName: o.vaultName,
              uploadId,
              range: `bytes ${start}-${end - 1}/*`,
              checksum: tree,
              body,
            }),
            { abortSignal: o.signal },
          );
        },
        { ...policy, signal: o.signal, operation: `UploadMultipartPart part ${i + 1} (bytes ${start}-${end - 1})` },
      );
      if (res.checksum && res.checksum !== tree) {
        throw new BackupError('CHECKSUM_MISMATCH', `the vault acknowledged part ${i + 1} of ${o.path} with tree hash ${res.checksum}, expected ${tree}`, { subject: o.path });
      }
    } catch (err) {
      this.inflightBytes.delete(i);
      if (isBackupError(err, 'ABORTED', 'CHECKSUM_MISMATCH')) throw err;
      const mapped = toVaultError(err, { vaultName: o.vaultName, endpoint: o.endpoint ?? 'the Glacier endpoint', operation: 'UploadMultipartPart', resource: `multipart upload ${uploadId}` });
      if (mapped.code === 'VAULT_AUTH' || mapped.code === 'VAULT_NOT_FOUND') throw mapped;
      throw new BackupError(
        'UPLOAD_FAILED',
        `part ${i + 1} of ${o.path} (bytes ${start}-${end - 1}) failed after ${attempts} attempt(s): ${describeError(err)}; run \`backup upload\` to resume`,
        { cause: err, subject: o.path },
      );
    }
    o.journal.partDone(i, tree);
    this.partsSent++;
    this.partFinished(i, end - start);
  }

  private async initiate(partSize: number): Promise<string> {
    const o = this.o;
    const res = await vaultCall(o, 'InitiateMultipartUpload', (signal) => {
      this.requests++;
      return o.client.send(
        new InitiateMultipartUploadCommand({ accountId: account(o), vaultName: o.vaultName, partSize: String(partSize), archiveDescription: o.description }),
        { abortSignal: signal },
      );
    });
    if (!res.uploadId) throw new BackupError('VAULT', `InitiateMultipartUpload on vault ${o.vaultName} returned no upload id`);
    return res.uploadId;
  }

  private async complete(uploadId: string, size: number, tree: string, partSize: number): Promise<UploadResult> {
    const o = this.o;
    const res = await vaultCall(
      o,
      'CompleteMultipartUpload',
      (signal) => {
        this.requests++;
        return o.client.send(
          new CompleteMultipartUploadCommand({ accountId: account(o), vaultName: o.vaultName, uploadId, archiveSize: String(size), checksum: tree }),
          { abortSignal: signal },
        );
      },
      `multipart upload ${uploadId}`,
    );
    return this.verified(res, tree, size, partSize);
  }

  private async single(size: number, writerTreeHash: string | undefined): Promise<UploadResult> {
    const o = this.o;
    const h = await hashRange(this.file, 0, size, Buffer.allocUnsafe(MiB));
    const tree = combineDigests(h.leaves).toString('hex');
    const mismatch = this.expectedMismatch(tree, writerTreeHash);
    if (mismatch) throw mismatch;
    const res = await vaultCall(o, 'UploadArchive', (signal) => {
      this.requests++;
      this.inflightBytes.set(0, 0);
      const body = new PacedBody(this.file, 0, size, h, { limiter: o.limiter, signal, onBytes: (n) => this.streamed(0, n) });
      return o.client.send(
        new UploadArchiveCommand({ accountId: account(o), vaultName: o.vaultName, archiveDescription: o.description, checksum: tree, body }),
        { abortSignal: signal },
      );
    });
    this.partsSent = 1;
    this.partFinished(0, size);
    return this.verified(res, tree, size, 0);
  }

  /** Aborts a multipart upload the uploader gives up on (best effort) and forgets it. */
  private async abandon(uploadId: string | null, why: string): Promise<void> {
    const o = this.o;
    if (uploadId) {
      o.log?.(`abandoning multipart upload ${uploadId} of ${o.path}: ${why}; starting again with larger parts`);
      await vaultCall(o, 'AbortMultipartUpload', (signal) =>
        o.client.send(new AbortMultipartUploadCommand({ accountId: account(o), vaultName: o.vaultName, uploadId }), { abortSignal: signal }),
        `multipart upload ${uploadId}`,
      ).catch((err: unknown) => {
        if (isBackupError(err, 'ABORTED')) throw err;
        o.log?.(`aborting multipart upload ${uploadId} failed (${(err as Error).message}); \`backup uploads abort\` can remove it later`);
      });
    }
    o.journal.reset();
    this.doneBytes = 0;
    this.partsDone = 0;
    this.inflightBytes.clear();
  }

  private verified(res: { archiveId?: string; checksum?: string; location?: string }, tree: string, size: number, partSize: number): UploadResult {
    const o = this.o;
    if (!res.archiveId) throw new BackupError('CHECKSUM_MISMATCH', `the vault stored ${o.path} but returned no archive id`, { subject: o.path });
    if (res.checksum !== tree) {
      throw new BackupError('CHECKSUM_MISMATCH', `the vault stored ${o.path} with tree hash ${res.checksum ?? '(none)'}, expected ${tree}`, { subject: o.path });
    }
    return { archiveId: res.archiveId, treeHash: tree, size, location: res.location ?? '', partSize, requests: this.requests, partsSent: this.partsSent };
  }

  /** A CHECKSUM_MISMATCH when `tree` differs from what the writer or the caller expects. */
  private expectedMismatch(tree: string, writerTreeHash: string | undefined): BackupError | null {
    const o = this.o;
    for (const [who, want] of [['the archive writer', writerTreeHash], ['the catalog', o.expectedTreeHash]] as const) {
      if (want !== undefined && want !== tree) {
        return new BackupError('CHECKSUM_MISMATCH', `${o.path} has tree hash ${tree} but ${who} recorded ${want}; the staged file changed, so it was not uploaded`, { subject: o.path });
      }
    }
    return null;
  }

  // ---- progress -----------------------------------------------------------------------

  private streamed(i: number, n: number): void {
    this.inflightBytes.set(i, (this.inflightBytes.get(i) ?? 0) + n);
    const now = performance.now();
    if (now - this.lastEmit >= 200) this.emit(now);
  }

  private partFinished(i: number, bytes: number): void {
    this.inflightBytes.delete(i);
    this.doneBytes += bytes;
    this.partsDone++;
    this.emit(performance.now());
  }

  private emit(now: number): void {
    if (!this.o.onProgress) return;
    this.lastEmit = now;
    let bytesSent = this.doneBytes;
    for (const b of this.inflightBytes.values()) bytesSent += b;
    const c = this.file.complete;
    const p: UploadProgress = { bytesSent, partsDone: this.partsDone, partSize: this.partSizeNow };
    if (c) p.partsTotal = this.partSizeNow ? partCount(c.size, this.partSizeNow) : 1;
    this.o.onProgress(p);
  }
}

function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'ResourceNotFoundException' || e?.$metadata?.httpStatusCode === 404;
}

/** The service error under a BackupError made by vaultCall. */
function rawCause(err: unknown): unknown {
  return err instanceof BackupError && err.cause !== undefined ? err.cause : err;
}
