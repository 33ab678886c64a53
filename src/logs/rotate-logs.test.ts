import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateCronLog } from './rotate-logs.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-cron-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('cron.log becomes cron.log.1, older generations shift up, and no more than keep remain', (t) => {
  const dir = tempDir(t);
  for (const n of [1, 2, 3, 7]) writeFileSync(join(dir, `cron.log.${n}`), `gen ${n}\n`);
  writeFileSync(join(dir, 'cron.log'), 'newest\n');
  writeFileSync(join(dir, 'cron.log.old'), 'not a generation');
  assert.deepEqual(rotateCronLog(dir, 3), { rotated: true, failed: [] });
  assert.deepEqual(readdirSync(dir).sort(), ['cron.log.1', 'cron.log.2', 'cron.log.3', 'cron.log.old']);
  assert.equal(readFileSync(join(dir, 'cron.log.1'), 'utf8'), 'newest\n');
  assert.equal(readFileSync(join(dir, 'cron.log.2'), 'utf8'), 'gen 1\n');
  assert.equal(readFileSync(join(dir, 'cron.log.3'), 'utf8'), 'gen 2\n');
});

test('an absent or empty cron.log is left alone; keep 1 holds only the newest generation', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(rotateCronLog(dir, 5), { rotated: false, failed: [] });
  writeFileSync(join(dir, 'cron.log'), '');
  writeFileSync(join(dir, 'cron.log.1'), 'old\n');
  assert.deepEqual(rotateCronLog(dir, 5), { rotated: false, failed: [] });
  writeFileSync(join(dir, 'cron.log'), 'new\n');
  assert.deepEqual(rotateCronLog(dir, 1), { rotated: true, failed: [] });
  assert.deepEqual(readdirSync(dir), ['cron.log.1']);
  assert.equal(readFileSync(join(dir, 'cron.log.1'), 'utf8'), 'new\n');
});

test('a writer that holds cron.log open (the run cron started) keeps writing into the rotated file: nothing is lost', (t) => {
  const dir = tempDir(t);
  const fd = openSync(join(dir, 'cron.log'), 'a');
  writeSync(fd, 'before\n');
  rotateCronLog(dir, 3);
  writeSync(fd, 'after\n');
  closeSync(fd);
  assert.equal(readFileSync(join(dir, 'cron.log.1'), 'utf8'), 'before\nafter\n');
});
