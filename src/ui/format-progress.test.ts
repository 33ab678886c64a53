import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFinish, describeProgress, formatAmount, formatAmountRate, formatExtra, percentDone } from './format-progress.js';
import { createRateMeter } from './rate-meter.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test("amounts and rates read in the stage's unit: bytes in binary units, files to one decimal below 10", () => {
  assert.equal(formatAmountRate(85.3 * MiB, 'bytes'), '85.3 MiB/s');
  assert.equal(formatAmountRate(3850.4, 'files'), '3850 files/s');
  assert.equal(formatAmountRate(2.25, 'files'), '2.3 files/s');
  assert.equal(formatAmount(1.2 * GiB, 'bytes'), '1.2 GiB');
  assert.equal(formatAmount(1200.4, 'files'), '1200 files');
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
