/** `backup check`: verify the catalog, the chains, the local copies, the storage listing and, with --read-data, the stored bytes (restic `check`, duplicity `verify`). */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { checkLocal } from '../../check/check-local.js';
import type { ReadDataResult } from '../../check/read-stored-data.js';
import { parsePercent, parseSeed, selectStoredArchives, type ReadDataSelection } from '../../check/select-stored-archives.js';
import { listArchives, type ArchiveRecord } from '../../catalog/archive-store.js';
import { assertStoredIn, storedElsewhere } from '../../storage/assert-stored-in.js';
import { defaultIdentityFile } from '../../config/load-config.js';
import { identityFile } from '../../restore/decrypting-source.js';
import { tierHours } from '../../restore/warm-up-jobs.js';
import { BackupError, ExitCode } from '../../errors.js';
import { withContext } from '../command-context.js';
import { parsePositiveInt, parseTier } from '../parse-options.js';
import { say, sayJson } from '../output.js';
import { jsonTime, jsonTimeOrNull } from '../json-values.js';
import { formatBytes } from '../../ui/format-units.js';

interface CheckOptions {
  readData?: boolean;
  sample?: string;
  seed?: string;
  seq?: string[];
  tier?: string;
  wait?: boolean;
}

/** Registers `backup check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the catalog (SQLite integrity, chain consistency), re-hash every local copy against it block by block and member by member, compare the vault or bucket listing with it, and with --read-data read stored archives back and verify them')
    .option('--read-data', 'also retrieve archives from offsite storage and verify them (tree hash, every gzip block, every member; every age chunk when encrypted): retrieval fees apply')
    .option('--sample <percent>', 'with --read-data: a random PERCENT of the stored archives (at least one); the seed is printed')
    .option('--seed <n>', 'with --sample: the seed a previous check printed, to read the same sample again')
    .option('--seq <n...>', 'with --read-data: only these archives')
    .option('--tier <tier>', 'with --read-data: retrieval tier, Expedited, Standard or Bulk (default Standard)')
    .option('--wait', 'with --read-data: wait for retrievals (Glacier jobs, S3 restores) instead of exiting with code 4')
    .addHelpText('after', '\nExit code 0 when everything holds, 1 with one line per problem, 4 while retrievals for --read-data are still in progress (run the same command again later; they are reused, not paid twice).\n\nExamples:\n  backup check\n  backup check --json\n  backup check --read-data --sample 5 --tier Bulk\n  backup check --read-data --seq 12 13 --wait')
    .action((opts: CheckOptions, cmd: Command) => {
      const selection = parseSelection(opts);
      const tier = parseTier(opts.tier ?? 'Standard');
      return withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const { config, db, flags } = ctx;
        const set = config.set;
        const hasStorage = !!(config.vault || config.s3);
        if (selection && !hasStorage) throw new BackupError('CONFIG_INVALID', `check --read-data reads archives back from offsite storage, and config ${config.configPath} has neither "vault" nor "s3"`);
        const backend = hasStorage ? await ctx.backend() : undefined;
        // while a vault moves to a bucket (migrate --to-s3) some archives are still in the other store
        const here = (a: ArchiveRecord) => !backend || !storedElsewhere(a, backend.info.kind);
        const chosen = selection ? selectStoredArchives(selection.kind === 'seqs' ? listArchives(db) : listArchives(db).filter(here), selection) : [];
        if (backend) for (const a of chosen) assertStoredIn(a, backend.info);
        const progress = flags.quiet || flags.json ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
        const identity = identityFile(config.encryption?.identityFile ?? defaultIdentityFile(process.env));
        if (selection?.kind === 'sample' && !flags.quiet && !flags.json) {
          say(`reading ${chosen.length} stored archive(s) chosen with seed ${selection.seed} (the same sample again: --sample ${selection.percent} --seed ${selection.seed}): ${chosen.map((a) => a.seq).join(' ') || 'none'}`);
        }

        const { problems, counts } = await checkLocal(db, { signal: ctx.signal, onProgress: progress, identity });
        // the storage checks are loaded only with storage configured (they bring the storage clients)
        const storage = backend ? await (await import('../../check/check-storage.js')).checkStorage(db, backend, set) : undefined;
        problems.push(...(storage?.problems ?? []));
        let read: ReadDataResult | undefined;
        if (backend && selection) {
          const { readStoredData } = await import('../../check/read-stored-data.js');
          read = await readStoredData({ db, stateDir: config.stateDir, backend, signal: ctx.signal, log: progress, identity }, chosen, { tier, wait: !!opts.wait });
          problems.push(...read.problems);
        }
        problems.sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0));
        const pending = read?.pending ?? [];

        if (flags.json) {
          sayJson({
            ok: problems.length === 0 && pending.length === 0,
            set,
            problems: problems.map((p) => ({ set, ...p })),
            pending: pending.map((p) => ({ set, ...p, requestedAt: jsonTime(p.requestedAt) })),
            checked: {
              ...counts,
              storage: backend?.info.location ?? null,
              listing: jsonTimeOrNull(storage?.listedAt),
              readData: read
                ? { archives: chosen.map((a) => a.seq), tier, seed: selection?.kind === 'sample' ? selection.seed : null, read: read.archivesRead, bytesRetrieved: read.bytesRetrieved, jobsStarted: read.jobsStarted, jobsReused: read.jobsReused }
                : null,
            },
          });
        } else {
          for (const p of problems) say(`set ${set}${p.seq === null ? '' : ` archive ${p.seq}`}: ${p.what}`);
          for (const p of pending) say(`set ${set} archive ${p.seq}: retrieval pending (${p.tier ?? tier}, requested ${p.requestedAt}, job ${p.jobId.length > 48 ? `${p.jobId.slice(0, 16)}…` : p.jobId})`);
          if (pending.length) {
            const again = selection?.kind === 'sample' ? `"backup check --read-data --sample ${selection.percent} --seed ${selection.seed}"` : 'the same command';
            say(`${pending.length} retrieval(s) still in progress (${tier} takes ${tierHours(tier)} on AWS): run ${again} again later to read them (they are reused, not paid for twice), or add --wait`);
          }
          if (!flags.quiet) say(summary(problems.length, counts, backend?.info.kind, storage?.listedAt ?? null, read));
        }
        return problems.length ? ExitCode.failed : pending.length ? ExitCode.pending : ExitCode.ok;
      });
    });
}

/** The --read-data options as a selection, or undefined without --read-data; USAGE for options that need it or each other. */
function parseSelection(o: CheckOptions): ReadDataSelection | undefined {
  if (!o.readData) {
    const stray = (['sample', 'seed', 'seq', 'tier', 'wait'] as const).find((k) => o[k] !== undefined);
    if (stray) throw new BackupError('USAGE', `--${stray} goes with --read-data (backup check --read-data --${stray} …)`);
    return undefined;
  }
  if (o.sample !== undefined && o.seq !== undefined) throw new BackupError('USAGE', 'give --sample or --seq, not both');
  if (o.seed !== undefined && o.sample === undefined) throw new BackupError('USAGE', '--seed goes with --sample (it repeats a sample)');
  if (o.seq) return { kind: 'seqs', seqs: o.seq.map((s) => parsePositiveInt(s, '--seq')) };
  if (o.sample !== undefined) return { kind: 'sample', percent: parsePercent(o.sample), seed: o.seed === undefined ? randomInt(0x100000000) : parseSeed(o.seed) };
  return { kind: 'all' };
}

function summary(problems: number, counts: { archives: number; localCopies: number; bytesVerified: number }, kind: string | undefined, listedAt: string | null, read: ReadDataResult | undefined): string {
  const noun = kind === 's3' ? 'bucket' : kind === 'glacier' ? 'vault' : 'storage';
  const listing = !kind
    ? 'no offsite storage configured'
    : listedAt
      ? `${noun} compared with its listing of ${listedAt}`
      : `${noun} not compared: no listing yet ("backup inventory request", then "backup inventory fetch")`;
  const data = read ? `; stored data: ${read.archivesRead} archive(s) read back and verified (${formatBytes(read.bytesRetrieved)} retrieved; ${read.jobsStarted} retrieval(s) started, ${read.jobsReused} reused)` : '';
  return `${problems ? `${problems} problem(s)` : read?.pending.length ? `${read.pending.length} retrieval(s) pending` : 'ok'}: ${counts.archives} archive(s) in the catalog, ${counts.localCopies} local cop${counts.localCopies === 1 ? 'y' : 'ies'} verified (${formatBytes(counts.bytesVerified)}); ${listing}${data}`;
}
