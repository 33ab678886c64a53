import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from './render-report.js';
import type { RunSummary } from './run-summary.js';

const base: RunSummary = { id: 1, startedAt: '2026-11-23T02:30:00.000Z', status: 'ok', filesAdded: 0, filesChanged: 0, filesDeleted: 0, warnings: [], errors: [] };

test('the subject carries host, set, the worst outcome and the counts', () => {
  const runs: RunSummary[] = [
    { ...base, id: 1 },
    { ...base, id: 2, status: 'warnings', warnings: ['w'] },
    { ...base, id: 3, status: 'failed', errors: ['e'] },
    { ...base, id: 4 },
  ];
  assert.equal(renderReport({ host: 'web1', set: 'home', runs }).subject, 'backup home on web1: FAILED (4 runs: 2 ok, 1 with warnings, 1 failed)');
  assert.equal(renderReport({ host: 'web1', set: 'home', runs: [base] }).subject, 'backup home on web1: ok (1 run: 1 ok)');
  assert.equal(renderReport({ host: 'web1', set: 'home', runs: runs.slice(0, 2) }).subject, 'backup home on web1: completed with warnings (2 runs: 1 ok, 1 with warnings)');
});

test('each run shows start, end, level, files, archive size, upload time and rate, archive ID, warnings and errors', () => {
  const { text } = renderReport({
    host: 'web1',
    set: 'home',
    runs: [
      {
        ...base,
        id: 7,
        endedAt: '2026-11-23T03:01:00.000Z',
        status: 'warnings',
        level: 3,
        filesAdded: 10,
        filesChanged: 4,
        filesDeleted: 2,
        archiveBytes: 5 * 1024 ** 3,
        uploadBytes: 5 * 1024 ** 3,
        uploadMs: 640_000,
        archiveId: 'AID-123',
        warnings: ['cannot read /d/x: permission denied', 'skipped socket /d/s'],
        errors: [],
        logPath: '/state/logs/run-20261123T023000Z-7.log',
      },
      { ...base, id: 8, status: 'failed', errors: ['interrupted before it finished'] },
    ],
  });
  const expected = [
    'Run #7: completed with warnings',
    '  started     2026-11-23T02:30:00.000Z',
    '  ended       2026-11-23T03:01:00.000Z (took 31 min 0 s)',
    '  level       3 (incremental)',
    '  files       10 added, 4 changed, 2 deleted',
    '  archive     5.0 GiB',
    '  upload      5.0 GiB in 10 min 40 s (8.0 MiB/s)',
    '  archive ID  AID-123',
    '  log         run-20261123T023000Z-7.log (attached)',
    '  2 warnings:',
    '    - cannot read /d/x: permission denied',
    '    - skipped socket /d/s',
    '',
    'Run #8: FAILED',
    '  started     2026-11-23T02:30:00.000Z',
    '  files       0 added, 0 changed, 0 deleted',
    '  1 error:',
    '    - interrupted before it finished',
  ].join('\n');
  assert.ok(text.includes(expected), text);
  assert.match(text, /^Backup set "home" on web1: 2 runs since the last report\.\nOutcome: FAILED \(1 with warnings, 1 failed\)\.\nUploaded in all: 5\.0 GiB\./);
  assert.match(text, /The full run logs are attached \(1\)\.\n$/);
});

test('a level 0 run says full', () => {
  assert.match(renderReport({ host: 'h', set: 's', runs: [{ ...base, level: 0 }] }).text, /level +0 \(full\)/);
});
