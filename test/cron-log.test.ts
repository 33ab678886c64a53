/**
 * The crontab line of `backup schedule print`, run through /bin/sh as cron runs it: cron.log
 * no longer grows forever. Each run moves it to cron.log.1 (older generations shift up, at
 * most logs.keep remain) and its own output follows there, so every generation is one run,
 * preceded by whatever came before it; an invocation that fails before its run log begins
 * (a missing data directory) still lands in cron.log, readable, and is kept with the next run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { localWorld } from './helpers/local-world.js';

test('cron.log is rotated with the other logs: one run per generation, logs.keep generations, early failures kept', async (t) => {
  const w = localWorld({ logs: { keep: 2 } });
  t.after(w.done);
  const printed = await w.cli('schedule', 'print');
  assert.equal(printed.code, 0, printed.stderr);
  const line = printed.stdout.trim();
  const logs = join(w.stateDir, 'logs');
  assert.ok(line.endsWith(`>> ${join(logs, 'cron.log')} 2>&1`), line);
  // what cron does with the line: the command after the five time fields, \% unescaped, through sh
  const command = line.split(' ').slice(5).join(' ').replace(/\\%/g, '%');
  const cron = () =>
    new Promise<number | null>((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin', HOME: w.root } });
      child.on('close', resolve);
    });
  const read = (name: string) => readFileSync(join(logs, name), 'utf8');

  assert.equal(await cron(), 0);
  assert.match(read('cron.log.1'), /run #1 ok/);
  renameSync(w.data, `${w.data}.away`);
  assert.equal(await cron(), 2, 'the data directory is missing: the run stops before its log begins');
  assert.match(read('cron.log'), /^backup: .*data/m);
  renameSync(`${w.data}.away`, w.data);
  assert.equal(await cron(), 0);
  assert.equal(await cron(), 0);

  assert.deepEqual(readdirSync(logs).filter((n) => n.startsWith('cron.')).sort(), ['cron.log.1', 'cron.log.2'], 'logs.keep generations, the oldest (run #1) deleted');
  assert.equal(existsSync(join(logs, 'cron.log')), false);
  const newest = read('cron.log.1');
  const before = read('cron.log.2');
  assert.match(newest, /run #3 ok/);
  assert.doesNotMatch(newest, /run #2|backup: /);
  assert.match(before, /^backup: .*data[\s\S]*run #2 ok/m, 'the early failure is kept, followed by the next run');
});
