/**
 * Moves a set's archives from a Glacier vault to an S3 bucket (`backup migrate --to-s3`).
 *
 * Protocol, for each archive the catalog records in the vault, oldest first:
 * 1. Bytes: the local copy when its tree hash matches the catalog; otherwise the output of a
 *    vault retrieval job. Jobs for every archive without a usable local copy are started
 *    before anything else (all at once, one tier), recorded in the catalog's jobs table and
 *    reused by later invocations, like a restore's; their output is downloaded verified
 *    against the catalog's tree hash (resumable) into `workDir`.
 * 2. The bytes are put to the bucket under the archive's deterministic key: a repeated put
 *    replaces the object, never adds a second one; a multipart upload resumes through the
 *    archive's upload journal, sending only the parts the bucket lacks.
 * 3. put verifies S3's checksum of every part and of the whole object against the SHA-256
 *    of the bytes sent, and the tree hash of those bytes must equal the catalog's.
 * 4. Only then does the catalog switch the archive to the bucket (moved-store.ts, one
 *    transaction), and the downloaded copy is deleted.
 * A kill at any instant leaves each archive recorded either in the vault (steps 1–3 are
 * done again, reusing the job, the download and the upload journal) or in the bucket, verified.
 *
 * When no archive is left in the vault, the vault's catalog snapshots (which name vault ids)
 * are retired and a fresh snapshot of the catalog goes to the bucket, so a rebuild from the
 * bucket alone finds every archive there. With `deleteSource`, moved vault archives past the
 * vault's minimum storage duration are deleted from the vault (plan-source-deletes.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { listArchives, type ArchiveRecord } from '../catalog/archive-store.js';
import { updateJob } from '../catalog/job-store.js';
import { markSourceDeleted, movedNotDeleted, recordMove, retireVaultSnapshots, s3SnapshotCount, vaultSnapshots } from '../catalog/moved-store.js';
import type { Db } from '../catalog/open-catalog.js';
import { BackupError, throwIfAborted } from '../errors.js';
import { findDamage } from '../restore/verify-blocks.js';
import { waitForPiece, warmUpPieces, type WarmDeps, type WarmPiece } from '../restore/warm-up-jobs.js';
import { decodeDescription, type ArchiveDescription } from '../storage/archive-description.js';
import type { Backend, Tier } from '../storage/backend.js';
import { uploadJournal } from '../catalog/upload-journal-store.js';
import { planSourceDeletes } from './plan-source-deletes.js';

/** Glacier's minimum storage duration, for plans made without opening the vault (dry runs). */
const VAULT_MINIMUM_STORAGE_DAYS = 90;

/** What a migration works with. Backends are opened on first use (a dry run opens none). */
export interface MigrateDeps {
  db: Db;
  /** The vault the archives are in. */
  source: () => Promise<Backend>;
  /** The bucket they move to. */
  target: () => Promise<Backend>;
  /** Where retrieved archives are downloaded before their upload (stateDir/migrate). */
  workDir: string;
  /** The set's name, for archives whose description the catalog lacks. */
  set: string;
  signal: AbortSignal;
  now: () => Date;
  /** Progress lines. */
  log: (line: string) => void;
  /** Uploads a fresh catalog snapshot to the bucket (absent when catalog snapshots are off). */
  uploadSnapshot?: () => Promise<string>;
}

/** How to migrate. */
export interface MigrateOptions {
  tier: Tier;
  wait: boolean;
  deleteSource: boolean;
  allowEarlyDelete: boolean;
  dryRun: boolean;
}

/** What one invocation did (or, for a dry run, would do). */
export interface MigrateSummary {
  /** Archives in the vault when the invocation started. */
  inVault: number;
  moved: Array<{ seq: number; from: 'local' | 'retrieved'; bytes: number; key: string }>;
  /** Dry run: archives that would come from their local copy / from a retrieval. */
  planned: { local: number; retrieve: number; bytes: number };
  bytes: number;
  /** Requests made to the bucket by the uploads. */
  requests: number;
  jobsStarted: number;
  jobsReused: number;
  /** Archives still waiting on their retrieval job. */
  pending: number;
  /** Set once no archive is left in the vault. */
  complete: boolean;
  snapshotsRetired: number;
  snapshotId?: string;
  deleted: number;
  /** Moved vault archives kept because deleting them now would be billed as early deletion. */
  keptYoung: Array<{ sourceId: string; seq: number | null; freeFrom: string }>;
}

/** Runs (or plans) one migration step; see the protocol above. Throws only on failures; pending retrievals are reported in the summary. */
export async function migrateToS3(deps: MigrateDeps, opts: MigrateOptions): Promise<MigrateSummary> {
  const { db } = deps;
  const todo = inVault(db);
  const summary: MigrateSummary = {
    inVault: todo.length, moved: [], planned: { local: 0, retrieve: 0, bytes: 0 }, bytes: 0, requests: 0,
    jobsStarted: 0, jobsReused: 0, pending: 0, complete: false, snapshotsRetired: 0, deleted: 0, keptYoung: [],
  };

  // 1. which archives have a usable local copy (tree hash checked first)
  const local = new Map<number, string>();
  for (const a of todo) {
    const path = [a.localPath, a.stagedPath].find((p): p is string => !!p && existsSync(p));
    if (!path) continue;
    const damage = await findDamage(path, { size: a.size, treeHash: a.treeHash, blocks: [] }, null);
    if (damage) deps.log(`archive ${a.seq}: the local copy ${path} does not match the catalog (${damage.what}); retrieving it from the vault instead`);
    else local.set(a.seq, path);
  }
  const remote = todo.filter((a) => !local.has(a.seq));
  if (opts.dryRun) {
    summary.planned = { local: local.size, retrieve: remote.length, bytes: todo.reduce((n, a) => n + a.size, 0) };
    summary.complete = todo.length === 0;
    for (const k of planSourceDeletes(movedNotDeleted(db), { now: deps.now(), minimumStorageDays: VAULT_MINIMUM_STORAGE_DAYS, allowEarlyDelete: opts.allowEarlyDelete }).keep) {
      summary.keptYoung.push({ sourceId: k.archive.sourceId, seq: k.archive.seq, freeFrom: k.freeFrom.toISOString() });
    }
    return summary;
  }

  // 2. retrieval jobs for all the others, started before any upload so they run meanwhile
  const jobs = new Map<number, WarmPiece>();
  const warmDeps = async (): Promise<WarmDeps> => ({ db, backend: await deps.source(), log: deps.log, now: deps.now });
  if (remote.length) {
    const warm = await warmUpPieces(await warmDeps(), remote.map((archive) => ({ archive, range: null })), opts.tier);
    summary.jobsStarted += warm.started;
    summary.jobsReused += warm.reused;
    for (const p of warm.pieces) jobs.set(p.archive.seq, p);
  }

  // 3. local copies first, then retrieved archives as their jobs are ready
  let target: Backend | undefined;
  const move = async (a: ArchiveRecord, path: string, from: 'local' | 'retrieved') => {
    throwIfAborted(deps.signal);
    target ??= await deps.target();
    const stored = await target.put({ path, meta: describe(a, deps.set), expectedBytes: a.size, journal: uploadJournal(db, a.fileName), signal: deps.signal });
    if (stored.treeHash !== a.treeHash || stored.size !== a.size) {
      throw new BackupError('CHECKSUM_MISMATCH', `archive ${a.seq} (${a.fileName}) arrived in the bucket as ${stored.size} bytes with tree hash ${stored.treeHash}, the catalog says ${a.size} bytes and ${a.treeHash}; it stays recorded in the vault (run the migration again)`);
    }
    recordMove(db, { seq: a.seq, fileName: a.fileName, sourceId: a.archiveId!, targetId: stored.id, store: target.info.kind, size: a.size, storedAt: a.uploadedAt ?? a.createdAt, movedAt: deps.now().toISOString(), requests: stored.requests });
    summary.moved.push({ seq: a.seq, from, bytes: a.size, key: stored.id });
    summary.bytes += a.size;
    summary.requests += stored.requests;
    deps.log(`archive ${a.seq} (${a.fileName}): ${a.size} bytes from the ${from === 'local' ? 'local copy' : 'vault'} → ${stored.id} (verified)`);
  };
  for (const a of todo) {
    const path = local.get(a.seq);
    if (path) await move(a, path, 'local');
  }
  let waiting = remote.filter((a) => jobs.get(a.seq)!.job.status === 'InProgress');
  const ready = remote.filter((a) => jobs.get(a.seq)!.job.status !== 'InProgress');
  if (opts.wait) {
    for (const a of waiting) {
      await waitForPiece(await warmDeps(), jobs.get(a.seq)!, deps.signal);
      ready.push(a);
    }
    waiting = [];
  }
  if (ready.length) await mkdir(deps.workDir, { recursive: true, mode: 0o700 });
  for (const a of ready.sort((x, y) => x.seq - y.seq)) {
    const { job } = jobs.get(a.seq)!;
    let path = job.status === 'Downloaded' && job.outputPath && existsSync(job.outputPath) ? job.outputPath : undefined;
    if (!path) {
      path = join(deps.workDir, a.fileName);
      deps.log(`archive ${a.seq} (${a.fileName}): downloading ${a.size} bytes from the vault`);
      await (await deps.source()).read({ id: a.archiveId!, token: job.jobId, outPath: path, size: a.size, expectedTreeHash: a.treeHash, signal: deps.signal });
      updateJob(db, job.jobId, { status: 'Downloaded', outputPath: path });
    }
    await move(a, path, 'retrieved');
    await rm(path, { force: true });
    updateJob(db, job.jobId, { status: 'Succeeded', outputPath: null });
  }
  summary.pending = waiting.length;

  // 4. everything in the bucket: the vault's snapshots give way to a fresh one in the bucket
  if (inVault(db).length === 0) {
    summary.complete = true;
    summary.snapshotsRetired = vaultSnapshots(db).length ? retireVaultSnapshots(db, deps.now().toISOString()) : 0;
    if (deps.uploadSnapshot && (summary.moved.length > 0 || summary.snapshotsRetired > 0 || s3SnapshotCount(db) === 0)) {
      summary.snapshotId = await deps.uploadSnapshot();
      deps.log(`catalog snapshot uploaded to the bucket: ${summary.snapshotId}`);
    }
  }

  // 5. vault archives already in the bucket, deleted once that costs no early-deletion fee
  if (opts.deleteSource) {
    const source = await deps.source();
    const plan = planSourceDeletes(movedNotDeleted(db), { now: deps.now(), minimumStorageDays: source.info.minimumStorageDays, allowEarlyDelete: opts.allowEarlyDelete });
    for (const m of plan.delete) {
      throwIfAborted(deps.signal);
      await source.delete(m.sourceId);
      markSourceDeleted(db, m.sourceId, deps.now().toISOString());
      summary.deleted++;
    }
    for (const k of plan.keep) summary.keptYoung.push({ sourceId: k.archive.sourceId, seq: k.archive.seq, freeFrom: k.freeFrom.toISOString() });
  }
  return summary;
}

/** Archives the catalog records in the vault (uploaded, not deleted), oldest first. */
function inVault(db: Db): ArchiveRecord[] {
  return listArchives(db).filter((a) => a.uploadState === 'uploaded' && a.store === 'glacier' && a.archiveId);
}

/** The archive's self-description for the bucket, from the catalog (the record's file name, size and tree hash win over a shortened description). */
function describe(a: ArchiveRecord, set: string): ArchiveDescription {
  const d = decodeDescription(a.description);
  const base: ArchiveDescription = d
    ? { kind: d.kind, host: d.host, set: d.set, seq: d.seq, level: d.level, parentSeq: d.parentSeq, createdAt: d.createdAt, fileName: a.fileName, ...(d.chainId ? { chainId: d.chainId } : {}) }
    : { kind: 'data', host: hostname(), set, seq: a.seq, level: a.level, parentSeq: a.parentSeq, createdAt: new Date(a.createdAt), fileName: a.fileName, ...(a.chainId ? { chainId: a.chainId } : {}) };
  return { ...base, treeHash: a.treeHash, size: a.size };
}
