/** `backup check`: verify the catalog, the chains and the local copies (restic `check`, duplicity `verify`). */
import type { Command } from 'commander';
import { checkLocal } from '../../check/check-local.js';
import { ExitCode } from '../../errors.js';
import { withContext } from '../command-context.js';
import { say, sayJson } from '../output.js';
import { formatBytes } from '../../ui/format-units.js';

/** Registers `backup check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the catalog (SQLite integrity, chain consistency) and re-hash every local copy against it, block by block and member by member')
    .addHelpText('after', '\nExit code 0 when everything holds, 1 with one line per problem.\n\nExamples:\n  backup check\n  backup check --json')
    .action((_o, cmd: Command) =>
      withContext(cmd, { checkDataDir: false }, async (ctx) => {
        const quiet = !!ctx.flags.quiet || !!ctx.flags.json;
        const { problems, counts } = await checkLocal(ctx.db, { signal: ctx.signal, onProgress: quiet ? undefined : (l) => process.stderr.write(`${l}\n`) });
        const set = ctx.config.set;
        if (ctx.flags.json) sayJson({ ok: problems.length === 0, set, problems: problems.map((p) => ({ set, ...p })), checked: counts });
        else {
          for (const p of problems) say(`set ${set}${p.seq === null ? '' : ` archive ${p.seq}`}: ${p.what}`);
          if (!ctx.flags.quiet) say(`${problems.length ? `${problems.length} problem(s)` : 'ok'}: ${counts.archives} archive(s) in the catalog, ${counts.localCopies} local cop${counts.localCopies === 1 ? 'y' : 'ies'} verified (${formatBytes(counts.bytesVerified)})`);
        }
        return problems.length ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
