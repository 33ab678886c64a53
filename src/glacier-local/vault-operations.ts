/**
 * Vault operations: CreateVault, DescribeVault, ListVaults, DeleteVault.
 */
import type { OperationContext } from './operation-context.js';
import type { VaultRow } from './glacier-store.js';
import { GlacierError, invalidParameter } from './glacier-error.js';
import { checkVaultName, MAX_VAULTS, parseListLimit } from './glacier-rules.js';
import { isoMillis } from './inventory.js';
import { locationOf, requireVault, vaultArn } from './operation-context.js';
import { currentInventory, isVaultDeletable } from './vault-inventory.js';

/** PUT /{account}/vaults/{name}: 201 with Location; idempotent. */
export function createVault(ctx: OperationContext): void {
  const name = ctx.route.vaultName!;
  checkVaultName(name);
  if (!ctx.store.getVault(name) && ctx.store.countVaults() >= MAX_VAULTS) {
    throw new GlacierError('LimitExceededException', `The maximum number of vaults (${MAX_VAULTS}) for this account has been reached`);
  }
  ctx.store.createVault(name, ctx.now);
  ctx.reply(201, { Location: locationOf(ctx.config, name) });
}

/** GET /{account}/vaults/{name}: the vault's description, counts as of the last inventory. */
export function describeVault(ctx: OperationContext): void {
  checkVaultName(ctx.route.vaultName!);
  ctx.replyJson(200, describe(ctx, requireVault(ctx)));
}

/** GET /{account}/vaults?marker=&limit=: vaults in ASCII name order, 10 per page by default. */
export function listVaults(ctx: OperationContext): void {
  const limit = parseListLimit(ctx.query.get('limit'), 10, 10);
  const marker = ctx.query.get('marker');
  let from: string | null = null;
  if (marker) {
    const prefix = vaultArn(ctx.config, '');
    if (!marker.startsWith(prefix)) throw invalidParameter(`Invalid marker: ${marker.slice(0, 300)}`);
    from = marker.slice(prefix.length);
  }
  const rows = ctx.store.listVaults(from, limit + 1);
  const page = rows.slice(0, limit);
  ctx.replyJson(200, {
    Marker: rows.length > limit ? vaultArn(ctx.config, rows[limit].name) : null,
    VaultList: page.map((v) => describe(ctx, v)),
  });
}

/** DELETE /{account}/vaults/{name}: 204, only when empty as of the last inventory and not written since. */
export async function deleteVault(ctx: OperationContext): Promise<void> {
  checkVaultName(ctx.route.vaultName!);
  const vault = requireVault(ctx);
  if (!isVaultDeletable(ctx.store, vault, ctx.now, ctx.config.inventoryRefreshMs)) {
    throw invalidParameter(`Vault not empty or recently written to: ${vaultArn(ctx.config, vault.name)}`);
  }
  const gone = ctx.store.deleteVault(vault.id);
  for (const id of gone.archiveIds) await ctx.files.removeArchive(id);
  for (const id of gone.uploadIds) await ctx.files.removeUpload(id);
  for (const id of gone.jobIds) await ctx.files.removeJobOutput(id);
  ctx.reply(204, {});
}

function describe(ctx: OperationContext, vault: VaultRow): Record<string, unknown> {
  const inventory = currentInventory(ctx.store, vault, ctx.now, ctx.config.inventoryRefreshMs);
  const stats = inventory ? ctx.store.statsAsOf(vault.id, inventory.at) : { count: 0, size: 0 };
  return {
    CreationDate: isoMillis(vault.createdAt),
    LastInventoryDate: inventory ? isoMillis(inventory.date) : null,
    NumberOfArchives: stats.count,
    SizeInBytes: stats.size,
    VaultARN: vaultArn(ctx.config, vault.name),
    VaultName: vault.name,
  };
}
