/**
 * Vault inventories: request one (a job that takes hours on AWS), fetch and parse its JSON,
 * and reconcile it with the catalog (pure).
 */
import { GetJobOutputCommand, InitiateJobCommand } from '@aws-sdk/client-glacier';
import { BackupError } from '../../errors.js';
import { decodeDescription, type DecodedDescription } from '../archive-description.js';
import { account, vaultCall, type VaultTarget } from './vault-call.js';

/** One archive as the inventory lists it; `treeHash` is '' when the backend keeps none (S3). */
export interface InventoryArchive {
  archiveId: string;
  description: string;
  creationDate: string;
  size: number;
  treeHash: string;
}

/** A parsed inventory. */
export interface Inventory {
  vaultArn: string;
  inventoryDate: string;
  archives: InventoryArchive[];
}

/** Starts an inventory-retrieval job and returns its id. */
export async function initiateInventory(o: VaultTarget & { format?: 'JSON'; description?: string }): Promise<string> {
  const res = await vaultCall(o, 'InitiateJob', (signal) =>
    o.client.send(
      new InitiateJobCommand({
        accountId: account(o),
        vaultName: o.vaultName,
        jobParameters: { Type: 'inventory-retrieval', Format: o.format ?? 'JSON', ...(o.description ? { Description: o.description } : {}) },
      }),
      { abortSignal: signal },
    ),
  );
  if (!res.jobId) throw new BackupError('VAULT', `InitiateJob on vault ${o.vaultName} returned no job id`);
  return res.jobId;
}

/** Downloads and parses a succeeded inventory job's output. */
export async function fetchInventory(o: VaultTarget & { jobId: string }): Promise<Inventory> {
  const text = await vaultCall(
    o,
    'GetJobOutput',
    async (signal) => {
      const res = await o.client.send(new GetJobOutputCommand({ accountId: account(o), vaultName: o.vaultName, jobId: o.jobId }), { abortSignal: signal });
      if (!res.body) return '';
      return (res.body as { transformToString(): Promise<string> }).transformToString();
    },
    `job ${o.jobId}`,
  );
  return parseInventory(text, o.jobId);
}

/** Parses Glacier's JSON inventory. Throws VAULT for anything else. */
export function parseInventory(text: string, jobId = 'inventory'): Inventory {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new BackupError('VAULT', `the output of job ${jobId} is not a JSON inventory`, { cause: err, subject: jobId });
  }
  const o = j as { VaultARN?: unknown; InventoryDate?: unknown; ArchiveList?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.ArchiveList)) {
    throw new BackupError('VAULT', `the output of job ${jobId} is not a JSON inventory (no ArchiveList)`, { subject: jobId });
  }
  return {
    vaultArn: fieldText(o.VaultARN),
    inventoryDate: fieldText(o.InventoryDate),
    archives: (o.ArchiveList as Array<Record<string, unknown>>).map((a) => ({
      archiveId: fieldText(a.ArchiveId),
      description: fieldText(a.ArchiveDescription),
      creationDate: fieldText(a.CreationDate),
      size: Number(a.Size ?? 0),
      treeHash: fieldText(a.SHA256TreeHash),
    })),
  };
}

/** A JSON field as text: strings as they are, numbers and booleans in their usual form, a missing field as ''. */
function fieldText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** A catalog archive as reconcileInventory sees it. */
export interface CatalogArchive {
  seq: number;
  archiveId: string;
  size: number;
  treeHash: string;
  /** When the upload completed (ISO); archives newer than the inventory are not expected in it. */
  uploadedAt?: string | null;
}

/** What differs between a vault's inventory and the catalog. */
export interface Reconciliation {
  /** In the vault, unknown to the catalog; `decoded` is null for foreign descriptions. */
  unknownInVault: Array<InventoryArchive & { decoded: DecodedDescription | null }>;
  /** In the catalog, absent from an inventory taken after their upload. */
  missingFromVault: CatalogArchive[];
  /** In the catalog, uploaded after the inventory was taken: not a discrepancy yet. */
  newerThanInventory: CatalogArchive[];
  /** Present in both with a different size or tree hash. */
  mismatched: Array<{ seq: number; archiveId: string; catalog: { size: number; treeHash: string }; vault: { size: number; treeHash: string } }>;
  /** Present in both and identical. */
  matched: number;
}

/**
 * Compares an inventory with the catalog's uploaded archives (pass only those not deleted).
 * Glacier prepares inventories about daily, so with `inventoryDate` an archive uploaded after
 * it is reported as newer, not missing. `catalogSnapshots` are the IDs of the catalog
 * snapshots this catalog uploaded: known, so never reported as unknown.
 */
export function reconcileInventory(inventory: readonly InventoryArchive[], catalog: readonly CatalogArchive[], opts: { inventoryDate?: string; catalogSnapshots?: ReadonlySet<string> } = {}): Reconciliation {
  const inVault = new Map(inventory.map((a) => [a.archiveId, a]));
  // the catalog's own snapshots are known too, not strangers
  const known = new Set([...catalog.map((c) => c.archiveId), ...(opts.catalogSnapshots ?? [])]);
  const cutoff = opts.inventoryDate ? Date.parse(opts.inventoryDate) : Number.NaN;
  const out: Reconciliation = { unknownInVault: [], missingFromVault: [], newerThanInventory: [], mismatched: [], matched: 0 };
  for (const c of catalog) {
    const v = inVault.get(c.archiveId);
    if (!v) {
      const uploaded = c.uploadedAt ? Date.parse(c.uploadedAt) : Number.NaN;
      if (!Number.isNaN(cutoff) && !Number.isNaN(uploaded) && uploaded > cutoff) out.newerThanInventory.push(c);
      else out.missingFromVault.push(c);
    } else if (v.size !== c.size || (v.treeHash !== '' && v.treeHash !== c.treeHash)) {
      out.mismatched.push({ seq: c.seq, archiveId: c.archiveId, catalog: { size: c.size, treeHash: c.treeHash }, vault: { size: v.size, treeHash: v.treeHash } });
    } else {
      out.matched++;
    }
  }
  for (const a of inventory) {
    if (!known.has(a.archiveId)) out.unknownInVault.push({ ...a, decoded: decodeDescription(a.description) });
  }
  return out;
}
