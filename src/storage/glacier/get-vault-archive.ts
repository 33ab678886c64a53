/**
 * Retrieves one vault archive by id into a file (`backup archive get ID --to FILE`), also
 * archives other tools uploaded, which carry no description of ours: the archive's size
 * and tree hash come from the retrieval job, which Glacier fills in for every archive.
 *
 * - The job is recorded through `jobs` and reused by later invocations until the vault
 *   forgets it (24 hours after it completed), so asking twice never pays twice.
 * - The output is downloaded (resumable, each chunk verified) into `workDir` and its whole
 *   tree hash checked against the job's (and the catalog's, when it knows the archive).
 * - It then appears at `to` at once, complete and mode 0600: hard-linked there from a
 *   private file (or, across file systems, from a private temporary file created in the
 *   destination directory with O_EXCL | O_NOFOLLOW). A link never replaces nor follows
 *   whatever is at `to`: an existing file or symlink makes it fail (TARGET_NOT_EMPTY).
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, existsSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import { BackupError, fromSystemError, isBackupError } from '../../errors.js';
import type { VaultSession } from './open-vault.js';
import type { RetrievalTier } from './retrieve-archive.js';

/** The catalog's record of retrieval jobs, as this needs it. */
export interface JobBook {
  /** The newest usable job recorded for the whole archive. */
  find(archiveId: string): { jobId: string; status: string; outputPath: string | null } | undefined;
  record(j: { jobId: string; archiveId: string; tier: RetrievalTier }): void;
  update(jobId: string, u: { status: string; outputPath?: string | null }): void;
}

/** The outcome: the archive is at `to`, or its job is still running. */
export type GetResult = { done: true; size: number; treeHash: string; jobId: string; jobStarted: boolean } | { done: false; jobId: string; jobStarted: boolean };

/** Retrieves vault archive `archiveId` to `to`; see the header. */
export async function getVaultArchive(
  session: VaultSession,
  jobs: JobBook,
  o: { archiveId: string; to: string; tier: RetrievalTier; wait: boolean; workDir: string; signal: AbortSignal; expectedTreeHash?: string; pollMs: number; log: (line: string) => void },
): Promise<GetResult> {
  await refuseExisting(o.to);
  let job = jobs.find(o.archiveId);
  if (job) {
    const jobId = job.jobId;
    try {
      const d = await session.describeJob(jobId, { signal: o.signal });
      if (d.statusCode === 'Failed') {
        jobs.update(jobId, { status: 'Failed' });
        job = undefined;
      } else if (job.status !== 'Downloaded') {
        const status = d.statusCode === 'Succeeded' ? 'Succeeded' : 'InProgress';
        jobs.update(jobId, { status });
        job = { ...job, status };
      }
    } catch (err) {
      if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
      jobs.update(jobId, { status: 'Expired' });
      job = undefined;
    }
  }
  let jobStarted = false;
  if (!job) {
    const jobId = await session.initiateRetrieval({ archiveId: o.archiveId, tier: o.tier, description: 'backup archive get', signal: o.signal });
    jobs.record({ jobId, archiveId: o.archiveId, tier: o.tier });
    job = { jobId, status: 'InProgress', outputPath: null };
    jobStarted = true;
    o.log(`started ${o.tier} retrieval of archive ${o.archiveId}: job ${jobId}`);
  }
  const jobId = job.jobId;
  if (job.status === 'InProgress') {
    if (!o.wait) return { done: false, jobId, jobStarted };
    o.log(`waiting for retrieval job ${jobId}`);
    await session.waitForJob(jobId, { signal: o.signal, initialMs: o.pollMs, maxMs: Math.max(o.pollMs, 15 * 60_000) });
    jobs.update(jobId, { status: 'Succeeded' });
  }
  const d = await session.describeJob(jobId, { signal: o.signal });
  const size = d.archiveSize;
  const jobHash = d.archiveTreeHash ?? d.treeHash;
  if (size === undefined || jobHash === undefined) throw new BackupError('VAULT', `retrieval job ${jobId} reports no archive size or tree hash; run the command again`);
  if (o.expectedTreeHash && o.expectedTreeHash !== jobHash) {
    throw new BackupError('CHECKSUM_MISMATCH', `the vault says archive ${o.archiveId} has tree hash ${jobHash}, the catalog says ${o.expectedTreeHash}; nothing was written`);
  }

  await mkdir(o.workDir, { recursive: true, mode: 0o700 });
  const work = join(o.workDir, `archive-${createHash('sha256').update(o.archiveId).digest('hex').slice(0, 32)}`);
  if (!(job.status === 'Downloaded' && job.outputPath === work && existsSync(work))) {
    o.log(`downloading ${size} bytes of archive ${o.archiveId}`);
    await session.downloadJobOutput({ jobId, outPath: work, size, expectedTreeHash: jobHash, signal: o.signal });
    jobs.update(jobId, { status: 'Downloaded', outputPath: work });
  }
  await chmod(work, 0o600).catch((err: unknown) => {
    throw fromSystemError(err, work);
  });
  await place(work, o.to);
  await rm(work, { force: true });
  jobs.update(jobId, { status: 'Succeeded', outputPath: null });
  return { done: true, size, treeHash: jobHash, jobId, jobStarted };
}

async function refuseExisting(to: string): Promise<void> {
  const st = await lstat(to).catch(() => undefined);
  if (st) throw new BackupError('TARGET_NOT_EMPTY', `${to} already exists; remove it or choose another --to`, { subject: to });
}

/** Makes the verified private file `from` appear at `to` in one step, never replacing or following what is there. */
async function place(from: string, to: string): Promise<void> {
  const exists = (err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return new BackupError('TARGET_NOT_EMPTY', `${to} appeared while the archive was retrieved; remove it or choose another --to (the retrieval is kept for the next try)`, { subject: to });
    return fromSystemError(err, to);
  };
  try {
    await link(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw exists(err);
  }
  // another file system: a private copy beside the destination first, then the same link
  const tmp = join(dirname(to), `.${basename(to)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((err: unknown) => {
    throw fromSystemError(err, tmp);
  });
  try {
    try {
      // written through our own descriptor: a name swapped meanwhile is never written through
      await pipeline(createReadStream(from), fh.createWriteStream({ autoClose: false }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, to).catch((err: unknown) => {
      throw exists(err);
    });
  } catch (err) {
    throw err instanceof BackupError ? err : fromSystemError(err, tmp);
  } finally {
    await rm(tmp, { force: true });
  }
}
