/**
 * `backup check --read-data`: the chosen archives read back from offsite storage (never from
 * a local copy: this is about the stored object) and verified against the catalog.
 *
 * 1. Encrypted archives need the identity: it must open each one before anything is paid
 *    for (IDENTITY, exit 2, naming the file).
 * 2. The warm-up of every chosen archive (a Glacier retrieval job of the whole archive, an S3
 *    restore) is started at once, or reused from the catalog's jobs table (warm-up-jobs.ts):
 *    running the check again pays nothing twice.
 * 3. Without `wait`, when any is still pending nothing is downloaded: the pending ones are
 *    returned (the command exits 4; the next invocation finds them ready). With `wait`, each is
 *    waited for in turn, polling with backoff; the signal (Ctrl-C) stops the wait with the jobs
 *    kept (exit 130).
 * 4. Each archive, in sequence order: downloaded whole into stateDir/retrieved (ranged and
 *    resumable: an interrupted check continues the partial file), its tree hash compared with
 *    the catalog's, each gzip block's SHA-256 checked, every block inflated and its members
 *    compared with the catalog's list (an encrypted one decrypted first, which authenticates
 *    every age chunk), then the download is deleted. One problem line per archive that fails.
 *    The job stays recorded as succeeded, so a restore within the output's lifetime reuses it.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../catalog/open-catalog.js';
import type { ArchiveRecord } from '../catalog/archive-store.js';
import { agePrefixOf } from '../catalog/encryption-store.js';
import { updateJob } from '../catalog/job-store.js';
import { BackupError, isBackupError, throwIfAborted } from '../errors.js';
import type { Backend, Tier } from '../storage/backend.js';
import { openSealedArchive, type IdentitySource } from '../restore/decrypting-source.js';
import { waitForPiece, warmUpPieces, type WarmPiece } from '../restore/warm-up-jobs.js';
import type { CheckProblem } from './chain-problems.js';
import { checkArchiveFile } from './check-archive-file.js';
import { expectedArchive, isEncrypted } from './expected-archive.js';

/** A warm-up still in progress. */
export interface PendingRead {
  seq: number;
  jobId: string;
  tier: string | null;
  requestedAt: string;
}

/** What reading the stored data found and cost. */
export interface ReadDataResult {
  problems: CheckProblem[];
  /** Warm-ups still in progress (only without `wait`); nothing was downloaded then. */
  pending: PendingRead[];
  /** Archives downloaded and verified (with or without problems). */
  archivesRead: number;
  /** Bytes downloaded from storage by this invocation. */
  bytesRetrieved: number;
  jobsStarted: number;
  jobsReused: number;
}

/** Reads `archives` (stored offsite) back and verifies them; see the header for the protocol. */
export async function readStoredData(
  deps: { db: Db; stateDir: string; backend: Backend; signal: AbortSignal; log: (line: string) => void; identity?: IdentitySource },
  archives: readonly ArchiveRecord[],
  opts: { tier: Tier; wait: boolean },
): Promise<ReadDataResult> {
  const { db, signal } = deps;
  for (const a of archives) {
    if (!isEncrypted(db, a)) continue;
    if (!deps.identity) throw new BackupError('IDENTITY', `archive ${a.seq} (${a.fileName}) is encrypted; set "encryption.identityFile" to the age identity that can open it`);
    const prefix = agePrefixOf(db, a.seq);
    if (prefix) openSealedArchive(a, prefix, deps.identity);
    else deps.identity.load();
  }
  const result: ReadDataResult = { problems: [], pending: [], archivesRead: 0, bytesRetrieved: 0, jobsStarted: 0, jobsReused: 0 };
  if (archives.length === 0) return result;
  const warmDeps = { db, backend: deps.backend, log: deps.log };
  const warm = await warmUpPieces(warmDeps, archives.map((archive) => ({ archive, range: null })), opts.tier);
  result.jobsStarted = warm.started;
  result.jobsReused = warm.reused;
  const pending = warm.pieces.filter((p) => p.job.status === 'InProgress');
  if (pending.length > 0 && !opts.wait) {
    result.pending = pending.map((p) => ({ seq: p.archive.seq, jobId: p.job.jobId, tier: p.job.tier, requestedAt: p.job.createdAt }));
    return result;
  }
  const dir = join(deps.stateDir, 'retrieved');
  await mkdir(dir, { recursive: true });
  for (const piece of warm.pieces) {
    throwIfAborted(signal);
    if (piece.job.status === 'InProgress') await waitForPiece(warmDeps, piece, signal);
    const found = await readOne(deps, piece, dir, result);
    result.problems.push(...found.map((what) => ({ seq: piece.archive.seq, what })));
    result.archivesRead++;
  }
  return result;
}

/**
 * Downloads one warm archive, verifies it and deletes the download; resolves with its
 * problems. Errors other than bytes that do not verify (network, credentials, Ctrl-C)
 * propagate and leave the partial download for the next invocation to continue.
 */
async function readOne(deps: Parameters<typeof readStoredData>[0], piece: WarmPiece, dir: string, result: ReadDataResult): Promise<string[]> {
  const a = piece.archive;
  const id = a.archiveId!;
  const label = `the stored copy (${id.length > 100 ? `${id.slice(0, 16)}…` : id})`;
  // a download verified earlier (an interrupted check or restore), still on disk, holds the stored bytes too
  const earlier = piece.job.status === 'Downloaded' && piece.job.outputPath ? piece.job.outputPath : undefined;
  const out = earlier ?? join(dir, `check-${a.fileName}`);
  const discard = async (status: 'Succeeded' | 'Expired') => {
    for (const p of [out, `${out}.part`, `${out}.part.json`]) await rm(p, { force: true });
    updateJob(deps.db, piece.job.jobId, { status, outputPath: null });
  };
  let treeHash: string | undefined;
  if (!earlier) {
    deps.log(`reading archive ${a.seq} (${a.fileName}, ${a.size} bytes) from storage`);
    try {
      treeHash = (await deps.backend.read({ id, token: piece.job.jobId, outPath: out, size: a.size, signal: deps.signal })).treeHash;
      result.bytesRetrieved += a.size;
      updateJob(deps.db, piece.job.jobId, { status: 'Downloaded', outputPath: out });
    } catch (err) {
      if (isBackupError(err, 'CHECKSUM_MISMATCH')) {
        await discard('Succeeded');
        return [`${label} does not read back intact: ${err.message}`];
      }
      if (isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) {
        await discard('Expired');
        return [`${label} cannot be read: ${err.message}`];
      }
      throw err;
    }
  }
  const found = await checkArchiveFile(out, expectedArchive(deps.db, a, deps.identity), { label, signal: deps.signal, ...(treeHash === undefined ? {} : { treeHash }) });
  throwIfAborted(deps.signal);
  await discard('Succeeded');
  return found;
}
