/**
 * Saying what happened, through the real binary: the summary line every run ends with, the
 * paths a run added, changed and deleted in its log (bounded), `run --dry-run` listing them
 * (arrays with --json), and the "not offsite" notice for local-only and bundled-vault setups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localWorld } from './helpers/local-world.js';

function lastLog(stateDir: string): string {
  const dir = join(stateDir, 'logs');
  const names = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  return readFileSync(join(dir, names[names.length - 1]), 'utf8');
}

test('every run ends with one summary line: run number, outcome, level, counts, bytes read → stored, duration, next full', async (t) => {
  const w = localWorld({ archive: { fullEvery: 3 } }, { 'a.txt': 'hello\n', 'docs/b.txt': 'b'.repeat(5000) });
  t.after(w.done);
  const first = await w.cli('run');
  assert.equal(first.code, 0, first.stderr);
  const line1 = first.stdout.trim().split('\n').pop()!;
  assert.match(line1, /run #1 ok: level 0 \(full\), 3 added, 0 changed, 0 deleted; [\d.]+ (B|KiB) read → [\d.]+ (B|KiB) stored \(\d+%\); took [\d.]+ s; next full in 4 runs; NOT OFFSITE \(local copies only\)$/);

  writeFileSync(join(w.data, 'a.txt'), 'changed\n');
  rmSync(join(w.data, 'docs', 'b.txt'));
  writeFileSync(join(w.data, 'c.txt'), 'new\n');
  const second = await w.cli('run');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /run #2 ok: level 1 \(incremental\), 1 added, 1 changed, 1 deleted; .* next full in 3 runs/);
  const log = lastLog(w.stateDir);
  assert.match(log, /INFO \+ c\.txt$/m);
  assert.match(log, /INFO ~ a\.txt$/m);
  assert.match(log, /INFO - docs\/b\.txt$/m);
  assert.match(log, /INFO run #2 ok: /);
});

test('the run log lists at most 100 paths of a kind and counts the rest', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 130; i++) files[`many/f${String(i).padStart(3, '0')}`] = `${i}\n`;
  const w = localWorld({}, files);
  t.after(w.done);
  assert.equal((await w.cli('run')).code, 0);
  const log = lastLog(w.stateDir);
  assert.equal(log.split('\n').filter((l) => / INFO \+ many/.test(l)).length, 100);
  assert.match(log, /INFO \+ … and 31 more added$/m, 'the directory and 130 files: 131 added');
});

test('run --dry-run lists the paths that would be archived and writes nothing; --json gives them as arrays', async (t) => {
  const w = localWorld({}, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  t.after(w.done);
  assert.equal((await w.cli('run')).code, 0);
  writeFileSync(join(w.data, 'a.txt'), 'changed\n');
  rmSync(join(w.data, 'b.txt'));
  writeFileSync(join(w.data, 'new.txt'), 'n\n');
  const archivesBefore = readdirSync(join(w.stateDir, 'archives'));

  const dry = await w.cli('run', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^\+ new\.txt$/m);
  assert.match(dry.stdout, /^~ a\.txt$/m);
  assert.match(dry.stdout, /^- b\.txt$/m);
  assert.match(dry.stdout, /dry run: would write level 1: 1 added, 1 changed, 1 deleted; \d+ B to read/);

  const json = await w.cli('run', '--dry-run', '--json');
  assert.equal(json.code, 0, json.stderr);
  const o = JSON.parse(json.stdout) as { dryRun: boolean; added: string[]; changed: string[]; deleted: string[]; counts: { added: number } };
  assert.equal(o.dryRun, true);
  assert.deepEqual([o.added, o.changed, o.deleted], [['new.txt'], ['a.txt'], ['b.txt']]);
  assert.deepEqual(readdirSync(join(w.stateDir, 'archives')), archivesBefore, 'a dry run writes no archive');
});

test('with the bundled local vault, run and status say the copy is not offsite', async (t) => {
  const w = localWorld({ vault: { name: 'v', endpoint: 'local', uploadCatalog: false } });
  t.after(w.done);
  const r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /NOT OFFSITE \(bundled local vault on this machine\)$/m);
  assert.match(r.stdout, /uploaded [\d.]+ (B|KiB) in [\d.]+ s \([\d.]+ (B|KiB|MiB)\/s\)/);
  const s = await w.cli('status');
  assert.match(s.stdout, /NOT OFFSITE/);
  const sj = JSON.parse((await w.cli('status', '--json')).stdout) as { offsite: boolean };
  assert.equal(sj.offsite, false);
});
