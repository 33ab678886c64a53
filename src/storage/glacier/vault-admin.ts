/** Vault housekeeping: vaults, multipart uploads, archive deletion. Thin calls with retries. */
import {
  AbortMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListVaultsCommand,
} from '@aws-sdk/client-glacier';
import { toJobStatus, type JobStatus } from './retrieve-archive.js';
import { account, vaultCall, type VaultTarget } from './vault-call.js';

/** A vault as DescribeVault / ListVaults report it. */
export interface VaultInfo {
  vaultArn: string;
  vaultName: string;
  creationDate: string;
  lastInventoryDate: string | null;
  numberOfArchives: number;
  sizeInBytes: number;
}

/** A multipart upload in progress. */
export interface UploadInfo {
  uploadId: string;
  archiveDescription: string;
  creationDate: string;
  partSize: number;
}

/** Creates the vault (idempotent on Glacier: creating an existing vault succeeds). Returns its location. */
export async function createVault(o: VaultTarget): Promise<{ location: string }> {
  const res = await vaultCall(o, 'CreateVault', (signal) => o.client.send(new CreateVaultCommand({ accountId: account(o), vaultName: o.vaultName }), { abortSignal: signal }));
  return { location: res.location ?? '' };
}

/** Describes the vault. VAULT_NOT_FOUND when it does not exist. */
export async function describeVault(o: VaultTarget): Promise<VaultInfo> {
  const res = await vaultCall(o, 'DescribeVault', (signal) => o.client.send(new DescribeVaultCommand({ accountId: account(o), vaultName: o.vaultName }), { abortSignal: signal }));
  return toVaultInfo(res);
}

/** All vaults of the account (every page). `vaultName` of the target is not used. */
export async function listVaults(o: VaultTarget): Promise<VaultInfo[]> {
  const out: VaultInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await vaultCall(o, 'ListVaults', (signal) => o.client.send(new ListVaultsCommand({ accountId: account(o), marker, limit: 1000 }), { abortSignal: signal }));
    for (const v of page.VaultList ?? []) out.push(toVaultInfo(v));
    marker = page.Marker ?? undefined;
  } while (marker);
  return out;
}

/** All multipart uploads in progress in the vault (every page). */
export async function listUploads(o: VaultTarget): Promise<UploadInfo[]> {
  const out: UploadInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await vaultCall(o, 'ListMultipartUploads', (signal) =>
      o.client.send(new ListMultipartUploadsCommand({ accountId: account(o), vaultName: o.vaultName, marker, limit: 1000 }), { abortSignal: signal }),
    );
    for (const u of page.UploadsList ?? []) {
      out.push({
        uploadId: u.MultipartUploadId ?? '',
        archiveDescription: u.ArchiveDescription ?? '',
        creationDate: u.CreationDate ?? '',
        partSize: Number(u.PartSizeInBytes ?? 0),
      });
    }
    marker = page.Marker ?? undefined;
  } while (marker);
  return out;
}

/** Aborts one multipart upload. VAULT_ITEM_NOT_FOUND when the vault does not know it. */
export async function abortUpload(o: VaultTarget & { uploadId: string }): Promise<void> {
  await vaultCall(
    o,
    'AbortMultipartUpload',
    (signal) => o.client.send(new AbortMultipartUploadCommand({ accountId: account(o), vaultName: o.vaultName, uploadId: o.uploadId }), { abortSignal: signal }),
    `multipart upload ${o.uploadId}`,
  );
}

/** Deletes an archive. VAULT_ITEM_NOT_FOUND when the vault does not know it. */
export async function deleteArchive(o: VaultTarget & { archiveId: string }): Promise<void> {
  await vaultCall(
    o,
    'DeleteArchive',
    (signal) => o.client.send(new DeleteArchiveCommand({ accountId: account(o), vaultName: o.vaultName, archiveId: o.archiveId }), { abortSignal: signal }),
    `archive ${o.archiveId}`,
  );
}

/** Jobs of the vault (every page), optionally only completed ones or one status. */
export async function listJobs(o: VaultTarget & { completed?: boolean; statusCode?: 'InProgress' | 'Succeeded' | 'Failed' }): Promise<JobStatus[]> {
  const out: JobStatus[] = [];
  let marker: string | undefined;
  do {
    const page = await vaultCall(o, 'ListJobs', (signal) =>
      o.client.send(
        new ListJobsCommand({
          accountId: account(o),
          vaultName: o.vaultName,
          marker,
          limit: 1000,
          ...(o.completed !== undefined ? { completed: String(o.completed) } : {}),
          ...(o.statusCode ? { statuscode: o.statusCode } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    for (const j of page.JobList ?? []) out.push(toJobStatus(j, j.JobId ?? ''));
    marker = page.Marker ?? undefined;
  } while (marker);
  return out;
}

function toVaultInfo(v: { VaultARN?: string; VaultName?: string; CreationDate?: string; LastInventoryDate?: string; NumberOfArchives?: number; SizeInBytes?: number }): VaultInfo {
  return {
    vaultArn: v.VaultARN ?? '',
    vaultName: v.VaultName ?? '',
    creationDate: v.CreationDate ?? '',
    lastInventoryDate: v.LastInventoryDate ?? null,
    numberOfArchives: Number(v.NumberOfArchives ?? 0),
    sizeInBytes: Number(v.SizeInBytes ?? 0),
  };
}
