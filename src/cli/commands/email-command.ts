/** `backup email test`: one test message and the SMTP outcome in one line. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { loadConfig } from '../../config/load-config.js';
import { BackupError } from '../../errors.js';
import { globalFlags } from '../command-context.js';
import { say, sayJson } from '../output.js';

/** Registers `backup email test`. */
export function registerEmail(program: Command): void {
  program
    .command('email')
    .description('email settings')
    .command('test')
    .description('send a test message to the configured address and report the SMTP outcome')
    .addHelpText('after', '\nExample:\n  BACKUP_SMTP_PASSWORD=... backup email test')
    .action(async (_opts, cmd: Command) => {
      const config = loadConfig({ path: globalFlags(cmd).config, checkDirs: false });
      if (!config.email) throw new BackupError('CONFIG_INVALID', `config ${config.configPath} has no "email" section; add one (see config.example.json)`);
      // nodemailer is loaded only to send
      const { createMailer, sendTestEmail } = await import('../../notify/send-mail.js');
      const report = await sendTestEmail(createMailer(config.email), { host: hostname(), set: config.set });
      if (globalFlags(cmd).json) sayJson({ sent: true, to: [config.email.to].flat(), report });
      else say(report);
    });
}
