import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, type ReportTotals } from './render-report.js';
import type { RunSummary } from './run-summary.js';

const base: RunSummary = { id: 1, startedAt: '2026-11-23T02:30:00.000Z', status: 'ok', filesAdded: 0, filesChanged: 0, filesDeleted: 0, warnings: [], errors: [] };
const totals: ReportTotals = {
  data: { files: 3456, bytes: 12.5 * 1024 ** 3 },
  stored: { archives: 12, bytes: 8 * 1024 ** 3 },
  chain: { fullSeq: 9, incrementals: 3, bytes: 1.5 * 1024 ** 3, broken: false },
  oldestRestorable: new Date('2026-08-01T00:30:00.000Z'),
  nextFullInRuns: 4,
  pendingUploads: 0,
  nextRun: new Date('2026-11-30T01:30:00.000Z'),
  monthlyCost: 0.0288,
};
const tz = 'Europe/Paris';

test('the subject carries host, set, the worst outcome, the counts, and NOT OFFSITE for the bundled server', () => {
  const runs: RunSummary[] = [
    { ...base, id: 1 },
    { ...base, id: 2, status: 'warnings', warnings: ['w'] },
    { ...base, id: 3, status: 'failed', errors: ['e'] },
    { ...base, id: 4 },
  ];
  assert.equal(renderReport({ host: 'web1', set: 'home', runs, totals }).subject, 'backup home on web1: FAILED (4 runs: 2 ok, 1 with warnings, 1 failed)');
  assert.equal(renderReport({ host: 'web1', set: 'home', runs: [base], totals }).subject, 'backup home on web1: ok (1 run: 1 ok)');
  assert.equal(
    renderReport({ host: 'web1', set: 'home', runs: runs.slice(0, 2), totals: { ...totals, notOffsite: 'bundled local vault on this machine' } }).subject,
    'backup home on web1: completed with warnings (2 runs: 1 ok, 1 with warnings) NOT OFFSITE',
  );
});

test('the body opens with the totals, then one line per run in local time with its offset; archive IDs only in the attachment', () => {
  const r = renderReport({
    host: 'web1',
    set: 'home',
    timeZone: tz,
    totals,
    runs: [
      { ...base, id: 7, endedAt: '2026-11-23T03:01:00.000Z', status: 'warnings', level: 3, filesAdded: 10, filesChanged: 4, filesDeleted: 2, archiveBytes: 5 * 1024 ** 3, archiveId: 'AID-123', warnings: ['cannot read /d/x: permission denied', 'w2', 'w3', 'w4', 'w5'], logPath: '/s/logs/run-000007-20261123T023000Z.log' },
      { ...base, id: 8, startedAt: '2026-11-24T02:30:00.000Z', status: 'failed', errors: ['interrupted before it finished'] },
    ],
  });
  assert.equal(
    r.text,
    [
      'Backup set "home" on web1: FAILED.',
      '2 runs since the last report: 1 with warnings, 1 failed.',
      '',
      'Totals',
      '  data          12.5 GiB in 3456 files',
      '  stored        8.0 GiB in 12 archives',
      '  current chain 1.5 GiB: full #9 + 3 incrementals',
      '  restorable    back to 2026-08-01 02:30 +02:00',
      '  next full     in 4 runs',
      '  pending       no uploads',
      '  next run      2026-11-30 02:30 +01:00',
      '  cost          about $0.0288 a month (storage)',
      '',
      'Runs (local time)',
      '  #7  2026-11-23 03:30 +01:00  warnings  L3  +10 ~4 -2  5.0 GiB  31 min 0 s',
      '      warning: cannot read /d/x: permission denied',
      '      warning: w2',
      '      warning: w3',
      '      … and 2 more (see the attached log)',
      '  #8  2026-11-24 03:30 +01:00  FAILED  +0 ~0 -0',
      '      error: interrupted before it finished',
      '',
      'Attached: 1 run log; archive IDs in archive-ids.txt.',
      '',
    ].join('\n'),
  );
  assert.deepEqual(r.archiveIds, { filename: 'archive-ids.txt', content: 'run #7 2026-11-23T02:30:00.000Z level 3: AID-123\n' });
  for (const line of r.text.split('\n')) assert.ok(line.length <= 78, `too wide for a phone: ${line}`);
});

test('a first report: no chain yet, nothing restorable, a pending upload, the next run is a full', () => {
  const r = renderReport({ host: 'h', set: 's', timeZone: 'UTC', runs: [{ ...base, status: 'failed', errors: ['x'] }], totals: { data: { files: 0, bytes: 0 }, stored: { archives: 0, bytes: 0 }, pendingUploads: 1, nextFullInRuns: 1 } });
  assert.match(r.text, /current chain none yet\n {2}restorable {4}nothing yet\n {2}next full {5}the next run\n {2}pending {7}1 upload \(run "backup upload"\)\n {2}next run {6}not scheduled\n\n/);
  assert.equal(r.archiveIds, undefined);
  assert.match(r.text, /Nothing attached: no run log was written\.\n$/);
});
