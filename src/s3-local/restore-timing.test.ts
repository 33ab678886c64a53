import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isColdClass, REALISTIC_RESTORE_DELAYS_MS, restoreDelayMs, restoreExpiry, tiersOf } from './restore-timing.js';

test('a restored copy expires Days after it is ready, rounded up to midnight UTC', () => {
  const ready = Date.UTC(2026, 10, 29, 13, 45);
  assert.equal(restoreExpiry(ready, 1), Date.UTC(2026, 11, 1));
  assert.equal(restoreExpiry(Date.UTC(2026, 10, 29), 2), Date.UTC(2026, 11, 1), 'exactly midnight stays');
});

test('delays per class and tier; DEEP_ARCHIVE has no Expedited; only GLACIER and DEEP_ARCHIVE are cold', () => {
  assert.equal(restoreDelayMs('DEEP_ARCHIVE', 'Bulk', REALISTIC_RESTORE_DELAYS_MS), 48 * 3_600_000);
  assert.equal(restoreDelayMs('GLACIER', 'Expedited', {}), 0);
  assert.throws(() => restoreDelayMs('GLACIER', 'Bulk', { GLACIER: { Bulk: -1 } }), RangeError);
  assert.deepEqual(tiersOf('DEEP_ARCHIVE'), ['Standard', 'Bulk']);
  assert.deepEqual(['GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'STANDARD'].map(isColdClass), [true, true, false, false]);
});
