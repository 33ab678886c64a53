/**
 * Archive operations: UploadArchive (a whole archive in one request) and DeleteArchive.
 */
import type { OperationContext } from './operation-context.js';
import type { ArchiveRow, VaultRow } from './glacier-store.js';
import { GlacierError, invalidParameter, missingParameter, notFound } from './glacier-error.js';
import { ARCHIVE_ID_LENGTH, isWellFormedId, newArchiveId } from './glacier-ids.js';
import { checkDescription, checkSha256Hex, checkVaultName, MAX_SINGLE_UPLOAD_BYTES, parseDecimal } from './glacier-rules.js';
import { locationOf, requireVault, vaultArn } from './operation-context.js';
import { receiveBody } from './receive-body.js';
import type { ReceivedBody } from './receive-body.js';
import { rm } from 'node:fs/promises';

/** POST /{account}/vaults/{name}/archives: 201 with Location, x-amz-archive-id, x-amz-sha256-tree-hash. */
export async function uploadArchive(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const description = checkDescription(ctx.header('x-amz-archive-description'));
  const declaredTreeHash = requiredTreeHash(ctx);
  const lengthHeader = ctx.header('content-length');
  if (lengthHeader === undefined) throw missingParameter('Content-Length');
  const length = parseDecimal(lengthHeader);
  if (length === undefined || length < 1 || length > MAX_SINGLE_UPLOAD_BYTES) {
    throw invalidParameter(`Invalid Content-Length: ${lengthHeader}. A single-request archive is 1 byte to 4 GB; upload larger archives in parts`);
  }

  const tmp = ctx.files.tmpPath();
  const body = await receiveBody(ctx.req, tmp, { maxBytes: length, resetAfterBytes: ctx.resetAfterRequestBytes, onBytes: (n) => ctx.countReceived(n) });
  try {
    checkReceived(ctx, body, declaredTreeHash);
    const archiveId = newArchiveId();
    await ctx.files.commitSingleArchive(archiveId, { idx: 0, size: body.size, treeHash: body.treeHash }, tmp, body.leaves);
    ctx.store.insertArchive({
      archiveId,
      vaultId: vault.id,
      description,
      size: body.size,
      treeHash: body.treeHash,
      chunkSize: body.size,
      uploadRow: null,
      createdAt: Math.max(ctx.now, ctx.clock()),
    });
    ctx.reply(201, {
      Location: locationOf(ctx.config, vault.name, 'archives', archiveId),
      'x-amz-archive-id': archiveId,
      'x-amz-sha256-tree-hash': body.treeHash,
    });
  } finally {
    await rm(tmp, { force: true });
  }
}

/** DELETE /{account}/vaults/{name}/archives/{id}: 204; deleting an already-deleted archive succeeds too. */
export async function deleteArchive(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  const archive = findArchive(ctx, vault, ctx.route.archiveId!);
  if (archive.deletedAt === null) {
    ctx.store.markArchiveDeleted(archive, Math.max(ctx.now, ctx.clock()));
    for (const id of ctx.store.takePurgeableArchives()) await ctx.files.removeArchive(id);
  }
  ctx.reply(204, {});
}

/** The vault's archive `archiveId` (deleted ones included), or InvalidParameterValue/ResourceNotFound. */
export function findArchive(ctx: OperationContext, vault: VaultRow, archiveId: string): ArchiveRow {
  if (!isWellFormedId(archiveId, ARCHIVE_ID_LENGTH)) throw invalidParameter(`Invalid archive ID: ${archiveId.slice(0, 300)}`);
  const archive = ctx.store.getArchive(archiveId);
  if (!archive || archive.vaultId !== vault.id) {
    throw notFound(`Archive not found for ARN: ${vaultArn(ctx.config, vault.name)}/archives/${archiveId}`);
  }
  return archive;
}

/** The x-amz-sha256-tree-hash header, required and 64 hex characters. */
export function requiredTreeHash(ctx: OperationContext): string {
  const value = ctx.header('x-amz-sha256-tree-hash');
  if (value === undefined || value === '') throw missingParameter('x-amz-sha256-tree-hash');
  return checkSha256Hex(value, 'x-amz-sha256-tree-hash');
}

/** Checks received bytes against x-amz-content-sha256 (signed) and x-amz-sha256-tree-hash. */
export function checkReceived(ctx: OperationContext, body: ReceivedBody, declaredTreeHash: string): void {
  if (ctx.declaredContentSha256 !== body.sha256) {
    throw new GlacierError(
      'InvalidSignatureException',
      `The value passed in as x-amz-content-sha256 does not match the computed payload hash. Computed digest: ${body.sha256} expected hash: ${ctx.declaredContentSha256}`,
    );
  }
  if (declaredTreeHash !== body.treeHash) {
    throw invalidParameter(`Checksum mismatch: expected ${declaredTreeHash} (x-amz-sha256-tree-hash) but calculated ${body.treeHash}`);
  }
}
