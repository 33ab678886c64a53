import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLocalTime } from './local-time.js';

test('local time carries its UTC offset, daylight saving included', () => {
  const winter = new Date('2026-11-29T02:30:00.000Z');
  const summer = new Date('2026-07-01T01:30:59.900Z');
  assert.equal(formatLocalTime(winter, 'Europe/Paris'), '2026-11-29 03:30 +01:00');
  assert.equal(formatLocalTime(summer, 'Europe/Paris'), '2026-07-01 03:30 +02:00');
  assert.equal(formatLocalTime(winter, 'UTC'), '2026-11-29 02:30 +00:00');
  assert.equal(formatLocalTime(winter, 'America/St_Johns'), '2026-11-28 23:00 -03:30');
  assert.equal(formatLocalTime(winter, 'Asia/Kolkata'), '2026-11-29 08:00 +05:30');
});
