import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFinish, describeProgress, formatDuration, formatExtra, formatRate, formatSize, percentDone } from './format-progress.js';
import { createRateMeter } from './rate-meter.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('sizes are in binary units with one decimal, bytes exact', () => {
  assert.equal(formatSize(0), '0 B');
  assert.equal(formatSize(1023), '1023 B');
  assert.equal(formatSize(1024), '1.0 KiB');
  assert.equal(formatSize(1.2 * GiB), '1.2 GiB');
  assert.equal(formatSize(85.3 * MiB), '85.3 MiB');
  assert.equal(formatSize(1024 * 1024 - 1), '1.0 MiB', 'no "1024.0 KiB"');
  assert.equal(formatSize(5 * 1024 ** 4), '5.0 TiB');
});

test('rates and durations read naturally at every scale', () => {
  assert.equal(formatRate(85.3 * MiB, 'bytes'), '85.3 MiB/s');
  assert.equal(formatRate(3850.4, 'files'), '3850 files/s');
  assert.equal(formatRate(2.25, 'files'), '2.3 files/s');
  assert.equal(formatDuration(3.24), '3.2 s');
  assert.equal(formatDuration(34), '34 s');
  assert.equal(formatDuration(312), '5 min 12 s');
  assert.equal(formatDuration(2 * 3600 + 5 * 60 + 10), '2 h 05 min');
});

test('extra fields: byte counts in binary units, others as given', () => {
  assert.equal(formatExtra({ sent: GiB, parts: 31 }), 'sent 1.0 GiB, parts 31');
  assert.equal(formatExtra({ uploadBytes: 2048, state: 'resuming' }), 'uploadBytes 2.0 KiB, state resuming');
});

test('a status line has counts, percentage, rate, ETA and extras', () => {
  const line = describeProgress({ label: 'archive', total: 4 * GiB, unit: 'bytes', done: 1.2 * GiB, extra: { sent: GiB, parts: 31 } }, 85.3 * MiB);
  assert.equal(line, 'archive: 1.2 GiB of 4.0 GiB (30%), 85.3 MiB/s, ETA 34 s; sent 1.0 GiB, parts 31');
});

test('an unknown total shows a count without percentage or ETA; an unknown rate shows neither rate nor ETA', () => {
  assert.equal(describeProgress({ label: 'scan', total: 0, unit: 'files', done: 12000, extra: {} }, 3850), 'scan: 12000 files, 3850 files/s');
  assert.equal(describeProgress({ label: 'scan', total: 5000, unit: 'files', done: 1200, extra: {} }, undefined), 'scan: 1200 of 5000 files (24%)');
  assert.equal(percentDone(10, 0), undefined);
  assert.equal(percentDone(150, 100), 100, 'a total exceeded (files grew) caps at 100%');
});

test('the final line has the total, the time taken and the average rate', () => {
  assert.equal(describeFinish({ label: 'archive', total: 4 * GiB, unit: 'bytes', done: 4 * GiB, extra: { sent: 4 * GiB, parts: 122 } }, 48_000), 'archive: 4.0 GiB in 48 s, 85.3 MiB/s average; sent 4.0 GiB, parts 122');
  assert.equal(describeFinish({ label: 'upload', total: 100, unit: 'bytes', done: 50, extra: {} }, 2000), 'upload: 50 B (50% of 100 B) in 2.0 s, 25 B/s average');
  assert.equal(describeFinish({ label: 'scan', total: 0, unit: 'files', done: 0, extra: {} }, 0), 'scan: 0 files in 0.0 s');
});

test('the rate meter measures over its window and stays small under a flood of samples', () => {
  const m = createRateMeter(10_000);
  assert.equal(m.rate(), undefined);
  m.sample(0, 0);
  m.sample(0, 5);
  assert.equal(m.rate(), undefined, 'no time has passed');
  // 100 units/s for 20 s, then 10 units/s for 10 s, sampled every millisecond
  let done = 0;
  for (let t = 1; t <= 30_000; t++) {
    done += t <= 20_000 ? 0.1 : 0.01;
    m.sample(t, done);
  }
  const r = m.rate()!;
  assert.ok(r > 9 && r < 14, `rate over the last 10 s ≈ 10/s, got ${r}`);
});
