import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMode, jsonMoney, jsonMs, jsonTime, jsonTimeFromSeconds, jsonTimeOrNull } from './json-values.js';

test('times are ISO 8601 in UTC whatever form they come in', () => {
  assert.equal(jsonTime('2026-11-29T18:03:00+01:00'), '2026-11-29T17:03:00.000Z');
  assert.equal(jsonTime(new Date(Date.UTC(2026, 10, 29, 17, 3))), '2026-11-29T17:03:00.000Z');
  assert.equal(jsonTimeFromSeconds(1_790_000_000), '2026-09-21T14:13:20.000Z');
  assert.equal(jsonTimeOrNull(undefined), null);
  assert.equal(jsonTimeOrNull(null), null);
  assert.throws(() => jsonTime('yesterday'), RangeError);
});

test('modes are four octal digits, special bits included, file type bits dropped', () => {
  assert.equal(jsonMode(0o644), '0644');
  assert.equal(jsonMode(0o1777), '1777');
  assert.equal(jsonMode(0o100600), '0600');
  assert.equal(jsonMode(0), '0000');
});

test('money is rounded to cents and carries its currency', () => {
  assert.deepEqual(jsonMoney(1.234999), { amount: 1.23, currency: 'USD' });
  assert.deepEqual(jsonMoney(0.005), { amount: 0.01, currency: 'USD' });
  assert.deepEqual(jsonMoney(0.0004), { amount: 0, currency: 'USD' });
  assert.deepEqual(jsonMoney(-0.0004), { amount: 0, currency: 'USD' });
  assert.deepEqual(jsonMoney(12.3456), { amount: 12.35, currency: 'USD' });
  assert.ok(Object.is(jsonMoney(-0.001).amount, 0));
});

test('durations are whole milliseconds', () => {
  assert.equal(jsonMs(1234.6), 1235);
});
