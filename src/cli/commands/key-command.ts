/** `backup key generate`: a new age identity for encrypting archives. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultIdentityFile } from '../../config/load-config.js';
import { writeNewIdentity } from '../../age/identity-file.js';
import { globalFlags } from '../command-context.js';
import { say, sayJson } from '../output.js';

/** Registers `backup key generate [--out FILE]`. */
export function registerKey(program: Command): void {
  const key = program.command('key').description('encryption keys (age)');
  key
    .command('generate')
    .description('write a new age identity (mode 0600) and print its recipient for "encryption.recipients"')
    .option('--out <file>', 'where to write the identity (never overwritten)', defaultIdentityFile(process.env))
    .addHelpText('after', '\nExample:\n  backup key generate --out ~/.config/backup/age.key\n  # keep a copy of that file offline: without it the backups cannot be restored')
    .action((opts: { out: string }, cmd: Command) => {
      const path = resolve(opts.out);
      const recipient = writeNewIdentity(path, new Date());
      if (globalFlags(cmd).json) sayJson({ identityFile: path, recipient });
      else {
        say(recipient);
        if (!globalFlags(cmd).quiet) process.stderr.write(`identity written to ${path}; add the recipient above to "encryption.recipients" and keep a copy of the file offline\n`);
      }
    });
}
