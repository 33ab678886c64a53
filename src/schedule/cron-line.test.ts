import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronLine, nextRun } from './cron-line.js';
import { nodeCronExpressions, parseCron } from './cron-expression.js';
import { isBackupError } from '../errors.js';

const paths = { nodePath: '/usr/local/bin/node', binPath: '/opt/backup/bin/backup', configPath: '/etc/backup.json' };

/** Local time, as cron uses. */
const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);

test('the crontab line runs backup with absolute paths and appends output to the log file', () => {
  assert.equal(
    cronLine({ schedule: '30 2 * * *', ...paths, logFile: '/var/lib/backup/logs/cron.log' }),
    '30 2 * * * /usr/local/bin/node /opt/backup/bin/backup run --config /etc/backup.json >> /var/lib/backup/logs/cron.log 2>&1',
  );
  assert.equal(cronLine({ schedule: '  0   3 * * mon-fri ', ...paths }), '0 3 * * mon-fri /usr/local/bin/node /opt/backup/bin/backup run --config /etc/backup.json');
});

test('paths with spaces, quotes and percent signs survive /bin/sh and crontab', () => {
  const line = cronLine({ schedule: '@daily', ...paths, configPath: "/home/me/My Backups/it's 100%.json" });
  assert.equal(line, `@daily /usr/local/bin/node /opt/backup/bin/backup run --config '/home/me/My Backups/it'\\''s 100\\%.json'`);
});

test('invalid expressions are CONFIG_INVALID naming the schedule', () => {
  for (const [schedule, why] of [
    ['61 2 * * *', /61 is a invalid expression for minute|minute 61/],
    ['every night', /expected 5 or 6 fields/],
    ['30 2 * *', /expected 5 or 6 fields/],
    ['0 0 L * *', /cron does not support L, W, # or \?/],
    ['0 0 * * 1#2', /cron does not support/],
    ['5-1 * * * *', /runs backwards/],
    ['0 0 30 2 *', /impossible day of month/],
    ['@reboot', /not a valid cron expression/],
  ] as const) {
    assert.throws(
      () => cronLine({ schedule, ...paths }),
      (err) => isBackupError(err, 'CONFIG_INVALID') && err.message.startsWith(`schedule "${schedule}" `) && why.test(err.message),
      schedule,
    );
  }
});

test('a seconds field is refused for cron (the daemon accepts it)', () => {
  assert.throws(() => cronLine({ schedule: '*/5 * * * * *', ...paths }), (err) => isBackupError(err, 'CONFIG_INVALID') && /seconds field.*backup daemon/.test(err.message));
  assert.deepEqual(nextRun('*/5 * * * * *', at(2026, 11, 23, 2, 30, 1)), at(2026, 11, 23, 2, 30, 5));
});

test('nextRun: nightly at 02:30, later the same day or the next day', () => {
  assert.deepEqual(nextRun('30 2 * * *', at(2026, 11, 23, 1, 0)), at(2026, 11, 23, 2, 30));
  assert.deepEqual(nextRun('30 2 * * *', at(2026, 11, 23, 2, 30)), at(2026, 11, 24, 2, 30), 'strictly after from');
  assert.deepEqual(nextRun('30 2 * * *', new Date(at(2026, 11, 23, 2, 29, 59).getTime() + 999)), at(2026, 11, 23, 2, 30));
  assert.deepEqual(nextRun('30 2 * * *', at(2026, 12, 31, 23, 0)), at(2027, 1, 1, 2, 30), 'over the year end');
});

test('nextRun: steps, ranges, lists and names', () => {
  assert.deepEqual(nextRun('*/15 * * * *', at(2026, 11, 23, 10, 16)), at(2026, 11, 23, 10, 30));
  assert.deepEqual(nextRun('0 9-17/4 * * *', at(2026, 11, 23, 13, 0)), at(2026, 11, 23, 17, 0));
  assert.deepEqual(nextRun('0 9-17/4 * * *', at(2026, 11, 23, 17, 0)), at(2026, 11, 24, 9, 0));
  // 2026-11-23 is a Monday
  assert.deepEqual(nextRun('0 3 * * sat,sun', at(2026, 11, 23)), at(2026, 11, 28, 3, 0));
  assert.deepEqual(nextRun('0 3 * * 7', at(2026, 11, 23)), at(2026, 11, 29, 3, 0), '7 is Sunday');
  assert.deepEqual(nextRun('0 0 1 jan,jul *', at(2026, 11, 23)), at(2027, 1, 1));
  assert.deepEqual(nextRun('@weekly', at(2026, 11, 23, 12)), at(2026, 11, 29));
  assert.deepEqual(nextRun('@monthly', at(2026, 11, 23)), at(2026, 12, 1));
});

test('nextRun: day of month and day of week both restricted fire on either (cron rule)', () => {
  // the 1st of the month or any Friday; from Monday 2026-11-23: Friday 27th comes first
  assert.deepEqual(nextRun('0 4 1 * fri', at(2026, 11, 23)), at(2026, 11, 27, 4));
  assert.deepEqual(nextRun('0 4 1 * fri', at(2026, 11, 28)), at(2026, 12, 1, 4));
  // one of them starting with * means both must match: odd days that are Fridays
  assert.deepEqual(nextRun('0 4 */2 * fri', at(2026, 11, 23)), at(2026, 11, 27, 4));
  assert.deepEqual(nextRun('0 4 */2 * fri', at(2026, 11, 28)), at(2026, 12, 11, 4));
});

test('nextRun: February 29 waits for a leap year', () => {
  assert.deepEqual(nextRun('0 0 29 2 *', at(2026, 11, 23)), at(2028, 2, 29));
});

test('nextRun skips a time that daylight saving removes', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'America/New_York';
  try {
    // 2026-03-08 02:30 does not exist in New York (02:00 → 03:00)
    const next = nextRun('30 2 * * *', at(2026, 3, 7, 3, 0));
    assert.equal(next.toISOString(), '2026-03-09T06:30:00.000Z');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test('parseCron expands fields and keeps the day-field flags', () => {
  const f = parseCron('0,30 2 1-3 * 1-5/2');
  assert.deepEqual(f.minutes, [0, 30]);
  assert.deepEqual(f.hours, [2]);
  assert.deepEqual(f.daysOfMonth, [1, 2, 3]);
  assert.deepEqual(f.daysOfWeek, [1, 3, 5]);
  assert.equal(f.months.length, 12);
  assert.equal(f.domStar, false);
  assert.equal(f.dowStar, false);
  assert.deepEqual(parseCron('0 0 * * 0,7').daysOfWeek, [0]);
});

test('node-cron gets one expression, or two when cron would OR the day fields', () => {
  assert.deepEqual(nodeCronExpressions('30 2 * * *'), ['0 30 2 * * *']);
  assert.deepEqual(nodeCronExpressions('*/2 * * * * *'), ['*/2 * * * * *']);
  assert.deepEqual(nodeCronExpressions('@daily'), ['0 0 0 * * *']);
  assert.deepEqual(nodeCronExpressions('0 4 1 * fri'), ['0 0 4 1 * *', '0 0 4 * * fri']);
});
