/**
 * Multipart upload operations: InitiateMultipartUpload, UploadMultipartPart,
 * CompleteMultipartUpload, AbortMultipartUpload, ListMultipartUploads, ListParts.
 */
import { rm } from 'node:fs/promises';
import type { OperationContext } from './operation-context.js';
import type { UploadRow, VaultRow } from './glacier-store.js';
import { invalidParameter, missingParameter, notFound } from './glacier-error.js';
import { newArchiveId, newUploadId } from './glacier-ids.js';
import { checkDescription, checkVaultName, parseContentRange, parseDecimal, parseListLimit, parseListMarker, parsePartSize } from './glacier-rules.js';
import { isoMillis } from './inventory.js';
import { locationOf, requireVault, vaultArn } from './operation-context.js';
import { receiveBody } from './receive-body.js';
import { checkReceived, requiredTreeHash } from './archive-operations.js';
import { combineTreeHashes } from '../treehash/tree-hash.js';

/** POST /{account}/vaults/{name}/multipart-uploads: 201 with Location and x-amz-multipart-upload-id. */
export async function initiateMultipartUpload(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const partSize = parsePartSize(ctx.header('x-amz-part-size'));
  // AWS documents that leading spaces of a multipart archive's description are removed
  const description = checkDescription(ctx.header('x-amz-archive-description')?.replace(/^ +/, ''));
  const uploadId = newUploadId();
  await ctx.files.createUploadDir(uploadId);
  ctx.store.insertUpload({ uploadId, vaultId: vault.id, description, partSize, createdAt: ctx.now });
  ctx.reply(201, {
    Location: locationOf(ctx.config, vault.name, 'multipart-uploads', uploadId),
    'x-amz-multipart-upload-id': uploadId,
  });
}

/** PUT …/multipart-uploads/{id} with Content-Range: 204 with the part's x-amz-sha256-tree-hash; a re-sent part replaces the earlier one. */
export async function uploadMultipartPart(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const upload = openUpload(ctx, vault);
  const range = parseContentRange(ctx.header('content-range'), upload.partSize);
  const expected = range.end - range.start + 1;
  const lengthHeader = ctx.header('content-length');
  if (lengthHeader !== undefined && parseDecimal(lengthHeader) !== expected) {
    throw invalidParameter(`Content-Length ${lengthHeader} does not match Content-Range ${ctx.header('content-range')} (${expected} bytes)`);
  }
  const declaredTreeHash = requiredTreeHash(ctx);

  const tmp = ctx.files.tmpPath();
  const body = await receiveBody(ctx.req, tmp, { maxBytes: expected, resetAfterBytes: ctx.resetAfterRequestBytes, onBytes: (n) => ctx.countReceived(n) });
  try {
    if (body.size !== expected) {
      throw invalidParameter(`Content-Range ${ctx.header('content-range')} announces ${expected} bytes but the body has ${body.size}`);
    }
    checkReceived(ctx, body, declaredTreeHash);
    const part = { idx: range.start / upload.partSize, size: body.size, treeHash: body.treeHash };
    try {
      await ctx.files.commitPart(upload.uploadId, part, tmp, body.leaves);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw uploadNotFound(upload.uploadId);
      throw err;
    }
    if (ctx.store.getUpload(upload.uploadId)?.state !== 'open') throw uploadNotFound(upload.uploadId);
    const replaced = ctx.store.putPart(upload.id, part);
    if (replaced && (replaced.treeHash !== part.treeHash || replaced.size !== part.size)) await ctx.files.removePart(upload.uploadId, replaced);
    ctx.reply(204, { 'x-amz-sha256-tree-hash': body.treeHash });
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * POST …/multipart-uploads/{id} with x-amz-archive-size and the whole archive's
 * x-amz-sha256-tree-hash: 201 with Location and x-amz-archive-id. Parts must cover
 * the archive without gaps, each but the last exactly the part size. A repeat within
 * the idempotency window returns the same archive ID.
 */
export async function completeMultipartUpload(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const upload = findUpload(ctx, vault);
  const sizeHeader = ctx.header('x-amz-archive-size');
  if (sizeHeader === undefined || sizeHeader === '') throw missingParameter('x-amz-archive-size');
  const archiveSize = parseDecimal(sizeHeader);
  if (archiveSize === undefined) throw invalidParameter(`Invalid x-amz-archive-size: ${sizeHeader}`);
  const treeHash = requiredTreeHash(ctx);

  if (upload.state === 'completed') {
    const fresh = ctx.now - (upload.finishedAt ?? 0) <= ctx.config.multipartCompleteIdempotencyMs;
    if (fresh && upload.archiveSize === archiveSize && upload.archiveTreeHash === treeHash) {
      replyCreated(ctx, vault, upload.archiveId!, treeHash);
      return;
    }
    throw uploadNotFound(upload.uploadId);
  }
  if (upload.state !== 'open') throw uploadNotFound(upload.uploadId);

  const parts = ctx.store.allParts(upload.id);
  if (parts.length === 0) throw invalidParameter('No parts have been uploaded for this multipart upload');
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.idx !== i) {
      throw invalidParameter(`Missing part: bytes ${i * upload.partSize}-${(i + 1) * upload.partSize - 1} were never uploaded`);
    }
    if (i < parts.length - 1 && p.size !== upload.partSize) {
      throw invalidParameter(`Part bytes ${p.idx * upload.partSize}-${p.idx * upload.partSize + p.size - 1} is smaller than the part size ${upload.partSize} but is not the last part`);
    }
    total += p.size;
  }
  if (total !== archiveSize) {
    throw invalidParameter(`x-amz-archive-size ${archiveSize} does not match the total size of the uploaded parts (${total} bytes)`);
  }
  const computed = combineTreeHashes(parts.map((p) => p.treeHash));
  if (computed !== treeHash) {
    throw invalidParameter(`Checksum mismatch: expected ${treeHash} (x-amz-sha256-tree-hash) but calculated ${computed} from the uploaded parts`);
  }

  const archiveId = newArchiveId();
  try {
    ctx.store.completeUpload(upload, {
      archiveId,
      vaultId: vault.id,
      description: upload.description,
      size: total,
      treeHash: computed,
      chunkSize: upload.partSize,
      uploadRow: upload.id,
      createdAt: Math.max(ctx.now, ctx.clock()),
    });
  } catch (err) {
    // a concurrent Complete (or Abort) of the same upload won the race
    const now = ctx.store.getUpload(upload.uploadId);
    if (now?.state === 'completed' && now.archiveSize === archiveSize && now.archiveTreeHash === treeHash) {
      replyCreated(ctx, vault, now.archiveId!, treeHash);
      return;
    }
    if (now?.state !== 'open') throw uploadNotFound(upload.uploadId);
    throw err;
  }
  await ctx.files.promoteUpload(upload.uploadId, archiveId);
  replyCreated(ctx, vault, archiveId, computed);
}

/** DELETE …/multipart-uploads/{id}: 204; aborting an aborted upload succeeds for a while, a completed one fails. */
export async function abortMultipartUpload(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const upload = findUpload(ctx, vault);
  if (upload.state === 'completed') throw uploadNotFound(upload.uploadId);
  if (upload.state === 'open' && ctx.store.abortUpload(upload, ctx.now)) await ctx.files.removeUpload(upload.uploadId);
  ctx.reply(204, {});
}

/** GET /{account}/vaults/{name}/multipart-uploads?marker=&limit=: open uploads, 50 per page by default. */
export function listMultipartUploads(ctx: OperationContext): void {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const limit = parseListLimit(ctx.query.get('limit'), 50, 1000);
  const fromRow = parseListMarker(ctx.query.get('marker'), (m) => ctx.store.uploadRowOf(vault.id, m));
  const rows = ctx.store.listOpenUploads(vault.id, fromRow, limit + 1);
  ctx.replyJson(200, {
    Marker: rows.length > limit ? rows[limit].uploadId : null,
    UploadsList: rows.slice(0, limit).map((u) => ({
      ArchiveDescription: u.description,
      CreationDate: isoMillis(u.createdAt),
      MultipartUploadId: u.uploadId,
      PartSizeInBytes: u.partSize,
      VaultARN: vaultArn(ctx.config, vault.name),
    })),
  });
}

/** GET …/multipart-uploads/{id}?marker=&limit=: the parts received so far in offset order, 50 per page by default. */
export function listParts(ctx: OperationContext): void {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const upload = openUpload(ctx, vault);
  const limit = parseListLimit(ctx.query.get('limit'), 50, 1000);
  const marker = ctx.query.get('marker');
  let fromIdx = 0;
  if (marker) {
    const offset = parseDecimal(marker);
    if (offset === undefined || offset % upload.partSize !== 0) throw invalidParameter(`Invalid marker: ${marker.slice(0, 300)}`);
    fromIdx = offset / upload.partSize;
  }
  const rows = ctx.store.listParts(upload.id, fromIdx, limit + 1);
  ctx.replyJson(200, {
    ArchiveDescription: upload.description,
    CreationDate: isoMillis(upload.createdAt),
    Marker: rows.length > limit ? String(rows[limit].idx * upload.partSize) : null,
    MultipartUploadId: upload.uploadId,
    PartSizeInBytes: upload.partSize,
    Parts: rows.slice(0, limit).map((p) => ({
      RangeInBytes: `${p.idx * upload.partSize}-${p.idx * upload.partSize + p.size - 1}`,
      SHA256TreeHash: p.treeHash,
    })),
    VaultARN: vaultArn(ctx.config, vault.name),
  });
}

function replyCreated(ctx: OperationContext, vault: VaultRow, archiveId: string, treeHash: string): void {
  ctx.reply(201, {
    Location: locationOf(ctx.config, vault.name, 'archives', archiveId),
    'x-amz-archive-id': archiveId,
    'x-amz-sha256-tree-hash': treeHash,
  });
}

/** The upload the request names, in any state, or ResourceNotFoundException. */
function findUpload(ctx: OperationContext, vault: VaultRow): UploadRow {
  const id = ctx.route.uploadId!;
  const upload = ctx.store.getUpload(id);
  if (!upload || upload.vaultId !== vault.id) throw uploadNotFound(id);
  return upload;
}

/** The upload the request names if it is still open, or ResourceNotFoundException. */
function openUpload(ctx: OperationContext, vault: VaultRow): UploadRow {
  const upload = findUpload(ctx, vault);
  if (upload.state !== 'open') throw uploadNotFound(upload.uploadId);
  return upload;
}

function uploadNotFound(uploadId: string) {
  return notFound(`The upload ID was not found: ${uploadId.slice(0, 300)}`);
}
