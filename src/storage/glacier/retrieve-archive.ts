/**
 * Retrieval jobs: start an archive retrieval (whole or a MiB-aligned byte range), read a
 * job's state, and wait for it with backoff. Downloading the output is download-job-output.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeJobCommand, InitiateJobCommand, type GlacierJobDescription } from '@aws-sdk/client-glacier';
import { BackupError, throwIfAborted } from '../../errors.js';
import { MiB } from '../../treehash/tree-hash.js';
import { account, vaultCall, type VaultTarget } from './vault-call.js';

export { downloadJobOutput, type DownloadJobOutputOptions, type DownloadProgress, type DownloadResult } from './download-job-output.js';

/** Glacier's retrieval speeds (and prices). */
export type RetrievalTier = 'Expedited' | 'Standard' | 'Bulk';

/** An inclusive byte range of an archive. */
export interface RetrievalRange {
  start: number;
  end: number;
}

/** A job as DescribeJob reports it, with numbers as numbers. */
export interface JobStatus {
  jobId: string;
  /** 'ArchiveRetrieval', 'InventoryRetrieval' or 'Select' (or whatever else the service reports). */
  action: string;
  /** 'InProgress', 'Succeeded' or 'Failed' (or whatever else the service reports). */
  statusCode: string;
  completed: boolean;
  statusMessage?: string;
  archiveId?: string;
  /** The whole archive's size (archive retrievals). */
  archiveSize?: number;
  /** The inventory's size (inventory retrievals, once succeeded). */
  inventorySize?: number;
  /** Tree hash of the job's output: the range (when tree-hash aligned) or the whole archive. */
  treeHash?: string;
  /** Tree hash of the whole archive. */
  archiveTreeHash?: string;
  retrievalByteRange?: RetrievalRange;
  tier?: string;
  creationDate?: string;
  completionDate?: string;
}

/**
 * Checks a RetrievalByteRange: start a multiple of 1 MiB; with `archiveSize`, also end+1 a
 * multiple of 1 MiB or the archive's end. Throws INTERNAL (callers compute ranges; see
 * restore/plan-byte-ranges.ts).
 */
export function validateRetrievalRange(r: RetrievalRange, archiveSize?: number): void {
  const bad = (why: string) => new BackupError('INTERNAL', `retrieval range ${r.start}-${r.end} ${why}`);
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end < r.start) throw bad('is not a byte range');
  if (r.start % MiB !== 0) throw bad('must start on a multiple of 1 MiB');
  if (archiveSize !== undefined && r.end >= archiveSize) throw bad(`runs past the archive's end (${archiveSize} bytes)`);
  // without the archive's size a mid-MiB end may be the archive's end; the service checks it
  if (archiveSize !== undefined && (r.end + 1) % MiB !== 0 && r.end !== archiveSize - 1) {
    throw bad('must end one byte before a multiple of 1 MiB or at the archive\'s end');
  }
}

/** Starts an archive-retrieval job and returns its id. `archiveSize` lets a range end mid-MiB at the archive's end. */
export async function initiateRetrieval(
  o: VaultTarget & { archiveId: string; tier: RetrievalTier; range?: RetrievalRange; archiveSize?: number; description?: string },
): Promise<string> {
  if (o.range) validateRetrievalRange(o.range, o.archiveSize);
  const res = await vaultCall(
    o,
    'InitiateJob',
    (signal) =>
      o.client.send(
        new InitiateJobCommand({
          accountId: account(o),
          vaultName: o.vaultName,
          jobParameters: {
            Type: 'archive-retrieval',
            ArchiveId: o.archiveId,
            Tier: o.tier,
            ...(o.range ? { RetrievalByteRange: `${o.range.start}-${o.range.end}` } : {}),
            ...(o.description ? { Description: o.description } : {}),
          },
        }),
        { abortSignal: signal },
      ),
    `archive ${o.archiveId}`,
  );
  if (!res.jobId) throw new BackupError('VAULT', `InitiateJob on vault ${o.vaultName} returned no job id`);
  return res.jobId;
}

/** The current state of a job. Throws VAULT_ITEM_NOT_FOUND for a job the vault no longer knows (expired). */
export async function describeJob(o: VaultTarget & { jobId: string }): Promise<JobStatus> {
  const res = await vaultCall(
    o,
    'DescribeJob',
    (signal) => o.client.send(new DescribeJobCommand({ accountId: account(o), vaultName: o.vaultName, jobId: o.jobId }), { abortSignal: signal }),
    `job ${o.jobId}`,
  );
  return toJobStatus(res, o.jobId);
}

/** Options of waitForJob. */
export interface WaitForJobOptions {
  /** First wait between polls. Default 60 s. */
  initialMs?: number;
  /** Longest wait between polls; waits grow by half each poll. Default 15 min. */
  maxMs?: number;
  /** Told each poll's answer and the wait before the next. */
  onPoll?: (job: JobStatus, nextPollMs: number) => void;
}

/** Polls a job until it succeeds (returned) or fails (BackupError VAULT). ABORTED on the signal. */
export async function waitForJob(o: VaultTarget & WaitForJobOptions & { jobId: string }): Promise<JobStatus> {
  let delay = o.initialMs ?? 60_000;
  const maxMs = o.maxMs ?? 15 * 60_000;
  for (;;) {
    const job = await describeJob(o);
    if (job.statusCode === 'Succeeded') return job;
    if (job.statusCode === 'Failed') {
      throw new BackupError('VAULT', `job ${o.jobId} in vault ${o.vaultName} failed: ${job.statusMessage ?? 'no reason given'}; request it again`, { subject: o.jobId });
    }
    o.onPoll?.(job, delay);
    try {
      await sleep(delay, undefined, { signal: o.signal });
    } catch {
      throwIfAborted(o.signal);
    }
    delay = Math.min(maxMs, Math.ceil(delay * 1.5));
  }
}

/** Bytes a job's output holds: the retrieved range, the whole archive, or the inventory. */
export function jobOutputSize(job: JobStatus): number | undefined {
  if (job.retrievalByteRange) return job.retrievalByteRange.end - job.retrievalByteRange.start + 1;
  return job.action === 'InventoryRetrieval' ? job.inventorySize : job.archiveSize;
}

/** Normalizes the SDK's job description. */
export function toJobStatus(d: GlacierJobDescription, jobId: string): JobStatus {
  const s: JobStatus = {
    jobId: d.JobId ?? jobId,
    action: d.Action ?? 'ArchiveRetrieval',
    statusCode: d.StatusCode ?? 'InProgress',
    completed: d.Completed ?? false,
  };
  if (d.StatusMessage) s.statusMessage = d.StatusMessage;
  if (d.ArchiveId) s.archiveId = d.ArchiveId;
  if (d.ArchiveSizeInBytes != null) s.archiveSize = Number(d.ArchiveSizeInBytes);
  if (d.InventorySizeInBytes != null) s.inventorySize = Number(d.InventorySizeInBytes);
  if (d.SHA256TreeHash) s.treeHash = d.SHA256TreeHash;
  if (d.ArchiveSHA256TreeHash) s.archiveTreeHash = d.ArchiveSHA256TreeHash;
  const m = /^(\d+)-(\d+)$/.exec(d.RetrievalByteRange ?? '');
  if (m) s.retrievalByteRange = { start: Number(m[1]), end: Number(m[2]) };
  if (d.Tier) s.tier = d.Tier;
  if (d.CreationDate) s.creationDate = d.CreationDate;
  if (d.CompletionDate) s.completionDate = d.CompletionDate;
  return s;
}
