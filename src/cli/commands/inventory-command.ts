/**
 * `backup inventory request|status|fetch` and `backup catalog rebuild --from-inventory`, through
 * the storage seam: a vault prepares its listing in an inventory job (hours on AWS), whose
 * token is recorded like a retrieval job; a bucket lists at once.
 */
import type { Command } from 'commander';
import { listArchives, updateArchive } from '../../catalog/archive-store.js';
import { clearUpload } from '../../catalog/upload-journal-store.js';
import { catalogSnapshotIds, recordCatalogSnapshot, recordListing } from '../../catalog/inventory-store.js';
import { planOrphans, type OrphanAction } from '../../recover/plan-orphans.js';
import { listJobs, recordJob, updateJob, type JobRecord } from '../../catalog/job-store.js';
import { BackupError, isBackupError } from '../../errors.js';
import type { StoredObject } from '../../storage/backend.js';
import type { CatalogArchive, InventoryArchive, Reconciliation } from '../../storage/glacier/inventory.js';
import { adoptArchives } from '../../recover/adopt-archives.js';
import { resolve } from 'node:path';
import { parseTier } from '../parse-options.js';
import { withContext, type CommandContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonTime, jsonTimeOrNull } from '../json-values.js';
import { defaultIdentityFile } from '../../config/load-config.js';
import { identityFile } from '../../restore/decrypting-source.js';

/** Registers the inventory and catalog commands. */
export function registerInventory(program: Command): void {
  const inventory = program.command('inventory').description("reconcile the vault's inventory with the catalog (Glacier prepares inventories about daily; jobs take hours)");
  inventory
    .command('request')
    .description('start an inventory-retrieval job; its ID is recorded so "inventory fetch" finds it later')
    .addHelpText('after', '\nExample:\n  backup inventory request && backup inventory fetch --wait')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const jobId = await requestInventory(ctx);
        if (ctx.flags.json) return sayJson({ jobId });
        if (jobId === null) return say('this backend lists its objects at once: run "backup inventory fetch"');
        say(`inventory job started: ${jobId}\nrun "backup inventory fetch" when it completes (hours on AWS); "backup inventory status" shows its state`);
      }),
    );
  inventory
    .command('status')
    .description('show the recorded inventory jobs and their state in the vault')
    .addHelpText('after', '\nExample:\n  backup inventory status --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const jobs = listJobs(ctx.db, 'inventory');
        const backend = jobs.some((j) => j.status === 'InProgress') ? await ctx.backend() : undefined;
        for (const j of jobs) {
          if (j.status !== 'InProgress' || !backend) continue;
          try {
            const d = await backend.warmState(j.jobId);
            const status = d.state === 'ready' ? 'Succeeded' : d.state === 'failed' ? 'Failed' : 'InProgress';
            updateJob(ctx.db, j.jobId, { status, ...(status !== 'InProgress' ? { completedAt: new Date().toISOString() } : {}) });
            j.status = status;
          } catch (err) {
            if (!isBackupError(err, 'VAULT_ITEM_NOT_FOUND')) throw err;
            updateJob(ctx.db, j.jobId, { status: 'Expired' });
            j.status = 'Expired';
          }
        }
        if (ctx.flags.json) return sayJson({ jobs: jobs.map(publicJob) });
        if (jobs.length === 0) return say('no inventory jobs recorded; start one with "backup inventory request"');
        for (const j of jobs) say(`${j.jobId}  ${j.status}  requested ${j.createdAt}`);
      }),
    );
  inventory
    .command('fetch')
    .description("download the inventory of the newest (or given) job, store it, and reconcile it with the catalog")
    .addHelpText('after', '\nExamples:\n  backup inventory fetch            # exit 4 while the job is still in progress\n  backup inventory fetch --wait')
    .option('--job <id>', 'the inventory job to fetch (default: the newest recorded)')
    .option('--wait', 'wait for the job to complete instead of exiting with code 4')
    .action((opts: { job?: string; wait?: boolean }, cmd: Command) =>
      // the lock: orphans are adopted or deleted, which must not race a run's own upload
      withContext(cmd, { checkDataDir: false, lock: 'inventory fetch' }, async (ctx) => {
        const inv = await fetchInventoryJob(ctx, opts);
        // loaded here, not at start-up: the module brings the Glacier client, which other commands never need
        const { reconcileInventory } = await import('../../storage/glacier/inventory.js');
        const rec = reconcileInventory(
          inv.objects.map(asInventoryArchive),
          listArchives(ctx.db).filter((a) => a.archiveId && a.uploadState === 'uploaded').map((a) => ({ seq: a.seq, archiveId: a.archiveId!, size: a.size, treeHash: a.treeHash, uploadedAt: a.uploadedAt })),
          { inventoryDate: inv.asOf, catalogSnapshots: catalogSnapshotIds(ctx.db) },
        );
        const orphans = await settleOrphans(ctx, rec.unknownInVault);
        rec.unknownInVault = rec.unknownInVault.filter((u) => !orphans.some((o) => o.archiveId === u.archiveId));
        if (ctx.flags.json) return sayJson(reconciliationJson(inv, rec, orphans));
        for (const o of orphans) say(o.action === 'delete' ? `  orphan deleted: ${o.archiveId.slice(0, 16)}…, ${o.why}` : o.action === 'adopt' ? `  orphan adopted: archive ${o.seq} is in the vault as ${o.archiveId.slice(0, 16)}… (its upload finished before a crash)` : `  orphan adopted: catalog snapshot ${o.archiveId.slice(0, 16)}…`);
        say(`inventory of ${inv.asOf}: ${inv.objects.length} archives stored; ${rec.matched} match the catalog`);
        for (const u of rec.unknownInVault) {
          const d = u.decoded;
          say(`  in the vault, unknown to the catalog: ${u.archiveId.slice(0, 16)}… ${u.size} bytes, ${d ? `${d.kind} archive of set ${d.set}, seq ${d.seq}, level ${d.level}, ${d.createdAt.toISOString()}, ${d.fileName}` : `foreign description "${u.description}"`}`);
        }
        for (const m of rec.missingFromVault) say(`  in the catalog, missing from the vault: archive ${m.seq} (${m.archiveId.slice(0, 16)}…)`);
        for (const m of rec.newerThanInventory) say(`  uploaded after the inventory was taken (not a problem): archive ${m.seq}`);
        for (const m of rec.mismatched) say(`  MISMATCH archive ${m.seq}: catalog ${m.catalog.size} bytes ${m.catalog.treeHash}, vault ${m.vault.size} bytes ${m.vault.treeHash}`);
        if (rec.missingFromVault.length || rec.mismatched.length) return 1;
      }),
    );

  program
    .command('catalog')
    .description('catalog maintenance')
    .command('rebuild')
    .description('rebuild a lost catalog from the vault (the newest catalog snapshot, else the archive descriptions) or from a directory of archive files')
    .option('--from-inventory', 'use the vault inventory (request one first with "backup inventory request")')
    .option('--from-archives <dir>', 'adopt the archive files of this set in DIR (the local copies) into an empty catalog')
    .option('--job <id>', 'the inventory job to use (default: the newest recorded)')
    .option('--tier <tier>', 'retrieval tier for the catalog snapshot', 'Standard')
    .option('--wait', 'wait for the inventory and retrieval jobs instead of exiting with code 4')
    .option('--force', 'replace a catalog that already lists archives')
    .addHelpText('after', '\nExample (a new machine with only the config and credentials):\n  backup inventory request\n  backup catalog rebuild --from-inventory --wait\n  backup restore --to /srv/data --wait\nExample (a lost catalog, local copies kept):\n  backup catalog rebuild --from-archives ~/.local/state/backup/archives')
    .action((opts: { fromInventory?: boolean; fromArchives?: string; job?: string; tier: string; wait?: boolean; force?: boolean }, cmd: Command) =>
      withContext(cmd, { checkDataDir: false, lock: 'catalog rebuild', brokenCatalog: 'move-aside' }, async (ctx) => {
        if (!!opts.fromInventory === !!opts.fromArchives) throw new BackupError('USAGE', 'catalog rebuild needs exactly one of --from-inventory and --from-archives DIR');
        if (opts.fromArchives) {
          const n = await adoptArchives(ctx.db, resolve(opts.fromArchives), ctx.config.set, ctx.signal);
          if (ctx.flags.json) return sayJson({ from: 'archive-files', archives: n, addedFromDescriptions: 0 });
          return say(`catalog rebuilt from ${n} archive file(s) in ${opts.fromArchives}; "backup list" shows them, and the next run starts a new full chain`);
        }
        const existing = listArchives(ctx.db).length;
        if (existing > 0 && !opts.force) {
          throw new BackupError('USAGE', `the catalog already lists ${existing} archives; add --force to replace it, or move ${ctx.config.stateDir}/catalog.db away first`);
        }
        const tier = parseTier(opts.tier);
        const inv = await fetchInventoryJob(ctx, opts);
        const { rebuildCatalog } = await import('../../recover/rebuild-catalog.js');
        const { db, result } = await rebuildCatalog(
          { db: ctx.db, stateDir: ctx.config.stateDir, set: ctx.config.set, backend: () => ctx.backend(), signal: ctx.signal, log: (l) => !ctx.flags.quiet && !ctx.flags.json && say(l), identity: identityFile(ctx.config.encryption?.identityFile ?? defaultIdentityFile(process.env)) },
          inv,
          { tier, wait: !!opts.wait },
        );
        ctx.db = db;
        if (ctx.flags.json) return sayJson({ from: result.from, archives: result.archives, addedFromDescriptions: result.addedFromDescriptions, ...(result.snapshotArchiveId ? { snapshotArchiveId: result.snapshotArchiveId } : {}) });
        say(`catalog rebuilt from ${result.from === 'catalog-snapshot' ? 'the newest catalog snapshot' : 'the archive descriptions'}: ${result.archives} archives${result.addedFromDescriptions ? ` (${result.addedFromDescriptions} from descriptions)` : ''}; "backup list" shows them`);
      }),
    );
}

/** What `inventory fetch --json` prints: the listing's date and size, the reconciliation, and the orphans settled. */
function reconciliationJson(inv: { asOf: string; objects: readonly StoredObject[] }, rec: Reconciliation, orphans: readonly OrphanAction[]) {
  const known = (c: CatalogArchive) => ({ seq: c.seq, archiveId: c.archiveId, size: c.size, treeHash: c.treeHash, uploadedAt: jsonTimeOrNull(c.uploadedAt) });
  return {
    inventoryDate: jsonTime(inv.asOf),
    archives: inv.objects.length,
    matched: rec.matched,
    unknownInVault: rec.unknownInVault.map((u) => ({
      archiveId: u.archiveId,
      size: u.size,
      treeHash: u.treeHash,
      createdAt: jsonTime(u.creationDate),
      description: u.description,
      decoded: u.decoded ? { kind: u.decoded.kind, set: u.decoded.set, seq: u.decoded.seq, level: u.decoded.level, createdAt: jsonTime(u.decoded.createdAt), fileName: u.decoded.fileName } : null,
    })),
    missingFromVault: rec.missingFromVault.map(known),
    newerThanInventory: rec.newerThanInventory.map(known),
    mismatched: rec.mismatched,
    orphans: orphans.map((o) => (o.action === 'adopt-snapshot' ? { ...o, createdAt: jsonTime(o.createdAt) } : o)),
  };
}

/** An inventory job as `inventory status --json` shows it. */
function publicJob(j: JobRecord) {
  return { jobId: j.jobId, status: j.status, createdAt: jsonTime(j.createdAt), completedAt: jsonTimeOrNull(j.completedAt) };
}

/** Starts a listing; returns the job token to record, or null when the backend lists at once (S3). */
async function requestInventory(ctx: CommandContext): Promise<string | null> {
  const l = await (await ctx.backend()).list();
  if (l.ready) return null;
  recordInventoryJob(ctx, l.token);
  return l.token;
}

function recordInventoryJob(ctx: CommandContext, jobId: string): void {
  recordJob(ctx.db, { jobId, action: 'inventory', archiveId: null, seq: null, rangeStart: null, rangeEnd: null, tier: null, status: 'InProgress', createdAt: new Date().toISOString() });
}

/**
 * Lists the backend: continues the given or newest recorded inventory job (a vault), waiting
 * if asked, or lists at once (a bucket); stores the listing in the catalog.
 */
async function fetchInventoryJob(ctx: CommandContext, opts: { job?: string; wait?: boolean }): Promise<{ asOf: string; objects: StoredObject[] }> {
  const backend = await ctx.backend();
  const job: Pick<JobRecord, 'jobId'> | undefined = opts.job ? { jobId: opts.job } : listJobs(ctx.db, 'inventory').find((j) => j.status !== 'Expired' && j.status !== 'Failed');
  let l = await backend.list(job ? { token: job.jobId } : {});
  if (!l.ready) {
    if (!job) recordInventoryJob(ctx, l.token);
    if (!opts.wait) throw new BackupError('RETRIEVAL_PENDING', `inventory job ${l.token} is ${job ? 'still in progress' : 'started'} (hours on AWS); run the same command later, or add --wait`);
    await backend.waitWarm(l.token, { signal: ctx.signal });
    l = await backend.list({ token: l.token });
    if (!l.ready) throw new BackupError('VAULT', `inventory job ${l.token} completed but its listing is not ready; run the same command again`);
  }
  const token = job?.jobId ?? `list-${new Date().toISOString()}`;
  if (job && listJobs(ctx.db, 'inventory').some((j) => j.jobId === job.jobId)) updateJob(ctx.db, job.jobId, { status: 'Succeeded', completedAt: new Date().toISOString() });
  recordListing(ctx.db, { token, asOf: l.asOf, fetchedAt: new Date().toISOString(), objectCount: l.objects.length, listing: l });
  return l;
}

function asInventoryArchive(o: StoredObject): InventoryArchive {
  return { archiveId: o.id, description: o.description, creationDate: o.storedAt.toISOString(), size: o.size, treeHash: o.treeHash ?? '' };
}

/**
 * Adopts or deletes the orphans of this set the listing shows (see planOrphans); returns
 * what was done. The caller holds the run lock; adopting is one catalog update, deleting
 * is idempotent.
 */
async function settleOrphans(ctx: CommandContext, unknown: Reconciliation['unknownInVault']): Promise<OrphanAction[]> {
  const plan = planOrphans(unknown.map((u) => ({ ...u, createdAt: u.creationDate })), listArchives(ctx.db), ctx.config.set);
  if (plan.length === 0) return [];
  const backend = await ctx.backend();
  for (const o of plan) {
    if (o.action === 'adopt') {
      const a = listArchives(ctx.db).find((x) => x.seq === o.seq)!;
      ctx.db.transaction(() => {
        updateArchive(ctx.db, o.seq, { archiveId: o.archiveId, uploadState: 'uploaded', uploadedAt: new Date().toISOString() });
        clearUpload(ctx.db, a.fileName);
      })();
    } else if (o.action === 'adopt-snapshot') {
      recordCatalogSnapshot(ctx.db, { ...o, description: unknown.find((u) => u.archiveId === o.archiveId)!.description });
    } else {
      // idempotent: an object already gone is not an error
      await backend.delete(o.archiveId);
    }
  }
  return plan;
}
