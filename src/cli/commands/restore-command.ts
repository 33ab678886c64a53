/** `backup restore`: a point in time into a directory, from the catalog or from archive files alone. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { restoreFromCatalog } from '../../restore/restore-from-catalog.js';
import { restoreFromArchives } from '../../restore/restore-from-archives.js';
import { pathFilter } from '../../restore/select-paths.js';
import { defaultIdentityFile, loadConfig } from '../../config/load-config.js';
import { identityFile } from '../../restore/decrypting-source.js';
import { interruptSignal } from '../interrupt.js';
import { parsePoint, parseTier } from '../parse-options.js';
import { globalFlags, withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { jsonTime } from '../json-values.js';
import { formatBytes } from '../../ui/format-units.js';
import { ExitCode } from '../../errors.js';

interface RestoreOptions {
  to: string;
  at?: string;
  seq?: string;
  path: string[];
  force?: boolean;
  fromArchives?: string;
  tier: string;
  wait?: boolean;
}

/** Registers `backup restore`. */
export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore the data directory as it was at a point in time into an empty directory')
    .requiredOption('--to <dir>', 'target directory (must be empty unless --force)')
    .option('--at <time>', 'the newest backup at or before this time (default: the latest)')
    .option('--seq <n>', 'the backup with this sequence number')
    .option('--path <glob>', 'restore only paths matching this glob (repeatable); a directory takes everything below it', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--force', 'restore into a non-empty directory, replacing what is in the way')
    .option('--from-archives <dir>', 'restore from the archive files in this directory alone, without the catalog')
    .option('--tier <tier>', 'retrieval tier for archives with no local copy: Expedited, Standard or Bulk', 'Standard')
    .option('--wait', 'wait for retrievals (Glacier jobs, S3 restores) to finish instead of exiting with code 4')
    .addHelpText('after', `
Examples:
  backup restore --to /tmp/restore
  backup restore --to /tmp/restore --at 2026-11-20 --path 'photos/2024/**'
  backup restore --to /tmp/restore --tier Bulk --wait
  backup restore --from-archives /mnt/usb/backup --to /tmp/restore`)
    .action(async (opts: RestoreOptions, cmd: Command) => {
      const point = parsePoint(opts);
      const tier = parseTier(opts.tier);
      const filter = pathFilter(opts.path);
      const to = resolve(opts.to);
      const flags = globalFlags(cmd);
      if (opts.fromArchives) {
        // works with no config and no catalog at all
        let set: string | undefined;
        let identity = identityFile(defaultIdentityFile(process.env));
        try {
          const config = loadConfig({ path: flags.config, checkDirs: false });
          set = config.set;
          if (config.encryption) identity = identityFile(config.encryption.identityFile);
        } catch {
          set = undefined;
        }
        const r = await restoreFromArchives({
          dir: resolve(opts.fromArchives),
          to,
          force: !!opts.force,
          point,
          set,
          filter,
          signal: interruptSignal(),
          log: (l) => !flags.quiet && !flags.json && say(l),
          identity,
        });
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        if (flags.json) sayJson({ from: 'archive-files', to, archivesUsed: r.archives, files: r.files, warnings: r.warnings });
        else say(`restored ${r.files} files from ${r.archives} archive(s) into ${to}`);
        if (r.warnings.length) process.exitCode = ExitCode.warnings;
        return;
      }
      return withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const r = await restoreFromCatalog(
          {
            db: ctx.db,
            stateDir: ctx.config.stateDir,
            backend: ctx.config.vault || ctx.config.s3 ? () => ctx.backend() : undefined,
            signal: ctx.signal,
            log: (l) => !ctx.flags.quiet && !ctx.flags.json && say(l),
            identity: identityFile(ctx.config.encryption?.identityFile ?? defaultIdentityFile(process.env)),
          },
          { to, point, filter, force: !!opts.force, tier, wait: !!opts.wait },
        );
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        if (ctx.flags.json) sayJson({ from: 'catalog', to, ...r, createdAt: jsonTime(r.createdAt) });
        else say(`restored archive ${r.seq} (${r.createdAt}) into ${to}: ${r.files} files (${formatBytes(r.bytes)}), ${r.dirs} directories, ${r.symlinks} symlinks${r.others ? `, ${r.others} hard links, FIFOs and device nodes` : ''}, from ${r.archivesUsed} archive(s)${r.retrievedBytes ? `; retrieved ${formatBytes(r.retrievedBytes)} of the chain's ${formatBytes(r.chainBytes)}` : ''}`);
        return r.warnings.length ? ExitCode.warnings : undefined;
      });
    });
}
