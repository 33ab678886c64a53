/**
 * Amazon S3 (the Glacier storage classes) behind the storage seam.
 *
 * - Keys sort by set and sequence: data `prefix + set/000042-L1-<time>[-chain].tar.gz`,
 *   catalog snapshots `prefix + set/catalog/<file>`. A put to the same key replaces, so a
 *   resumed or repeated put never makes a second object.
 * - Each object carries its self-description (archive-description.ts) in the user metadata
 *   `x-amz-meta-backup`, so the bucket alone describes itself; data goes to
 *   s3.storageClass (DEEP_ARCHIVE by default), snapshots to s3.catalogStorageClass, a class
 *   readable without a restore, so a rebuild needs no waiting.
 * - Uploads: multipart, pipelined from a growing file, at most `concurrency` parts in flight
 *   (send-parts.ts, shared with the vault), each hashed by a first read of its range and sent
 *   by a second (memory about concurrency × 2 MiB whatever the part size, every attempt paced
 *   by the bandwidth cap chunk by chunk), each part with its SHA-256 (x-amz-checksum-sha256)
 *   that S3 verifies; the completed object's composite checksum (SHA-256 of the part
 *   digests) is checked against ours. A part's journal receipt is "<sha256 base64> <ETag>";
 *   a resume lists the upload's parts (ListParts) and sends only those S3 lacks or holds
 *   with another checksum. A file smaller than one part goes in one PutObject.
 * - The tree hash (the catalog's checksum) is computed from the 1 MiB leaves of the parts as
 *   they are read, and must equal the writer's.
 * - Checksums: the SDK's default CRC32 request checksums and response validation are off
 *   (`WHEN_REQUIRED`): every part already carries the SHA-256 S3 verifies, a second
 *   checksum would cost a pass over each part and an aws-chunked trailer some S3-compatible
 *   servers refuse, and GETs are verified here against the catalog (tree hash of whole
 *   objects; gzip CRCs and block SHA-256s for ranges in the restore).
 * - Cold objects (GLACIER, DEEP_ARCHIVE): warmUp sends RestoreObject (Days, Tier; DEEP_ARCHIVE
 *   has no Expedited) unless a restore is running or done; the state comes from HeadObject's
 *   x-amz-restore. The token is "s3-restore:<stamp>:<key>".
 * Retries are ours (with-retry.ts, s3.maxRetries); the SDK's are off.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, open, rename, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config-schema.js';
import { BackupError, fromSystemError, isBackupError, throwIfAborted } from '../../errors.js';
import { MiB, TreeHasher, combineDigests } from '../../treehash/tree-hash.js';
import { decodeDescription, encodeDescription, type ArchiveDescription } from '../archive-description.js';
import type { Backend, PutRequest, Stored, StoredObject } from '../backend.js';
import { ByteRateLimiter } from '../byte-rate-limiter.js';
import { GrowingFile } from '../growing-file.js';
import { hashRange } from '../hash-range.js';
import { PacedBody } from '../paced-body.js';
import { sendParts } from '../send-parts.js';
import { classifyError, describeError, withRetry, type RetryPolicy } from '../with-retry.js';

/** S3's limit on parts per multipart upload. */
const MAX_PARTS = 10_000;
const COLD = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const META_KEY = 'backup';
const TOKEN_PREFIX = 's3-restore:';

/** How to reach the bucket. */
export interface OpenS3Options {
  /** An http(s) URL overriding s3.endpoint ("local" must be resolved to the bundled server's URL first). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  log?: (line: string) => void;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** First poll interval while waiting for restores. */
  pollMs?: number;
  /** The bandwidth cap shared by every part in flight; default: one made from s3.maxBytesPerSecond. Each attempt of a part takes its bytes from it. */
  limiter?: ByteRateLimiter;
  /** Part size override in bytes (tests use parts under S3's 5 MiB against servers that allow them). */
  partSize?: number;
  onClose?: () => Promise<void>;
}

/** Days before deleting an object is free, per class (S3's minimum storage durations). */
export function minimumStorageDays(storageClass: string): number {
  return storageClass === 'DEEP_ARCHIVE' ? 180 : storageClass === 'GLACIER' || storageClass === 'GLACIER_IR' ? 90 : storageClass === 'STANDARD_IA' ? 30 : 0;
}

/**
 * The journal's upload id for a single-request PutObject: this prefix and the key. It is
 * recorded before the request, so the next run adopts the object (the archive was committed:
 * put() HEADs the key and keeps it when size and SHA-256 match) or deletes it (the archive
 * never was: abortUpload).
 */
export const SINGLE_PUT = 'put:';

/** The key of an object described by `meta` under `prefix`. */
export function objectKey(prefix: string, meta: Pick<ArchiveDescription, 'kind' | 'set' | 'fileName'>): string {
  const name = meta.fileName.startsWith(`${meta.set}-`) ? meta.fileName.slice(meta.set.length + 1) : meta.fileName;
  return meta.kind === 'catalog' ? `${prefix}${meta.set}/catalog/${meta.fileName}` : `${prefix}${meta.set}/${name}`;
}

/**
 * Creates the S3 client for `cfg`. The caller owns it. Retries are ours (maxAttempts 1); the
 * SDK's CRC checksums are off (WHEN_REQUIRED), see the header; path-style for endpoints.
 */
export function createS3Client(cfg: S3Config, opts: Pick<OpenS3Options, 'endpoint' | 'credentials'> = {}): S3Client {
  const endpoint = opts.endpoint ?? cfg.endpoint;
  if (endpoint === 'local') throw new BackupError('INTERNAL', 's3.endpoint "local" must be resolved to the bundled server\'s URL before creating a client');
  const config: S3ClientConfig = {
    region: cfg.region,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 15_000, socketTimeout: 120_000 },
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  };
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  if (opts.credentials) config.credentials = opts.credentials;
  else if (cfg.profile) config.profile = cfg.profile;
  return new S3Client(config);
}

/** Opens the bucket as a Backend; `client` (from createS3Client) is owned by the backend from then on. */
export function openS3(cfg: S3Config, opts: OpenS3Options = {}, client = createS3Client(cfg, opts)): Backend {
  const endpoint = opts.endpoint ?? cfg.endpoint;
  const where = endpoint ?? `https://s3.${cfg.region}.amazonaws.com`;
  const bucket = cfg.bucket;
  const log = opts.log;
  const policy: RetryPolicy = {
    retries: cfg.maxRetries,
    ...opts.retry,
    onRetry: (info) => log?.(`${info.operation ?? 's3 request'}: ${describeError(info.error)}; retry ${info.attempt}/${info.retries} in ${info.delayMs} ms`),
  };
  const limiter = opts.limiter ?? (cfg.maxBytesPerSecond ? new ByteRateLimiter(cfg.maxBytesPerSecond) : undefined);
  const pollMs = opts.pollMs ?? (endpoint ? 500 : 60_000);

  /** One request, retried by our policy, failing as a BackupError. */
  const call = async <T>(operation: string, fn: (signal: AbortSignal | undefined) => Promise<T>, resource?: string, signal = opts.signal): Promise<T> => {
    try {
      return await withRetry(() => fn(signal), { ...policy, signal, operation });
    } catch (err) {
      throw toS3Error(err, { bucket, endpoint: where, operation, resource });
    }
  };

  const head = (key: string) =>
    call('HeadObject', (signal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: signal }), `object ${key}`);

  const backend: Backend = {
    info: { kind: 's3', location: `s3://${bucket}/${cfg.prefix} (${where})`, storageClass: cfg.storageClass, minimumStorageDays: minimumStorageDays(cfg.storageClass), rangedWarmUp: false, listsAtOnce: true },

    put: (p) => put(p),

    async abortUpload(uploadId) {
      if (uploadId.startsWith(SINGLE_PUT)) {
        // a single-request upload of an archive never committed: its object, if S3 stored it, goes
        await backend.delete(uploadId.slice(SINGLE_PUT.length));
        return;
      }
      const u = (await backend.listUploads()).find((x) => x.uploadId === uploadId);
      if (!u) return;
      await call('AbortMultipartUpload', (signal) => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.label, UploadId: uploadId }), { abortSignal: signal })).catch((err: unknown) => {
        if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
      });
    },

    async listUploads() {
      const out: Array<{ uploadId: string; createdAt: string; label: string }> = [];
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      for (;;) {
        const page = await call('ListMultipartUploads', (signal) =>
          client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: cfg.prefix || undefined, KeyMarker: keyMarker, UploadIdMarker: idMarker }), { abortSignal: signal }),
        );
        for (const u of page.Uploads ?? []) if (u.UploadId && u.Key) out.push({ uploadId: u.UploadId, createdAt: (u.Initiated ?? new Date(0)).toISOString(), label: u.Key });
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        idMarker = page.NextUploadIdMarker;
      }
      return out;
    },

    async list() {
      const keys: Array<{ key: string; size: number; storedAt: Date; storageClass: string }> = [];
      let token: string | undefined;
      do {
        const page = await call('ListObjectsV2', (signal) =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: cfg.prefix || undefined, ContinuationToken: token }), { abortSignal: signal }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push({ key: o.Key, size: o.Size ?? 0, storedAt: o.LastModified ?? new Date(0), storageClass: o.StorageClass ?? 'STANDARD' });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      // the self-description is in each object's metadata: one HeadObject each (a few at a time)
      const limit = pLimit(8);
      const objects: StoredObject[] = await Promise.all(
        keys.map((k) =>
          limit(async () => {
            const h = await head(k.key);
            const description = h.Metadata?.[META_KEY] ?? '';
            const meta = decodeDescription(description);
            const o: StoredObject = { id: k.key, size: k.size, meta, description, storedAt: k.storedAt, storageClass: k.storageClass };
            if (meta?.treeHash) o.treeHash = meta.treeHash;
            return o;
          }),
        ),
      );
      return { ready: true, asOf: new Date().toISOString(), objects };
    },

    async warmUp(w) {
      const h = await head(w.id);
      const cls = h.StorageClass ?? 'STANDARD';
      const token = `${TOKEN_PREFIX}${(Date.now() * 1000 + (tokenCounter++ % 1000)).toString(36)}${w.range ? `-${w.range.start}-${w.range.end}` : ''}:${w.id}`;
      if (!COLD.has(cls)) return { token, ready: true };
      const state = restoreState(h.Restore);
      if (state !== 'none') return { token, ready: state === 'done' };
      if (cls === 'DEEP_ARCHIVE' && w.tier === 'Expedited') {
        throw new BackupError('USAGE', `object ${w.id} is in DEEP_ARCHIVE, which has no Expedited retrieval; use --tier Standard (within 12 hours) or Bulk (within 48 hours)`);
      }
      await call(
        'RestoreObject',
        (signal) => client.send(new RestoreObjectCommand({ Bucket: bucket, Key: w.id, RestoreRequest: { Days: cfg.restoreDays, GlacierJobParameters: { Tier: w.tier } } }), { abortSignal: signal }),
        `object ${w.id}`,
      ).catch((err: unknown) => {
        // 409 RestoreAlreadyInProgress: another invocation started it; that is the restore we wait for
        if (!(err instanceof BackupError && /RestoreAlreadyInProgress/.test(err.message))) throw err;
      });
      log?.(`started ${w.tier} restore of ${w.id} for ${cfg.restoreDays} day(s)`);
      return { token, ready: false };
    },

    async warmState(token) {
      const key = keyOf(token);
      const h = await head(key);
      if (!COLD.has(h.StorageClass ?? 'STANDARD')) return { state: 'ready' };
      const s = restoreState(h.Restore);
      if (s === 'none') throw new BackupError('VAULT_ITEM_NOT_FOUND', `object ${key} has no restore in progress or restored copy (it expired); a new restore is needed`, { subject: key });
      return { state: s === 'done' ? 'ready' : 'pending' };
    },

    async waitWarm(token, o) {
      let wait = pollMs;
      for (;;) {
        const s = await backend.warmState(token);
        o.onPoll?.(s.state);
        if (s.state === 'ready') return;
        if (s.state === 'failed') throw new BackupError('VAULT', `the restore of ${keyOf(token)} failed`);
        await sleep(wait, undefined, { signal: o.signal }).catch(() => throwIfAborted(o.signal));
        wait = Math.min(wait * 2, Math.max(pollMs, 15 * 60_000));
      }
    },

    async read(r) {
      const start = r.range?.start ?? 0;
      const end = r.range?.end ?? r.size - 1;
      const part = `${r.outPath}.part`;
      let have = await stat(part).then((s) => s.size, () => 0);
      if (have > end - start + 1) {
        await rm(part, { force: true });
        have = 0;
      }
      while (have < end - start + 1) {
        const from = start + have;
        const res = await call(
          'GetObject',
          (signal) => client.send(new GetObjectCommand({ Bucket: bucket, Key: r.id, Range: `bytes=${from}-${end}` }), { abortSignal: signal }),
          `object ${r.id}`,
          r.signal,
        );
        try {
          for await (const chunk of res.Body as Readable) {
            await appendFile(part, chunk as Buffer);
            have += (chunk as Buffer).length;
            r.onProgress?.(have);
          }
        } catch (err) {
          throwIfAborted(r.signal);
          log?.(`GetObject ${r.id} broke off at byte ${start + have} (${describeError(err)}); resuming`);
        }
      }
      const hasher = new TreeHasher();
      for await (const chunk of createReadStream(part)) hasher.update(chunk as Buffer);
      const size = hasher.size;
      const tree = hasher.digest();
      if (size !== end - start + 1 || (r.expectedTreeHash !== undefined && tree !== r.expectedTreeHash)) {
        await rm(part, { force: true });
        throw new BackupError('CHECKSUM_MISMATCH', `object ${r.id} read back as ${size} bytes with tree hash ${tree}, expected ${end - start + 1} bytes${r.expectedTreeHash ? ` with ${r.expectedTreeHash}` : ''}`, { subject: r.id });
      }
      await rename(part, r.outPath);
      return { size, treeHash: tree };
    },

    async delete(id) {
      await call('DeleteObject', (signal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: id }), { abortSignal: signal }), `object ${id}`).catch((err: unknown) => {
        if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
      });
    },

    async close() {
      client.destroy();
      await opts.onClose?.();
    },
  };

  async function put(p: PutRequest): Promise<Stored> {
    const key = objectKey(cfg.prefix, p.meta);
    const storageClass = (p.meta.kind === 'catalog' ? cfg.catalogStorageClass : cfg.storageClass) as StorageClass;
    const description = encodeDescription(p.meta);
    const fh = await open(p.path, 'r').catch((err: unknown) => {
      throw fromSystemError(err, p.path);
    });
    let requests = 0;
    let partsSent = 0;
    try {
      const file = await GrowingFile.open(fh, p.path, p.source);
      let partSize = opts.partSize ?? cfg.partSizeMiB * MiB;
      while (Math.ceil(p.expectedBytes / partSize) > MAX_PARTS) partSize *= 2;

      // resume what the journal recorded, if S3 still has it
      let uploadId: string | undefined;
      let remote = new Map<number, { sha: string; etag: string }>();
      let j = p.journal.load();
      if (j?.uploadId.startsWith(SINGLE_PUT)) {
        // a single-request upload was sent before a crash: adopt the object when it is ours byte for byte, else send again
        const done = await file.whenComplete(p.signal);
        const existing = await head(key).catch((err: unknown) => {
          if (isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) return undefined;
          throw err;
        });
        if (existing && existing.ContentLength === done.size && existing.ChecksumSHA256 !== undefined) {
          const h = await hashRange(file, 0, done.size, Buffer.allocUnsafe(MiB));
          if (existing.ChecksumSHA256 === h.sha256.toString('base64')) {
            log?.(`object ${key} was stored before the run that sent it stopped; adopted`);
            return finish(combineDigests(h.leaves).toString('hex'), done.size, done.treeHash, existing.StorageClass ?? storageClass);
          }
        }
        p.journal.reset();
        j = null;
      }
      if (j) {
        try {
          remote = await listParts(key, j.uploadId, j.parts);
          uploadId = j.uploadId;
          partSize = j.partSize;
          log?.(`resuming multipart upload of ${key}: S3 holds ${remote.size} part(s)`);
        } catch (err) {
          if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
          if (j.completing) {
            // completed before a crash: the object is there if its checksum is ours
            const done = await file.whenComplete(p.signal);
            const existing = await head(key).catch(() => undefined);
            const hashed = await hashFile(p.path, partSize);
            if (existing && existing.ContentLength === done.size && sameComposite(existing.ChecksumSHA256, hashed.composite)) {
              return finish(hashed.tree, done.size, done.treeHash, storageClass);
            }
          }
          log?.(`multipart upload ${j.uploadId} of ${key} is no longer known to S3; starting it again`);
          p.journal.reset();
        }
      }

      const first = await file.waitFor(partSize, p.signal);
      const c = file.complete;
      if (!uploadId && c && c.size === first && c.size < partSize) {
        const h = await hashRange(file, 0, c.size, Buffer.allocUnsafe(MiB));
        // intent first: a crash after S3 stored the object but before the catalog recorded it leaves this for the next run to settle
        p.journal.begin(`${SINGLE_PUT}${key}`, c.size);
        await call('PutObject', (signal) => {
          // every attempt sends the bytes again: each one is paced
          requests++;
          const body = new PacedBody(file, 0, c.size, h, { limiter, signal });
          return client.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: c.size, ChecksumSHA256: h.sha256.toString('base64'), StorageClass: storageClass, Metadata: { [META_KEY]: description } }),
            { abortSignal: signal },
          );
        }, `object ${key}`, p.signal);
        partsSent = 1;
        p.onProgress?.({ bytesSent: c.size, partsDone: 1, partsTotal: 1 });
        return finish(combineDigests(h.leaves).toString('hex'), c.size, c.treeHash, storageClass);
      }
      if (!uploadId) {
        // keys are deterministic: an open upload of this key is a leftover of a crash between
        // CreateMultipartUpload and the journal recording its id; nothing else would ever abort it
        const open = await call('ListMultipartUploads', (signal) => client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }), { abortSignal: signal }), `object ${key}`, p.signal);
        requests++;
        for (const u of open.Uploads ?? []) {
          if (u.Key !== key || !u.UploadId) continue;
          log?.(`aborting multipart upload ${u.UploadId} of ${key} left by an interrupted run`);
          const uploadId = u.UploadId;
          await call('AbortMultipartUpload', (signal) => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal: signal }), `object ${key}`, p.signal).catch((err: unknown) => {
            if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
          });
          requests++;
        }
        const res = await call('CreateMultipartUpload', (signal) => {
          requests++;
          return client.send(
            new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, StorageClass: storageClass, ChecksumAlgorithm: 'SHA256', Metadata: { [META_KEY]: description } }),
            { abortSignal: signal },
          );
        }, `object ${key}`, p.signal);
        if (!res.UploadId) throw new BackupError('VAULT', `CreateMultipartUpload of ${key} returned no upload id`);
        uploadId = res.UploadId;
        p.journal.begin(uploadId, partSize);
      }

      const id = uploadId;
      const leaves: Buffer[][] = [];
      const shas: Buffer[] = [];
      const etags: string[] = [];
      let bytesSent = 0;
      let partsDone = 0;
      const parts = await sendParts({
        file,
        partSize,
        concurrency: cfg.concurrency,
        maxParts: MAX_PARTS,
        signal: p.signal,
        send: async (i, start, end, h) => {
          const sha = h.sha256.toString('base64');
          leaves[i] = h.leaves;
          shas[i] = h.sha256;
          const held = remote.get(i + 1);
          if (held && held.sha === sha) {
            etags[i] = held.etag;
          } else {
            const res = await call(`UploadPart ${i + 1} of ${key}`, (signal) => {
              // every attempt sends the part again: each one is paced
              requests++;
              const body = new PacedBody(file, start, end - start, h, { limiter, signal });
              return client.send(
                new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: i + 1, Body: body, ContentLength: end - start, ChecksumSHA256: sha }),
                { abortSignal: signal },
              );
            }, `multipart upload ${id}`, p.signal).catch((err: unknown) => {
              if (isBackupError(err, 'ABORTED', 'VAULT_AUTH', 'VAULT_NOT_FOUND')) throw err;
              throw new BackupError('UPLOAD_FAILED', `part ${i + 1} of ${p.path} failed: ${(err as Error).message}; run \`backup upload\` to resume`, { cause: err, subject: p.path });
            });
            if (res.ChecksumSHA256 && res.ChecksumSHA256 !== sha) {
              throw new BackupError('CHECKSUM_MISMATCH', `S3 acknowledged part ${i + 1} of ${p.path} with SHA-256 ${res.ChecksumSHA256}, expected ${sha}`, { subject: p.path });
            }
            if (!res.ETag) throw new BackupError('VAULT', `UploadPart ${i + 1} of ${key} returned no ETag`);
            etags[i] = res.ETag;
            partsSent++;
          }
          p.journal.partDone(i, `${sha} ${etags[i]}`);
          bytesSent += end - start;
          partsDone++;
          p.onProgress?.({ bytesSent, partsDone });
        },
      });
      if (parts === null) throw new BackupError('UPLOAD_FAILED', `${p.path} grew beyond ${MAX_PARTS} parts of ${partSize} bytes`);
      const done = await file.whenComplete(p.signal);
      const n = Math.max(1, Math.ceil(done.size / partSize));
      const tree = combineDigests(leaves.slice(0, n).flat()).toString('hex');
      const composite = createHash('sha256').update(Buffer.concat(shas.slice(0, n))).digest('base64');
      p.journal.completing();
      const res = await call('CompleteMultipartUpload', (signal) => {
        requests++;
        return client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: id,
            MultipartUpload: { Parts: etags.slice(0, n).map((etag, i) => ({ PartNumber: i + 1, ETag: etag, ChecksumSHA256: shas[i].toString('base64') })) },
          }),
          { abortSignal: signal },
        );
      }, `multipart upload ${id}`, p.signal);
      if (res.ChecksumSHA256 && !sameComposite(res.ChecksumSHA256, composite)) {
        throw new BackupError('CHECKSUM_MISMATCH', `S3 stored ${key} with checksum ${res.ChecksumSHA256}, expected ${composite}-${n}`, { subject: p.path });
      }
      return finish(tree, done.size, done.treeHash, storageClass);
    } finally {
      await fh.close();
    }

    function finish(tree: string, size: number, writerTree: string | undefined, cls: string): Stored {
      if (writerTree !== undefined && writerTree !== tree) {
        throw new BackupError('CHECKSUM_MISMATCH', `${p.path} has tree hash ${tree} but the archive writer recorded ${writerTree}; the staged file changed`, { subject: p.path });
      }
      return { id: key, treeHash: tree, size, requests, partsSent, storageClass: cls };
    }
  }

  /**
   * The parts S3 holds for an upload, by part number. A server that lists no checksums
   * (moto) is matched by ETag against the journal's receipts instead.
   */
  async function listParts(key: string, uploadId: string, receipts: ReadonlyMap<number, string>): Promise<Map<number, { sha: string; etag: string }>> {
    const parts = new Map<number, { sha: string; etag: string }>();
    let marker: string | undefined;
    for (;;) {
      const page = await call('ListParts', (signal) => client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), { abortSignal: signal }), `multipart upload ${uploadId}`);
      for (const pt of page.Parts ?? []) {
        if (!pt.PartNumber || !pt.ETag) continue;
        const [sha, etag] = (receipts.get(pt.PartNumber - 1) ?? '').split(' ');
        const held = pt.ChecksumSHA256 ?? (etag === pt.ETag ? sha : undefined);
        if (held) parts.set(pt.PartNumber, { sha: held, etag: pt.ETag });
      }
      if (!page.IsTruncated) return parts;
      marker = page.NextPartNumberMarker;
    }
  }

  return backend;
}

let tokenCounter = 0;

/** The key a warm-up token names: tokens are "s3-restore:<stamp>[-<range>]:<key>", unique per request so the catalog can record each. */
function keyOf(token: string): string {
  if (!token.startsWith(TOKEN_PREFIX)) return token;
  const rest = token.slice(TOKEN_PREFIX.length);
  return rest.slice(rest.indexOf(':') + 1);
}

/** x-amz-restore: 'none' (no restore), 'running', or 'done' (a restored copy exists). */
function restoreState(header: string | undefined): 'none' | 'running' | 'done' {
  if (!header) return 'none';
  return /ongoing-request="true"/.test(header) ? 'running' : 'done';
}

/** Composite checksums compare without the "-N" part count (some servers omit it). */
function sameComposite(a: string | undefined, b: string): boolean {
  return !!a && a.replace(/-\d+$/, '') === b.replace(/-\d+$/, '');
}

/** The tree hash and the composite SHA-256 of a complete file cut in parts of `partSize`. */
async function hashFile(path: string, partSize: number): Promise<{ tree: string; composite: string }> {
  const tree = new TreeHasher();
  const shas: Buffer[] = [];
  let part = createHash('sha256');
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) {
    let b = chunk as Buffer;
    tree.update(b);
    while (b.length > 0) {
      const take = Math.min(partSize - inPart, b.length);
      part.update(b.subarray(0, take));
      inPart += take;
      b = b.subarray(take);
      if (inPart === partSize) {
        shas.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || shas.length === 0) shas.push(part.digest());
  return { tree: tree.digest(), composite: createHash('sha256').update(Buffer.concat(shas)).digest('base64') };
}

/** Maps the error an S3 request finally failed with to a BackupError naming the bucket (never credentials). */
function toS3Error(err: unknown, ctx: { bucket: string; endpoint: string; operation: string; resource?: string }): BackupError {
  if (err instanceof BackupError) return err;
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 300);
  const status = e.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return new BackupError('VAULT_NOT_FOUND', `bucket ${ctx.bucket} does not exist at ${ctx.endpoint}; create it (aws s3api create-bucket) or fix s3.bucket`, { cause: err, subject: ctx.bucket });
  if (name === 'InvalidObjectState') {
    return new BackupError('RETRIEVAL_PENDING', `${ctx.resource ?? ctx.operation} is in a cold storage class and not restored yet; run the same command again later, or add --wait`, { cause: err, subject: ctx.bucket });
  }
  if (status === 403 || status === 401 || /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|ExpiredToken|CredentialsProviderError/.test(name)) {
    return new BackupError('VAULT_AUTH', `${ctx.operation} on bucket ${ctx.bucket} was refused (${name}: ${message}); check the credentials (environment, shared credentials file, s3.profile) and the bucket policy`, { cause: err, subject: ctx.bucket });
  }
  if (name === 'NoSuchKey' || name === 'NoSuchUpload' || name === 'NotFound' || status === 404) {
    return new BackupError('VAULT_ITEM_NOT_FOUND', `${ctx.resource ?? ctx.operation} not found in bucket ${ctx.bucket} (${name})`, { cause: err, subject: ctx.resource ?? ctx.bucket });
  }
  if (status === undefined && classifyError(err) === 'retry') {
    return new BackupError('NETWORK', `${ctx.operation} on bucket ${ctx.bucket}: cannot reach ${ctx.endpoint} (${e.code ?? name}: ${message}); check the network and run the command again`, { cause: err, subject: ctx.endpoint });
  }
  return new BackupError('VAULT', `${ctx.operation} on bucket ${ctx.bucket} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, { cause: err, subject: ctx.bucket });
}
