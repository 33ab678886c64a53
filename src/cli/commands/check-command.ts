/** `backup check`: verify the catalog, the chains and the local copies (restic `check`, duplicity `verify`). */
import type { Command } from 'commander';
import { checkLocal } from '../../check/check-local.js';
import { vaultListingProblems } from '../../check/check-vault-listing.js';
import { listArchives } from '../../catalog/archive-store.js';
import { catalogSnapshotIds, latestListing } from '../../catalog/inventory-store.js';
import { defaultIdentityFile } from '../../config/load-config.js';
import { identityFile } from '../../restore/decrypting-source.js';
import { ExitCode } from '../../errors.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the catalog (SQLite integrity, chain consistency), re-hash every local copy against it block by block and member by member, and compare the vault listing (the newest fetched inventory) with it')
    .addHelpText('after', '\nExit code 0 when everything holds, 1 with one line per problem.\n\nExamples:\n  backup check\n  backup check --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const quiet = !!ctx.flags.quiet || !!ctx.flags.json;
        const { problems, counts } = await checkLocal(ctx.db, { signal: ctx.signal, onProgress: quiet ? undefined : (l) => process.stderr.write(`${l}\n`), identity: identityFile(ctx.config.encryption?.identityFile ?? defaultIdentityFile(process.env)) });
        const set = ctx.config.set;
        const hasStorage = !!ctx.config.vault;
        const inventory = hasStorage ? latestListing(ctx.db) : undefined;
        if (inventory) problems.push(...vaultListingProblems(inventory, listArchives(ctx.db), set, catalogSnapshotIds(ctx.db)));
        const vault = !hasStorage ? 'none configured' : inventory ? `compared with its listing of ${inventory.asOf}` : 'not compared: no listing yet ("backup inventory request", then "backup inventory fetch")';
        if (ctx.flags.json) sayJson({ ok: problems.length === 0, set, problems: problems.map((p) => ({ set, ...p })), checked: { ...counts, vaultListing: inventory?.asOf ?? null } });
        else {
          for (const p of problems) say(`set ${set}${p.seq === null ? '' : ` archive ${p.seq}`}: ${p.what}`);
          if (!ctx.flags.quiet) say(`${problems.length ? `${problems.length} problem(s)` : 'ok'}: ${counts.archives} archive(s) in the catalog, ${counts.localCopies} local cop${counts.localCopies === 1 ? 'y' : 'ies'} verified (${formatBytes(counts.bytesVerified)}); vault ${vault}`);
        }
        return problems.length ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
