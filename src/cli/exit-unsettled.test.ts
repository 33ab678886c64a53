import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const run = (command: string) =>
  spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { exitUnsettled } from ${JSON.stringify(new URL('./exit-unsettled.ts', import.meta.url).href)};
       // not awaited at the top level, as bin/backup calls main: an unsettled top-level await has its own exit code (13)
       exitUnsettled(${command}, () => { process.stderr.write('backup: stopped before it finished\\n'); return 1; }).catch(() => { process.exitCode = 2; });`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );

test('a command still waiting when nothing is left to wait for exits 1 with its message, not 0 (a restore exited 0 half-way)', () => {
  const r = run('new Promise(() => {})');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'backup: stopped before it finished\n');
});

test('a command that settles exits as it would without the guard, whether it succeeds or fails', () => {
  const ok = run('new Promise((r) => setTimeout(r, 10))');
  assert.equal(ok.status, 0);
  assert.equal(ok.stderr, '');
  const failed = run('Promise.reject(new Error("x"))');
  assert.equal(failed.status, 2);
  assert.equal(failed.stderr, '');
});
