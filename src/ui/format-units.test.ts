import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatRate } from './format-units.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('sizes are in binary units with one decimal, bytes exact', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(1.2 * GiB), '1.2 GiB');
  assert.equal(formatBytes(85.3 * MiB), '85.3 MiB');
  assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB', 'no "1024.0 KiB"');
  assert.equal(formatBytes(5 * 1024 ** 4), '5.0 TiB');
});

test('durations read naturally at every scale', () => {
  assert.equal(formatDuration(3.24), '3.2 s');
  assert.equal(formatDuration(34), '34 s');
  assert.equal(formatDuration(312), '5 min 12 s');
  assert.equal(formatDuration(31 * 60), '31 min 0 s');
  assert.equal(formatDuration(2 * 3600 + 5 * 60 + 10), '2 h 05 min');
  assert.equal(formatDuration(-1), '0.0 s', 'a clock step back is no time');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('byte rates are per second in binary units; an unknown rate is "?"', () => {
  assert.equal(formatRate(85.3 * MiB), '85.3 MiB/s');
  assert.equal(formatRate(512), '512 B/s');
  assert.equal(formatRate(1000 / 0), '?', 'bytes in no time');
  assert.equal(formatRate(0 / 0), '?');
});
