/**
 * Run-log email against a real SMTP server (smtp-server on 127.0.0.1, with a login):
 * recipients, subject, body and attached logs; the every-N and on-failure policies over
 * several runs; and one-line errors for a refusing server, a wrong password, a missing
 * password variable and an unreachable host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createMailer, sendReport, sendTestEmail, trySendReport, type MailConfig } from '../src/notify/send-mail.js';
import { renderReport, type ReportTotals } from '../src/notify/render-report.js';
import { shouldSendEmail } from '../src/notify/email-policy.js';
import type { RunSummary } from '../src/notify/run-summary.js';
import { isBackupError } from '../src/errors.js';
import { hostname } from 'node:os';
import { writeFileSync } from 'node:fs';
import { localWorld } from './helpers/local-world.js';
import { runCli } from './helpers/run-cli.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP server that wants user "backup" with password "s3cret"; `refuse` makes it reject messages with 550. */
async function startSmtp(opts: { refuse?: () => boolean } = {}) {
  const mails: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'backup' && auth.password === 's3cret') cb(null, { user: 'backup' });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        if (opts.refuse?.()) return cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { mails, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function mailConfig(port: number, extra: Partial<MailConfig['smtp']> = {}): MailConfig {
  return {
    to: ['ops@example.org', 'me@example.org'],
    from: 'backup@example.org',
    // the test server offers no STARTTLS: test/smtp-starttls.test.ts pins that a login then needs allowPlaintextAuth
    smtp: { host: '127.0.0.1', port, secure: false, user: 'backup', passwordEnv: 'TEST_SMTP_PASSWORD', allowPlaintextAuth: true, ...extra },
  };
}
const env0 = { TEST_SMTP_PASSWORD: 's3cret' };
const env = env0;

/** A decoded MIME part: its headers (lower-case names, unfolded) and body. */
interface Part {
  headers: Record<string, string>;
  body: string;
}

/** Splits a raw message into its top-level headers and decoded leaf parts (enough MIME for these tests). */
function parseMail(raw: string): { headers: Record<string, string>; parts: Part[] } {
  const parse = (text: string): Part => {
    const split = text.indexOf('\r\n\r\n');
    const head = text.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { headers, body: text.slice(split + 4) };
  };
  const leaves = (p: Part): Part[] => {
    const boundary = /boundary="?([^";]+)"?/.exec(p.headers['content-type'] ?? '')?.[1];
    if (!boundary) return [{ headers: p.headers, body: decode(p) }];
    return p.body
      .split(`--${boundary}`)
      .slice(1, -1)
      .flatMap((chunk) => leaves(parse(chunk.replace(/^\r\n/, ''))));
  };
  const top = parse(raw);
  return { headers: top.headers, parts: leaves(top) };
}

function decode(p: Part): string {
  const enc = (p.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(p.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    return Buffer.from(
      p.body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
  return p.body;
}

const totals: ReportTotals = { data: { files: 10, bytes: 1024 }, stored: { archives: 2, bytes: 6 * 1024 * 1024 }, pendingUploads: 0 };

function run(id: number, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    startedAt: `2026-11-${String(10 + id).padStart(2, '0')}T02:30:00.000Z`,
    endedAt: `2026-11-${String(10 + id).padStart(2, '0')}T02:41:10.000Z`,
    status,
    level: id % 7,
    filesAdded: id,
    filesChanged: 2 * id,
    filesDeleted: 1,
    archiveBytes: 3 * 1024 * 1024,
    uploadBytes: 3 * 1024 * 1024,
    uploadMs: 1500,
    archiveId: `archive-${id}-` + 'x'.repeat(20),
    warnings: status === 'warnings' ? [`cannot read /data/locked-${id}.db: permission denied`] : [],
    errors: status === 'failed' ? ['vault unreachable: connect ECONNREFUSED'] : [],
    ...extra,
  };
}

test('a report reaches every recipient with its subject, body and the run logs attached', async (t) => {
  const smtp = await startSmtp();
  t.after(smtp.close);
  const dir = await mkdtemp(join(tmpdir(), 'backup-email-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log1 = join(dir, 'run-2026-11-11T023000Z-1.log');
  const log2 = join(dir, 'run-2026-11-12T023000Z-2.log');
  await writeFile(log1, '2026-11-11T02:30:00.000Z INFO  backup run of /data\n2026-11-11T02:41:10.000Z INFO  archive 1 written\n');
  await writeFile(log2, '2026-11-12T02:30:00.000Z INFO  backup run of /data\n2026-11-12T02:31:00.000Z WARN  cannot read /data/locked-2.db: permission denied\n');
  const runs = [run(1, 'ok', { logPath: log1 }), run(2, 'warnings', { logPath: log2 })];
  const report = renderReport({ host: 'web1', set: 'nightly', runs, totals, timeZone: 'UTC' });

  const response = await sendReport(createMailer(mailConfig(smtp.port), env), { ...report, attachments: [log1, log2], extra: report.archiveIds ? [report.archiveIds] : [] });
  assert.match(response, /^250 /);

  assert.equal(smtp.mails.length, 1);
  const m = smtp.mails[0];
  assert.equal(m.from, 'backup@example.org');
  assert.deepEqual(m.to, ['ops@example.org', 'me@example.org']);
  const mail = parseMail(m.raw);
  assert.equal(mail.headers.subject, 'backup nightly on web1: completed with warnings (2 runs: 1 ok, 1 with warnings)');
  const body = mail.parts.find((p) => !/attachment/.test(p.headers['content-disposition'] ?? ''))!.body;
  assert.match(body, /^ {2}#1 {2}2026-11-11 02:30 \+00:00 {2}ok {2}L1 {2}\+1 ~2 -1 {2}3\.0 MiB {2}11 min 10 s$/m);
  assert.match(body, /^ {2}#2 {2}2026-11-12 02:30 \+00:00 {2}warnings {2}L2 {2}\+2 ~4 -1 /m);
  assert.match(body, /warning: cannot read \/data\/locked-2\.db: permission denied/);
  assert.doesNotMatch(body, /archive-\d-x+/, 'archive IDs are attached, not in the body');
  const attachments = mail.parts.filter((p) => /^attachment/.test(p.headers['content-disposition'] ?? ''));
  assert.deepEqual(attachments.map((a) => /filename="?([^";]+)/.exec(a.headers['content-disposition'])![1]), ['run-2026-11-11T023000Z-1.log', 'run-2026-11-12T023000Z-2.log', 'archive-ids.txt']);
  assert.match(attachments[0].body, /archive 1 written/);
  assert.match(attachments[2].body, /^run #2 .*: archive-2-x+$/m);
  assert.match(attachments[1].body, /WARN {2}cannot read \/data\/locked-2\.db/);
});

test('over several runs the policy mails every N runs, at once on a failure, and retries an unsent report', async (t) => {
  let refusing = false;
  const smtp = await startSmtp({ refuse: () => refusing });
  t.after(smtp.close);
  const mailer = createMailer(mailConfig(smtp.port), env);
  const every = 3;
  let unsent: RunSummary[] = [];
  const outcomes: string[] = [];
  // what `backup run` does after each run: decide, render, send, and forget the runs once delivered
  const afterRun = async (r: RunSummary) => {
    unsent.push(r);
    const decision = shouldSendEmail({ unsent, every, onFailure: true });
    if (!decision.send) return outcomes.push(`#${r.id} -`);
    const sent = await trySendReport(mailer, { ...renderReport({ host: 'web1', set: 'nightly', runs: unsent, totals }), attachments: [] });
    outcomes.push(`#${r.id} ${decision.reason} ${sent.ok ? 'sent' : 'unsent'}`);
    if (sent.ok) unsent = [];
  };
  await afterRun(run(1, 'ok'));
  await afterRun(run(2, 'ok'));
  await afterRun(run(3, 'ok'));
  await afterRun(run(4, 'ok'));
  await afterRun(run(5, 'failed'));
  refusing = true;
  await afterRun(run(6, 'warnings'));
  refusing = false;
  await afterRun(run(7, 'ok'));
  assert.deepEqual(outcomes, ['#1 -', '#2 -', '#3 every sent', '#4 -', '#5 failure sent', '#6 failure unsent', '#7 failure sent']);

  assert.equal(smtp.mails.length, 3);
  const subjects = smtp.mails.map((m) => parseMail(m.raw).headers.subject);
  assert.deepEqual(subjects, [
    'backup nightly on web1: ok (3 runs: 3 ok)',
    'backup nightly on web1: FAILED (2 runs: 1 ok, 1 failed)',
    'backup nightly on web1: completed with warnings (2 runs: 1 ok, 1 with warnings)',
  ]);
  const last = parseMail(smtp.mails[2].raw).parts[0].body;
  assert.match(last, /^ {2}#6 .* warnings [\s\S]*^ {2}#7 .* ok /m, 'the report that failed to send goes out with the next run');
});

test('a server that refuses the message: sendReport throws EMAIL with its response, trySendReport returns it', async (t) => {
  const smtp = await startSmtp({ refuse: () => true });
  t.after(smtp.close);
  const mailer = createMailer(mailConfig(smtp.port), env);
  const report = { subject: 's', text: 't', attachments: [] };
  await assert.rejects(sendReport(mailer, report), (err) => isBackupError(err, 'EMAIL') && /550 mailbox unavailable/.test(err.message));
  const r = await trySendReport(mailer, report);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && /^sending mail to ops@example\.org, me@example\.org via 127\.0\.0\.1:\d+ failed: 550 mailbox unavailable; check the SMTP server's log$/.test(r.error), JSON.stringify(r));
});

test('email test: one line with the recipients and the server response; a wrong password is an auth error line', async (t) => {
  const smtp = await startSmtp();
  t.after(smtp.close);
  const ok = await sendTestEmail(createMailer(mailConfig(smtp.port), env), { host: 'web1', set: 'nightly' });
  assert.match(ok, /^sent to ops@example\.org, me@example\.org via 127\.0\.0\.1:\d+ \(250 [^\n]*\)$/);
  assert.equal(smtp.mails.length, 1);
  assert.equal(parseMail(smtp.mails[0].raw).headers.subject, 'backup nightly on web1: test message');

  const wrong = createMailer(mailConfig(smtp.port), { TEST_SMTP_PASSWORD: 'guess' });
  await assert.rejects(sendTestEmail(wrong, { host: 'web1', set: 'nightly' }), (err) => {
    assert.ok(isBackupError(err, 'EMAIL'));
    assert.match(err.message, /failed: 535 Authentication credentials invalid; check email\.smtp\.user and the password/);
    assert.doesNotMatch(err.message, /\n/);
    assert.doesNotMatch(err.message, /guess/, 'the password is never in the message');
    return true;
  });
  assert.equal(smtp.mails.length, 1);
});

test('a missing password variable is a config error naming it', () => {
  assert.throws(() => createMailer(mailConfig(25), {}), (err) => isBackupError(err, 'CONFIG_INVALID') && /^environment variable TEST_SMTP_PASSWORD \(email\.smtp\.passwordEnv\) is not set/.test(err.message));
  assert.throws(() => createMailer(mailConfig(25, { passwordEnv: undefined }), env), (err) => isBackupError(err, 'CONFIG_INVALID') && /passwordEnv is not/.test(err.message));
  // no login at all is fine
  assert.equal(createMailer(mailConfig(25, { user: undefined, passwordEnv: undefined }), {}).server, '127.0.0.1:25');
});

test('an unreachable server is a connection error line', async () => {
  // a port that was free a moment ago
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const r = await trySendReport(createMailer(mailConfig(port), env), { subject: 's', text: 't', attachments: [] });
  assert.ok(!r.ok && /ECONNREFUSED.*; check email\.smtp\.host, port and secure/.test(r.error), JSON.stringify(r));
});

test('a run log rotated away is named in the text instead of failing the mail', async (t) => {
  const smtp = await startSmtp();
  t.after(smtp.close);
  const gone = join(tmpdir(), 'backup-email-no-such-dir', 'run-2026-01-01T000000Z-9.log');
  const r = await trySendReport(createMailer(mailConfig(smtp.port), env), { subject: 's', text: 'body\n', attachments: [gone] });
  assert.equal(r.ok, true, JSON.stringify(r));
  const mail = parseMail(smtp.mails[0].raw);
  assert.equal(mail.parts.length, 1);
  assert.match(mail.parts[0].body, /Run logs no longer on disk \(rotated away\): run-2026-01-01T000000Z-9\.log/);
});

/** The email config of the end-to-end tests: a report every 2 runs through the test's SMTP server. */
function everyTwoRuns(port: number) {
  return { every: 2, to: 'ops@example.org', from: 'backup@example.org', smtp: { host: '127.0.0.1', port, secure: false, user: 'backup', passwordEnv: 'TEST_SMTP_PASSWORD', allowPlaintextAuth: true } };
}

test('through the binary: after two runs one email with host, set, outcome and NOT OFFSITE in the subject, the totals first, local times with their offset, logs and archive IDs attached and no ID in the body', async (t) => {
  const smtp = await startSmtp();
  t.after(smtp.close);
  const w = localWorld(
    {
      schedule: '30 2 * * *',
      vault: { name: 'v', endpoint: 'local', uploadCatalog: false },
      email: everyTwoRuns(smtp.port),
    },
    { 'a.txt': 'alpha\n', 'docs/b.txt': 'bravo\n' },
  );
  t.after(w.done);
  const env = { ...env0, TZ: 'Europe/Paris' };
  const cli = (...args: string[]) => runCli([...args, '--config', w.config], { env });
  assert.equal((await cli('vault', 'create')).code, 0);
  assert.equal((await cli('run')).code, 0);
  assert.equal(smtp.mails.length, 0, 'every: 2');
  writeFileSync(join(w.data, 'c.txt'), 'charlie\n');
  const second = await cli('run');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(smtp.mails.length, 1, second.stderr);

  const mail = parseMail(smtp.mails[0].raw);
  assert.equal(mail.headers.subject, `backup nightly on ${hostname()}: ok (2 runs: 2 ok) NOT OFFSITE`);
  const body = mail.parts.find((p) => !/attachment/.test(p.headers['content-disposition'] ?? ''))!.body.replace(/\r\n/g, '\n');
  const offset = /\+0[12]:00/.source; // Paris: +01:00 in winter, +02:00 in summer
  assert.match(
    body,
    new RegExp(
      [
        `^Backup set "nightly" on ${hostname()}: ok\\.`,
        '2 runs since the last report: 2 ok\\.',
        'NOT OFFSITE: bundled local vault on this machine\\.',
        '',
        'Totals',
        '  data          20 B in 3 files',
        '  stored        [\\d.]+ (B|KiB) in 2 archives',
        '  current chain [\\d.]+ (B|KiB): full #1 \\+ 1 incremental',
        `  restorable    back to \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d ${offset}`,
        '  next full     in \\d+ runs',
        '  pending       no uploads',
        `  next run      \\d{4}-\\d\\d-\\d\\d 02:30 ${offset}`,
        '  cost          (about \\$[\\d.]+|under \\$0\\.0001) a month \\(storage\\)',
        '',
        'Runs \\(local time\\)',
        `  #1  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d ${offset}  ok  L0  \\+3 ~0 -0  [\\d.]+ (B|KiB)  [\\d.]+ s`,
        `  #2  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d ${offset}  ok  L1  \\+1 ~0 -0  [\\d.]+ (B|KiB)  [\\d.]+ s`,
        '',
        'Attached: 2 run logs; archive IDs in archive-ids.txt\\.',
      ].join('\\n'),
    ),
  );
  const listed = JSON.parse((await cli('list', '--json')).stdout) as { archives: Array<{ archiveId: string }> };
  const attachments = mail.parts.filter((p) => /^attachment/.test(p.headers['content-disposition'] ?? ''));
  const names = attachments.map((a) => /filename="?([^";]+)/.exec(a.headers['content-disposition'])![1]);
  assert.match(names.join(' '), /^run-000001-\d{8}T\d{6}Z\.log run-000002-\d{8}T\d{6}Z\.log archive-ids\.txt$/);
  const ids = attachments[2].body;
  for (const a of listed.archives) {
    assert.ok(ids.includes(a.archiveId), `archive ID ${a.archiveId} attached`);
    assert.ok(!body.includes(a.archiveId), 'and not in the body');
  }
  assert.match(attachments[1].body, /INFO run #2 ok/);
});

test('through the binary with S3: the email names the bucket as not offsite, prices the bucket and attaches the object keys, none in the body', async (t) => {
  const smtp = await startSmtp();
  t.after(smtp.close);
  const w = localWorld(
    {
      s3: { bucket: 'mailed', endpoint: 'local', storageClass: 'DEEP_ARCHIVE', uploadCatalog: false },
      email: everyTwoRuns(smtp.port),
    },
    { 'a.txt': 'alpha\n' },
  );
  t.after(w.done);
  const cli = (...args: string[]) => runCli([...args, '--config', w.config], { env: { ...env0, TZ: 'UTC' } });
  assert.equal((await cli('run')).code, 0);
  writeFileSync(join(w.data, 'b.txt'), 'bravo\n');
  const second = await cli('run');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(smtp.mails.length, 1, second.stderr);

  const mail = parseMail(smtp.mails[0].raw);
  assert.equal(mail.headers.subject, `backup nightly on ${hostname()}: ok (2 runs: 2 ok) NOT OFFSITE`);
  const body = mail.parts.find((p) => !/attachment/.test(p.headers['content-disposition'] ?? ''))!.body.replace(/\r\n/g, '\n');
  assert.match(body, /NOT OFFSITE: bundled local S3 on this machine\./);
  assert.match(body, /current chain [\d.]+ (B|KiB): full #1 \+ 1 incremental/);
  assert.match(body, /cost {10}(about \$[\d.]+|under \$0\.0001) a month \(storage\)/);
  assert.match(body, /#2 {2}\d{4}-\d\d-\d\d \d\d:\d\d \+00:00 {2}ok {2}L1 {2}\+1 ~0 -0/);
  const listed = JSON.parse((await cli('list', '--json')).stdout) as { archives: Array<{ archiveId: string }> };
  assert.equal(listed.archives.length, 2);
  const ids = mail.parts.find((p) => /archive-ids\.txt/.test(p.headers['content-disposition'] ?? ''))!.body;
  for (const a of listed.archives) {
    assert.match(a.archiveId, /^nightly\/\d{6}-L\d-/, 'an S3 key');
    assert.ok(ids.includes(a.archiveId), `object key ${a.archiveId} attached`);
    assert.ok(!body.includes(a.archiveId), 'and not in the body');
  }
});
