/**
 * Sending the run-log email over SMTP with nodemailer. The password never lives in the
 * config: it is read from the environment variable that `smtp.passwordEnv` names.
 * Every failure is a one-line BackupError('EMAIL') carrying the server's response;
 * `trySendReport` never throws, so a mail problem never fails a backup.
 */
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { BackupError } from '../errors.js';

/** The `email` section of the config, as far as sending goes. */
export interface MailConfig {
  to: string | readonly string[];
  from: string;
  smtp: {
    host: string;
    port: number;
    /** true: implicit TLS (port 465); false: STARTTLS, required when there is a login unless `allowPlaintextAuth`. */
    secure: boolean;
    user?: string;
    /** Name of the environment variable holding the password; required when `user` is set. */
    passwordEnv?: string;
    /** true lets the login go in clear when the server offers no STARTTLS (a trusted local relay only). */
    allowPlaintextAuth?: boolean;
  };
}

/**
 * A configured sender. `send` throws BackupError('EMAIL') with the server's response; it
 * opens one SMTP connection per message, so there is nothing to close.
 */
export interface Mailer {
  readonly to: readonly string[];
  readonly from: string;
  /** host:port, for messages. */
  readonly server: string;
  send(message: { subject: string; text: string; attachments?: readonly MailAttachment[] }): Promise<SentMail>;
}

/** A plain-text attachment: a file read at sending time, or text in memory. */
export type MailAttachment = { filename: string; path: string } | { filename: string; content: string };

/** What a report mail carries: run logs by path (those gone from disk are named in the text instead) and text attachments. */
export interface ReportMail {
  subject: string;
  text: string;
  attachments: readonly string[];
  /** In-memory attachments, e.g. the archive IDs. */
  extra?: ReadonlyArray<{ filename: string; content: string }>;
}

/** What the server said when it accepted a message. */
export interface SentMail {
  /** The final SMTP response, e.g. "250 OK: queued as 1A2B3C". */
  response: string;
  accepted: string[];
  rejected: string[];
}

/** Builds a mailer from the config; throws CONFIG_INVALID when the password variable is missing from `env`. */
export function createMailer(config: MailConfig, env: NodeJS.ProcessEnv = process.env): Mailer {
  const { smtp } = config;
  let auth: { user: string; pass: string } | undefined;
  if (smtp.user !== undefined || smtp.passwordEnv !== undefined) {
    if (smtp.user === undefined) throw new BackupError('CONFIG_INVALID', 'email.smtp.passwordEnv is set but email.smtp.user is not; add the SMTP user name', { subject: 'email.smtp.user' });
    if (smtp.passwordEnv === undefined) {
      throw new BackupError('CONFIG_INVALID', 'email.smtp.user is set but email.smtp.passwordEnv is not; name the environment variable that holds the SMTP password', { subject: 'email.smtp.passwordEnv' });
    }
    const pass = env[smtp.passwordEnv];
    if (!pass) {
      throw new BackupError(
        'CONFIG_INVALID',
        `environment variable ${smtp.passwordEnv} (email.smtp.passwordEnv) is not set; set it to the SMTP password where backup runs (under cron, in the crontab or a wrapper script)`,
        { subject: smtp.passwordEnv },
      );
    }
    auth = { user: smtp.user, pass };
  }
  // a login over a plain connection must be upgraded first: a stripped STARTTLS then fails the
  // send before AUTH, so the password never travels in clear
  const requireTLS = !!auth && !smtp.secure && !smtp.allowPlaintextAuth;
  const options: SMTPTransport.Options = {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS,
    ...(auth ? { auth } : {}),
    // defaults are minutes long; a nightly job should give up sooner and retry with the next run
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  };
  const transport = nodemailer.createTransport(options);
  const to = typeof config.to === 'string' ? [config.to] : [...config.to];
  const server = `${smtp.host}:${smtp.port}`;
  return {
    to,
    from: config.from,
    server,
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: config.from,
          to,
          subject: message.subject,
          text: message.text,
          attachments: (message.attachments ?? []).map((a) => ({ ...a, contentType: 'text/plain; charset=utf-8' })),
        });
        return { response: oneLine(info.response), accepted: info.accepted.map(address), rejected: info.rejected.map(address) };
      } catch (err) {
        throw emailError(err, to, server, requireTLS);
      } finally {
        transport.close();
      }
    },
  };
}

/** Sends a report with the run logs at `attachments` (log files that no longer exist are listed in the text instead); returns the server's response. */
export async function sendReport(mailer: Mailer, report: ReportMail): Promise<string> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const p of report.attachments) {
    if (await access(p).then(() => true, () => false)) present.push(p);
    else missing.push(p);
  }
  const text = missing.length ? `${report.text}\nRun logs no longer on disk (rotated away): ${missing.map((p) => basename(p)).join(', ')}\n` : report.text;
  const sent = await mailer.send({ subject: report.subject, text, attachments: [...present.map((p) => ({ filename: basename(p), path: p })), ...(report.extra ?? [])] });
  return sent.response;
}

/** Like sendReport, but never throws: `{ ok: false, error }` carries the one-line reason. */
export async function trySendReport(mailer: Mailer, report: ReportMail): Promise<{ ok: true; response: string } | { ok: false; error: string }> {
  try {
    return { ok: true, response: await sendReport(mailer, report) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Sends a short test message; returns the outcome in one line, e.g. "sent to a@b via smtp.example:587 (250 OK: queued as 1A2B)". */
export async function sendTestEmail(mailer: Mailer, about: { host: string; set: string }): Promise<string> {
  const sent = await mailer.send({
    subject: `backup ${about.set} on ${about.host}: test message`,
    text: `This is a test message from backup set "${about.set}" on ${about.host}.\nRun-log reports will come from this address.\n`,
  });
  const rejected = sent.rejected.length ? `; rejected ${sent.rejected.join(', ')}` : '';
  return `sent to ${(sent.accepted.length ? sent.accepted : mailer.to).join(', ')} via ${mailer.server} (${sent.response})${rejected}`;
}

function address(a: string | { address: string }): string {
  return typeof a === 'string' ? a : a.address;
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Maps a nodemailer error to a one-line EMAIL error with the server's response and what to check. */
function emailError(err: unknown, to: readonly string[], server: string, requireTLS: boolean): BackupError {
  const e = err as { code?: string; response?: string; responseCode?: number; message?: string };
  if (requireTLS && e.code === 'ETLS') {
    return new BackupError(
      'EMAIL',
      `sending mail to ${to.join(', ')} via ${server} failed: the server offered no STARTTLS, so the password was not sent; use a server with TLS (secure: true for port 465), or set email.smtp.allowPlaintextAuth for a trusted local relay`,
      { cause: err, subject: server },
    );
  }
  const said = oneLine(e.response) || oneLine(e.message) || String(err);
  const remedy: Record<string, string> = {
    EAUTH: 'check email.smtp.user and the password in the variable email.smtp.passwordEnv names',
    ENOAUTH: 'the server requires a login; set email.smtp.user and email.smtp.passwordEnv',
    ECONNECTION: 'check email.smtp.host, port and secure, and that the server is reachable',
    ETIMEDOUT: 'check email.smtp.host and port, and that the server is reachable',
    EDNS: 'check email.smtp.host',
    ESOCKET: 'check email.smtp.host, port and secure (465 needs secure: true)',
    ETLS: 'check email.smtp.secure and the server\'s certificate',
    EENVELOPE: 'check email.to and email.from',
  };
  const what = remedy[e.code ?? ''] ?? 'check the SMTP server\'s log';
  return new BackupError('EMAIL', `sending mail to ${to.join(', ')} via ${server} failed: ${said}; ${what}`, { cause: err, subject: server });
}
