/**
 * Maps a request's method and path to the Glacier operation it names, with the
 * path parameters decoded. Pure.
 */
import { GlacierError } from './glacier-error.js';

/** Operations this server implements. */
export type GlacierOperation =
  | 'CreateVault'
  | 'DescribeVault'
  | 'ListVaults'
  | 'DeleteVault'
  | 'UploadArchive'
  | 'DeleteArchive'
  | 'InitiateMultipartUpload'
  | 'UploadMultipartPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'ListParts'
  | 'InitiateJob'
  | 'DescribeJob'
  | 'ListJobs'
  | 'GetJobOutput';

/** A routed request. `supported` is false for Glacier operations this server does not implement (tags, vault lock, notifications, policies, provisioned capacity). */
export interface Route {
  /** A GlacierOperation when `supported`, else the name of the unsupported Glacier operation. */
  operation: string;
  supported: boolean;
  accountId: string;
  vaultName?: string;
  archiveId?: string;
  uploadId?: string;
  jobId?: string;
}

/** Operations whose request body is archive data, received as a stream. */
export const STREAMING_OPERATIONS: ReadonlySet<string> = new Set(['UploadArchive', 'UploadMultipartPart']);

/**
 * Routes `method` + `pathname` (still percent-encoded) + `query`. Returns undefined
 * for paths that name no Glacier operation; throws BadRequest for undecodable paths.
 */
export function routeRequest(method: string, pathname: string, query: URLSearchParams): Route | undefined {
  const raw = pathname.split('/');
  if (raw[0] !== '' || raw.length < 3) return undefined;
  let seg: string[];
  try {
    seg = raw.slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new GlacierError('BadRequest', `The request path is not valid percent-encoding: ${pathname.slice(0, 200)}`);
  }
  const accountId = seg[0];
  const m = method.toUpperCase();
  const r = (operation: string, extra: Partial<Route> = {}, supported = true): Route => ({ operation, supported, accountId, ...extra });

  if (seg[1] === 'policies' && seg[2] === 'data-retrieval' && seg.length === 3) {
    if (m === 'GET') return r('GetDataRetrievalPolicy', {}, false);
    if (m === 'PUT') return r('SetDataRetrievalPolicy', {}, false);
    return undefined;
  }
  if (seg[1] === 'provisioned-capacity' && seg.length === 2) {
    if (m === 'GET') return r('ListProvisionedCapacity', {}, false);
    if (m === 'POST') return r('PurchaseProvisionedCapacity', {}, false);
    return undefined;
  }
  if (seg[1] !== 'vaults') return undefined;
  if (seg.length === 2) return m === 'GET' ? r('ListVaults') : undefined;

  const vaultName = seg[2];
  const v = (operation: string, extra: Partial<Route> = {}, supported = true): Route => r(operation, { vaultName, ...extra }, supported);
  if (seg.length === 3) {
    if (m === 'PUT') return v('CreateVault');
    if (m === 'GET') return v('DescribeVault');
    if (m === 'DELETE') return v('DeleteVault');
    return undefined;
  }
  const sub = seg[3];
  if (seg.length === 4) {
    switch (sub) {
      case 'archives':
        return m === 'POST' ? v('UploadArchive') : undefined;
      case 'multipart-uploads':
        if (m === 'POST') return v('InitiateMultipartUpload');
        if (m === 'GET') return v('ListMultipartUploads');
        return undefined;
      case 'jobs':
        if (m === 'POST') return v('InitiateJob');
        if (m === 'GET') return v('ListJobs');
        return undefined;
      case 'tags':
        if (m === 'GET') return v('ListTagsForVault', {}, false);
        if (m === 'POST' && query.get('operation') === 'add') return v('AddTagsToVault', {}, false);
        if (m === 'POST' && query.get('operation') === 'remove') return v('RemoveTagsFromVault', {}, false);
        return undefined;
      case 'lock-policy':
        if (m === 'GET') return v('GetVaultLock', {}, false);
        if (m === 'POST') return v('InitiateVaultLock', {}, false);
        if (m === 'DELETE') return v('AbortVaultLock', {}, false);
        return undefined;
      case 'notification-configuration':
        if (m === 'GET') return v('GetVaultNotifications', {}, false);
        if (m === 'PUT') return v('SetVaultNotifications', {}, false);
        if (m === 'DELETE') return v('DeleteVaultNotifications', {}, false);
        return undefined;
      case 'access-policy':
        if (m === 'GET') return v('GetVaultAccessPolicy', {}, false);
        if (m === 'PUT') return v('SetVaultAccessPolicy', {}, false);
        if (m === 'DELETE') return v('DeleteVaultAccessPolicy', {}, false);
        return undefined;
      default:
        return undefined;
    }
  }
  const id = seg[4];
  if (seg.length === 5) {
    switch (sub) {
      case 'archives':
        return m === 'DELETE' ? v('DeleteArchive', { archiveId: id }) : undefined;
      case 'multipart-uploads':
        if (m === 'PUT') return v('UploadMultipartPart', { uploadId: id });
        if (m === 'POST') return v('CompleteMultipartUpload', { uploadId: id });
        if (m === 'DELETE') return v('AbortMultipartUpload', { uploadId: id });
        if (m === 'GET') return v('ListParts', { uploadId: id });
        return undefined;
      case 'jobs':
        return m === 'GET' ? v('DescribeJob', { jobId: id }) : undefined;
      case 'lock-policy':
        return m === 'POST' ? v('CompleteVaultLock', {}, false) : undefined;
      default:
        return undefined;
    }
  }
  if (seg.length === 6 && sub === 'jobs' && seg[5] === 'output' && m === 'GET') return v('GetJobOutput', { jobId: id });
  return undefined;
}
