/**
 * One backup run: recover from an interrupted run, finish pending uploads, scan, plan a
 * full or incremental archive, write it to staging while uploading its parts, commit it
 * to the catalog in one transaction, then settle the upload and the local copy.
 *
 * Crash safety: nothing about an archive is in the catalog until its file is complete and
 * fsync'ed; the archive row, its members, blocks, deletions and the new snapshot commit
 * together. An upload journal records multipart progress as it happens, so the next run
 * resumes the upload instead of starting another.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import type { Config } from '../config/load-config.js';
import type { Db } from '../catalog/open-catalog.js';
import { chainBroken, commitArchive, getArchive, latestArchive, listArchives, nextSeq, pendingUploads } from '../catalog/archive-store.js';
import { catalogPath } from '../catalog/open-catalog.js';
import { guardLostCatalog, guardLostCatalogOffsite } from './lost-catalog-guard.js';
import { latestListing } from '../catalog/inventory-store.js';
import { hasSnapshot } from '../catalog/snapshot-store.js';
import { discardUncommitted, ScanRecorder, scannedDirs, scannedFiles, snapshotInOrder, storeOtherNames } from '../catalog/scan-store.js';
import { updateRun } from '../catalog/run-store.js';
import { BackupError, throwIfAborted } from '../errors.js';
import type { StartedWalk } from '../scan/walk-tree-in-worker.js';
import { startRunWalk } from './start-run-walk.js';
import { ArchivePlanner } from '../scan/plan-archive.js';
import type { ArchivePlan } from '../scan/archive-plan.js';
import type { TreeEntry } from '../scan/tree-entry.js';
import { writeArchive } from '../archive/write-archive.js';
import { encodeDumpdir } from '../archive/dumpdir-body.js';
import { readXattrs, type Xattr } from '../archive/xattrs.js';
import { encodeDescription, type ArchiveDescription } from '../storage/archive-description.js';
import { parseRecipient } from '../age/age-keys.js';
import { agePrefixOf, recordAgePrefix } from '../catalog/encryption-store.js';
import { identityFile } from '../restore/decrypting-source.js';
import { formatArchiveName, newChainId } from './archive-name.js';
import { chooseLevel } from './choose-level.js';
import type { Backend, Stored, UploadSource } from '../storage/backend.js';
import { finishUpload, recordUploaded, settleStagedFile } from './finish-upload.js';
import { orphanUploads, uploadJournal } from '../catalog/upload-journal-store.js';
import { recoverInterrupted } from './recover-interrupted.js';
import { checkLocal } from '../check/check-local.js';
import { formatDuration } from '../ui/format-units.js';
import { pathListing, type PathChanges } from '../notify/path-listing.js';

/** Lines for the run log. */
export interface RunLog {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/** Progress display (bars on a terminal, periodic lines under cron). */
export interface RunProgress {
  start(label: string, total: number, unit: 'bytes' | 'files'): void;
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/** What a run needs. */
export interface RunDeps {
  config: Config;
  db: Db;
  runId: number;
  signal: AbortSignal;
  log: RunLog;
  progress: RunProgress;
  /** Offsite storage, opened on first use; absent when the config has none (local copies only). */
  backend?: () => Promise<Backend>;
  now?: () => Date;
  /** Catalog rows per batch while the scan streams (default: scan-store's); tests make it small. */
  batchRows?: number;
  /** The run's walk when it was started already (startRunWalk of the same config); the run owns it from here and ends it. */
  walk?: StartedWalk;
}

/** How a run ended. */
export interface RunOutcome {
  status: 'ok' | 'warnings' | 'failed';
  dryRun: boolean;
  level: number;
  seq?: number;
  plan: ArchivePlan['counts'];
  /** The paths behind the counts, in byte order. */
  paths: PathChanges;
  /** Tar bytes read from the data directory. */
  bytesRead?: number;
  archiveBytes?: number;
  archiveId?: string;
  uploadBytes?: number;
  uploadMs?: number;
  warnings: string[];
}

/**
 * Runs one backup. Throws on failure (the caller records it); warnings make status 'warnings'.
 * The walk (deps.walk, or one started here) is ended however the run ends: a run that fails or
 * stops before its scan leaves no worker thread behind.
 */
export async function runBackup(deps: RunDeps, opts: { full: boolean; dryRun: boolean }): Promise<RunOutcome> {
  const walk = { current: deps.walk ?? startRunWalk(deps.config) };
  try {
    return await backUp(deps, opts, walk);
  } finally {
    await walk.current.end();
  }
}

async function backUp(deps: RunDeps, opts: { full: boolean; dryRun: boolean }, walk: { current: StartedWalk }): Promise<RunOutcome> {
  const { config, db, log, signal } = deps;
  const now = deps.now ?? (() => new Date());
  const stagingDir = join(config.stateDir, 'staging');
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    log.warn(line);
  };
  const placement = { keepLocalCopy: config.archive.keepLocalCopy, localDir: config.archive.localDir };

  // before anything is written: a lost or replaced catalog must not start numbering again
  const known = listArchives(db);
  await guardLostCatalog({
    localDir: config.archive.localDir,
    set: config.set,
    knownFileNames: new Set(known.map((a) => a.fileName)),
    catalogPath: catalogPath(config.stateDir),
    configPath: config.configPath,
    hasVault: !!(config.vault ?? config.s3),
  });
  if (deps.backend && known.length === 0) {
    await guardLostCatalogOffsite({
      set: config.set,
      fetchedDescriptions: (latestListing(db)?.objects ?? []).map((o) => o.description),
      journaled: orphanUploads(db),
      backend: await deps.backend(),
      catalogPath: catalogPath(config.stateDir),
      configPath: config.configPath,
    });
  }
  if (!opts.dryRun) {
    await mkdir(stagingDir, { recursive: true });
    const r = await recoverInterrupted(db, stagingDir, deps.backend, now(), deps.runId);
    if (r.interruptedRuns) log.warn(`the previous run was interrupted; cleaned up (${r.removedStagingFiles.length} staging file(s) removed, ${r.abortedUploads.length} unfinished upload(s) aborted)`);
    let resumed = false;
    for (const a of pendingUploads(db)) {
      if (!deps.backend) break;
      log.info(`resuming the upload of archive ${a.seq} (${a.fileName}) left by an earlier run`);
      const backend = await deps.backend();
      const done = await finishUpload(db, backend, a, { placement, signal });
      log.info(`archive ${a.seq} uploaded: ${done.id}`);
      resumed = true;
    }
    // an upload can take hours: the scan starts again, to see the tree as it is after it
    if (resumed) {
      await walk.current.end();
      walk.current = startRunWalk(config);
    }
  }

  const latest = latestArchive(db);
  // recipients were checked when the config was loaded
  const recipients = config.encryption?.recipients.map(parseRecipient);
  const latestEncrypted = latest && (agePrefixOf(db, latest.seq) !== undefined || latest.fileName.endsWith('.age'));
  const encryptionChanged = latest && latestEncrypted !== !!recipients ? (recipients ? 'on' : 'off') : undefined;
  const choice = chooseLevel({ latest, full: opts.full, fullEvery: config.archive.fullEvery, hasSnapshot: hasSnapshot(db), broken: latest && chainBroken(db, latest.chainSeq), encryptionChanged });
  log.info(`${opts.dryRun ? 'dry run: ' : ''}level ${choice.level} (${choice.level === 0 ? `full: ${choice.reason}` : `incremental on archive ${choice.parentSeq}`})`);

  const own = walk.current.exclude.own;
  const same = own.find((o) => o.rel === '');
  if (same) throw new BackupError('CONFIG_INVALID', `${same.key} is the data directory ${config.data}; point "${same.key}" in ${config.configPath} somewhere else`);
  for (const o of own) log.info(`leaving out ${o.rel} (${o.key}, inside the data directory)`);

  // The scan streams: entries come in path order from the walk (on a worker thread) and are
  // merged here with the snapshot read from the catalog in the same order; what the archive
  // will hold goes to the catalog in batches (scan-store.ts), so memory holds a batch and the
  // directories being walked, not the tree.
  const seq = nextSeq(db);
  const full = choice.level === 0;
  if (!opts.dryRun) discardUncommitted(db, seq);
  const recorder = opts.dryRun ? undefined : new ScanRecorder(db, seq, deps.batchRows);
  const kept: { added: string[]; changed: string[]; deleted: string[] } = { added: [], changed: [], deleted: [] };
  const keep = (list: string[], path: string) => {
    if (list.length < PATHS_KEPT) list.push(path);
  };
  let membersPlanned = 0;
  const planner = new ArchivePlanner(full ? null : snapshotInOrder(db, deps.batchRows), choice.level, {
    entry(e, d) {
      if (d.stored) {
        membersPlanned++;
        recorder?.file(e);
      }
      if (d.status === 'added') keep(kept.added, e.path);
      else if (d.status === 'changed') keep(kept.changed, e.path);
    },
    dir(d) {
      membersPlanned++;
      recorder?.dir(d.ord, full || d.changed, encodeDumpdir(d.listing), d.entry);
    },
    deleted(path) {
      recorder?.deleted(path);
      keep(kept.deleted, path);
    },
  });
  deps.progress.start('scan', 0, 'files');
  await walk.current.receive(
    {
      signal,
      onWarning: (w) => warn(`${w.path || '.'}: ${w.message}`),
      onProgress: (n: number) => deps.progress.update(n),
    },
    (e) => planner.push(e),
    (path) => planner.unreadable(path),
  );
  planner.end();
  recorder?.flush();
  if (recorder && !full) {
    // a name of a linked file stored here takes its unchanged other names along, as hard links
    const relinked = storeOtherNames(db, seq, (path) => planner.keeps(path));
    membersPlanned += relinked.length;
    for (const path of relinked) keep(kept.changed, path);
    planner.counts.changed += relinked.length;
    planner.counts.unchanged -= relinked.length;
  }
  deps.progress.stop();
  throwIfAborted(signal);
  const c = { ...planner.counts };
  log.info(`scanned ${planner.entries} entries: ${c.added} new, ${c.changed} changed, ${c.deleted} deleted, ${c.unchanged} unchanged; ${c.bytes} bytes to archive`);
  const paths: PathChanges = { ...kept, totals: { added: c.added, changed: c.changed, deleted: c.deleted } };
  if (!opts.dryRun) for (const line of pathListing(paths)) log.info(line);
  updateRun(db, deps.runId, { level: choice.level, filesAdded: c.added, filesChanged: c.changed, filesDeleted: c.deleted, filesUnchanged: c.unchanged });

  if (opts.dryRun) {
    return { status: warnings.length ? 'warnings' : 'ok', dryRun: true, level: choice.level, plan: c, paths, warnings };
  }

  const createdAt = now();
  const parent = choice.parentSeq === null ? undefined : getArchive(db, choice.parentSeq);
  const chainSeq = parent ? parent.chainSeq : seq;
  // a chain begun before chain identities keeps none, so its archives' names stay in one pattern
  const chainId = parent ? (parent.chainId ?? undefined) : newChainId();
  const fileName = formatArchiveName({ set: config.set, seq, level: choice.level, createdAt, chainId, encrypted: !!recipients });
  const stagedPath = join(stagingDir, fileName);
  const meta: ArchiveDescription = { kind: 'data', host: hostname(), set: config.set, seq, level: choice.level, parentSeq: choice.parentSeq, createdAt, fileName, chainId };
  const description = deps.backend ? encodeDescription(meta) : null;

  // The archive is written and uploaded at the same time: each part goes as soon as its bytes are durable on disk.
  let bytesOnDisk = 0;
  let rawDone = 0;
  let stage: 'archive' | 'upload' = 'archive';
  let resolveDone!: (v: { size: number; treeHash: string }) => void;
  let rejectDone!: (e: unknown) => void;
  const source: UploadSource = {
    bytesOnDisk: () => bytesOnDisk,
    done: new Promise((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    }),
  };
  source.done.catch(() => undefined);
  const uploadAbort = new AbortController();
  const uploadSignal = AbortSignal.any([signal, uploadAbort.signal]);
  let upload: Promise<Stored> | undefined;
  let uploadStarted = 0;
  if (deps.backend && description) {
    const backend = await deps.backend();
    // the uploader opens the file at once and reads parts as the writer (which truncates and fills it) makes them durable
    await writeFile(stagedPath, '');
    uploadStarted = Date.now();
    upload = backend.put({
      path: stagedPath,
      meta,
      expectedBytes: Math.max(c.bytes, 1),
      source,
      journal: uploadJournal(db, fileName),
      signal: uploadSignal,
      // while the archive is written the bar counts tar bytes and shows the upload as extra fields; afterwards it counts bytes sent
      onProgress: (p) => (stage === 'archive' ? deps.progress.update(rawDone, { sent: p.bytesSent, parts: p.partsDone }) : deps.progress.update(p.bytesSent, { parts: p.partsDone })),
    });
    upload.catch(() => undefined);
  }

  let fileCount = 0;
  // tar bytes: contents plus about a header block and padding per member
  deps.progress.start('archive', c.bytes + membersPlanned * 1024, 'bytes');
  let written;
  try {
    // extended attributes are read for a page of files at a time, into one map the writer looks up
    const xattrs = config.archive.xattrs ? new Map<string, Xattr[]>() : undefined;
    const files = xattrs ? withXattrs(scannedFiles(db, deps.batchRows), config.data, xattrs) : scannedFiles(db, deps.batchRows);
    written = await writeArchive({ dirs: scannedDirs(db, deps.batchRows), files }, {
      root: config.data,
      outPath: stagedPath,
      level: config.archive.level,
      blockSize: config.archive.blockSizeKiB * 1024,
      encryptTo: recipients,
      signal,
      onMember: (m) => {
        recorder!.member(m);
        if (m.type !== 'dir') fileCount++;
      },
      xattrs,
      onWarning: (w) => warn(`${w.path}: ${w.message}`),
      onProgress: (p) => deps.progress.update((rawDone = p.rawBytes)),
      onFlushed: (n) => {
        bytesOnDisk = n;
      },
    });
    recorder!.flush();
    resolveDone({ size: written.size, treeHash: written.treeHash });
  } catch (err) {
    rejectDone(err);
    uploadAbort.abort(err);
    await upload?.catch(() => undefined);
    await unlink(stagedPath).catch(() => undefined);
    throw err;
  } finally {
    deps.progress.stop();
  }
  throwIfAborted(signal);

  const agePrefix = written.agePrefix;
  // the archive and its encryption record commit together
  db.transaction(() => {
    commitArchive(db, {
      record: {
        seq,
        level: choice.level,
        parentSeq: choice.parentSeq,
        chainSeq,
        chainId: chainId ?? null,
        createdAt: createdAt.toISOString(),
        fileName,
        size: written.size,
        rawSize: written.rawSize,
        treeHash: written.treeHash,
        blockSize: config.archive.blockSizeKiB * 1024,
        fileCount,
        stagedPath,
        localPath: null,
        uploadState: deps.backend ? 'pending' : 'none',
        description,
        runId: deps.runId,
      },
      // members and deletions were recorded under this seq as they were written
      members: [],
      blocks: written.blocks,
      deleted: [],
      // a file left out or torn (changed, vanished or unreadable while read) is recorded with an
      // identity no file has, so the next run stores it again if it is there and records its
      // deletion if it is not: a torn copy is never the file's version at any later point
      scan: { full, untrusted: written.skipped.map((e) => e.path) },
    });
    if (agePrefix) recordAgePrefix(db, seq, agePrefix);
  })();
  updateRun(db, deps.runId, { archiveSeq: seq, archiveBytes: written.size, bytesRead: written.rawSize });
  log.info(`archive ${seq} written: ${fileName}, ${written.size} bytes (tar ${written.rawSize}), tree hash ${written.treeHash}`);

  let archiveId: string | undefined;
  let uploadMs: number | undefined;
  const record = getArchive(db, seq)!;
  if (deps.backend && upload) {
    const backend = await deps.backend();
    stage = 'upload';
    deps.progress.start('upload', written.size, 'bytes');
    try {
      let done: Stored;
      try {
        done = await upload;
        await recordUploaded(db, record, done, placement, backend.info.kind);
      } catch (err) {
        if (signal.aborted || (err instanceof BackupError && err.code === 'CHECKSUM_MISMATCH')) throw err;
        // one more attempt through the same journal: it resumes, sending only the missing parts
        log.warn(`upload of archive ${seq} failed (${(err as Error).message}); resuming it`);
        done = await finishUpload(db, backend, record, { placement, signal, onProgress: (p) => deps.progress.update(p.bytesSent) });
      }
      archiveId = done.id;
      uploadMs = Date.now() - uploadStarted;
      updateRun(db, deps.runId, { uploadBytes: written.size, uploadMs, archiveId });
      log.info(`archive ${seq} uploaded in ${formatDuration(uploadMs / 1000)}: archive ID ${archiveId}`);
    } catch (err) {
      if (err instanceof BackupError && err.code === 'ABORTED') throw err;
      throw new BackupError('UPLOAD_FAILED', `archive ${seq} is saved in staging but its upload failed: ${(err as Error).message}; "backup upload" or the next run resumes it`, { cause: err });
    } finally {
      deps.progress.stop();
    }
  } else {
    await settleStagedFile(db, record, placement);
  }
  if (config.check.afterRun) {
    const { problems, counts } = await checkLocal(db, { signal, identity: config.encryption && identityFile(config.encryption.identityFile) });
    for (const p of problems) warn(`check: ${p.seq === null ? '' : `archive ${p.seq}: `}${p.what}`);
    if (!problems.length) log.info(`check: the catalog and ${counts.localCopies} local cop${counts.localCopies === 1 ? 'y' : 'ies'} verified`);
  }
  return {
    status: warnings.length ? 'warnings' : 'ok',
    dryRun: false,
    level: choice.level,
    seq,
    plan: c,
    paths,
    bytesRead: written.rawSize,
    archiveBytes: written.size,
    archiveId,
    ...(uploadMs === undefined ? {} : { uploadBytes: written.size, uploadMs }),
    warnings,
  };
}

/** Paths of each kind (added, changed, deleted) kept for the run log and --json; beyond it they are only counted. */
const PATHS_KEPT = 10_000;

/** The scanned files, with the extended attributes of each page of them read into `into` before the page is handed on. */
async function* withXattrs(files: Iterable<TreeEntry>, root: string, into: Map<string, Xattr[]>): AsyncGenerator<TreeEntry> {
  let page: TreeEntry[] = [];
  const flush = async () => {
    into.clear();
    for (const [k, v] of await readXattrs(page.filter((f) => f.type === 'file').map((f) => join(root, f.path)))) into.set(k, v);
  };
  for (const f of files) {
    page.push(f);
    if (page.length === XATTR_PAGE) {
      await flush();
      yield* page;
      page = [];
    }
  }
  await flush();
  yield* page;
}

const XATTR_PAGE = 200;
