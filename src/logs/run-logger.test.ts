import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunLogger, redact, type RunLoggerOptions } from './run-logger.js';
import { logFileName } from './log-file-name.js';
import { logsToDelete } from './rotate-logs.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-run-logger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function collector() {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), get text() { return chunks.join(''); } };
}

/** A clock that starts at 2026-11-23T02:30:00.123Z and moves one second per call. */
function clock() {
  let t = Date.parse('2026-11-23T02:30:00.123Z');
  return () => new Date((t += 1000) - 1000);
}

function open(dir: string, extra: Partial<RunLoggerOptions> = {}) {
  const stdout = collector();
  const stderr = collector();
  const log = createRunLogger({ logDir: join(dir, 'logs'), runId: 42, console: { isTTY: false, quiet: false }, keep: 10, stdout, stderr, now: clock(), ...extra });
  return { log, stdout, stderr };
}

test('the log file is named after the run and its UTC start, and holds every line with an ISO timestamp and level', async (t) => {
  const dir = tempDir(t);
  const { log } = open(dir);
  assert.equal(log.path, join(dir, 'logs', 'run-000042-20261123T023000Z.log'));
  log.info('starting');
  log.warn('a.txt: unreadable');
  log.error('upload failed');
  await log.flush();
  assert.equal(
    readFileSync(log.path ?? '', 'utf8'),
    '2026-11-23T02:30:01.123Z INFO starting\n2026-11-23T02:30:02.123Z WARN a.txt: unreadable\n2026-11-23T02:30:03.123Z ERROR upload failed\n',
  );
  assert.deepEqual(log.warnings, ['a.txt: unreadable']);
  assert.deepEqual(log.errors, ['upload failed']);
  await log.close();
});

test('not on a terminal: plain timestamped lines, info on stdout, warnings and errors on stderr, no escape codes', async (t) => {
  const dir = tempDir(t);
  const { log, stdout, stderr } = open(dir);
  log.info('level 0 (full)');
  log.warn('a-fifo: special file skipped');
  log.error('vault unreachable');
  await log.close();
  assert.equal(stdout.text, '2026-11-23T02:30:01.123Z level 0 (full)\n');
  assert.equal(stderr.text, '2026-11-23T02:30:02.123Z warning: a-fifo: special file skipped\n2026-11-23T02:30:03.123Z error: vault unreachable\n');
  assert.ok(!(stdout.text + stderr.text).includes('\x1b'), 'no escape codes');
});

test('on a terminal: info without timestamps, warnings and errors prefixed', async (t) => {
  const dir = tempDir(t);
  const { log, stdout, stderr } = open(dir, { console: { isTTY: true, quiet: false } });
  log.info('scanned 3 entries');
  log.warn('w');
  log.error('e');
  await log.close();
  assert.equal(stdout.text, 'scanned 3 entries\n');
  assert.equal(stderr.text, 'warning: w\nerror: e\n');
});

test('quiet prints only warnings and errors; the file still gets everything', async (t) => {
  const dir = tempDir(t);
  for (const isTTY of [true, false]) {
    const { log, stdout, stderr } = open(join(dir, String(isTTY)), { console: { isTTY, quiet: true } });
    log.info('hidden');
    log.warn('shown');
    await log.flush();
    assert.equal(stdout.text, '');
    assert.match(stderr.text, /warning: shown\n$/);
    assert.match(readFileSync(log.path!, 'utf8'), /INFO hidden\n.*WARN shown\n/);
    await log.close();
  }
});

test('secrets are redacted in the file, on the console and in the warning list', async (t) => {
  const dir = tempDir(t);
  const { log, stderr } = open(dir);
  log.warn('email not sent: smtp://backup:hunter2@mail.example.com refused; password=hunter2');
  await log.close();
  const masked = 'email not sent: smtp://backup:****@mail.example.com refused; password=****';
  assert.equal(redact('password=hunter2'), 'password=****');
  assert.deepEqual(log.warnings, [masked]);
  assert.doesNotMatch(readFileSync(log.path!, 'utf8') + stderr.text, /hunter2/);
});

test('a multi-line message becomes several prefixed lines; control characters are shown escaped', async (t) => {
  const dir = tempDir(t);
  const { log, stderr } = open(dir);
  log.error('internal error: Error: boom\n    at f (x.ts:1:1)\n');
  log.warn('bad\x1b[31mname: unreadable');
  await log.close();
  const file = readFileSync(log.path!, 'utf8').split('\n');
  assert.equal(file[0], '2026-11-23T02:30:01.123Z ERROR internal error: Error: boom');
  assert.equal(file[1], '2026-11-23T02:30:01.123Z ERROR     at f (x.ts:1:1)');
  assert.equal(file[2], '2026-11-23T02:30:02.123Z WARN bad\\x1b[31mname: unreadable');
  for (const l of stderr.text.trimEnd().split('\n')) assert.match(l, /^2026-11-23T\S+Z (error|warning): /);
  assert.ok(!stderr.text.includes('\x1b'), 'the escape reaches no console');
});

test('flush puts every line on disk before the run ends; after close, lines are still appended and printed', async (t) => {
  const dir = tempDir(t);
  const { log, stdout } = open(dir);
  log.info('one');
  await log.flush();
  assert.match(readFileSync(log.path!, 'utf8'), /INFO one\n$/);
  await log.close();
  await log.close();
  log.info('after close');
  assert.match(readFileSync(log.path!, 'utf8'), /INFO one\n.*INFO after close\n$/);
  assert.match(stdout.text, /after close\n$/);
  await log.flush();
});

test('a dry run writes no file and rotates nothing', async (t) => {
  const dir = tempDir(t);
  const { log, stdout } = open(dir, { writeFile: false, runId: 0, keep: 1 });
  log.info('would archive');
  assert.equal(log.path, undefined);
  await log.flush();
  await log.close();
  assert.deepEqual(readdirSync(dir), []);
  assert.match(stdout.text, /would archive/);
});

test('after creating its file, the logger deletes the oldest run logs beyond keep and nothing else', async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, 'logs');
  const old = [1, 2, 3, 4].map((id) => logFileName(id, new Date(Date.UTC(2026, 10, id))));
  const { log: first } = open(dir, { runId: 1 }); // creates the directory
  await first.close();
  rmSync(first.path!);
  for (const name of old) writeFileSync(join(logs, name), 'x\n');
  writeFileSync(join(logs, 'notes.txt'), 'keep me');
  writeFileSync(join(logs, 'run-manual.log'), 'not ours');
  const { log } = open(dir, { runId: 5, keep: 3 });
  await log.close();
  assert.deepEqual(readdirSync(logs).sort(), [old[2], old[3], 'notes.txt', 'run-000005-20261123T023000Z.log', 'run-manual.log'].sort());
});

test('rotation orders by start time, then run ID, and never picks the current file', () => {
  const a = logFileName(900, new Date('2026-01-01T00:00:00Z')); // an old catalog's high run ID
  const b = logFileName(2, new Date('2026-02-01T00:00:00Z'));
  const c = logFileName(3, new Date('2026-02-01T00:00:00Z'));
  const current = logFileName(1, new Date('2025-12-01T00:00:00Z')); // clock set back
  assert.deepEqual(logsToDelete([c, current, b, a, 'other.log'], 2, current), [a, b]);
  assert.deepEqual(logsToDelete([a, b], 5), []);
  assert.deepEqual(logsToDelete([a, b, c], 1), [a, b]);
});

test('a log directory that cannot be created is a warning, not a failure; the console still gets every line', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'logs'), 'a file where the directory should be');
  const { log, stdout, stderr } = open(dir);
  log.info('still running');
  assert.equal(log.path, undefined);
  assert.equal(log.warnings.length, 1);
  assert.match(stderr.text, /warning: run log not written: cannot create .*run-000042-20261123T023000Z\.log/);
  assert.match(stdout.text, /still running/);
  await log.flush();
  await log.close();
});

test('a log file that becomes unwritable is reported once; the run goes on with the console', async (t) => {
  const dir = tempDir(t);
  const { log, stdout, stderr } = open(dir);
  await log.close();
  rmSync(log.path!);
  mkdirSync(log.path!); // EISDIR, even for root
  log.info('line one');
  log.info('line two');
  assert.equal((stderr.text.match(/cannot write/g) ?? []).length, 1);
  assert.match(stdout.text, /line one\n.*line two\n$/);
});
