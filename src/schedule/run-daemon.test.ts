import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runDaemon } from './run-daemon.js';
import { isBackupError } from '../errors.js';

const everySecond = '* * * * * *';

/** Polls until `cond` holds (or fails after `ms`). */
async function until(cond: () => boolean, ms = 8000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(20);
  }
}

// these wait for real per-second ticks, so they run side by side
describe('on a per-second schedule', { concurrency: true }, () => {
  test('a failed run is logged and the daemon carries on with the next tick', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    let calls = 0;
    const daemon = runDaemon({
      schedule: everySecond,
      signal: ac.signal,
      log: (l) => lines.push(l),
      runOnce: async () => {
        calls++;
        if (calls === 1) throw new Error('boom: vault unreachable');
      },
    });
    await until(() => calls >= 3);
    ac.abort();
    await daemon;
    assert.ok(lines.includes('run failed: boom: vault unreachable'), lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('run failed')).length, 1);
    assert.ok(lines.some((l) => /^next run at \d{4}-\d\d-\d\dT/.test(l)), lines.join('\n'));
  });

  test('a run longer than the interval is never overlapped: ticks meanwhile are skipped and logged', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const daemon = runDaemon({
      schedule: everySecond,
      signal: ac.signal,
      log: (l) => lines.push(l),
      runOnce: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        // outlasts at least one tick
        await sleep(2200);
        active--;
        runs++;
      },
    });
    await until(() => runs >= 1 && lines.some((l) => l.startsWith('skipped')));
    ac.abort();
    await daemon;
    assert.equal(maxActive, 1);
    assert.match(lines.find((l) => l.startsWith('skipped'))!, /^skipped the run scheduled for \d{4}-.*Z: the previous run is still in progress$/);
  });

  test('stopping waits for the run in progress, which sees the same signal', async () => {
    const ac = new AbortController();
    let started = false;
    let finished = false;
    let sawAbort = false;
    const daemon = runDaemon({
      schedule: everySecond,
      signal: ac.signal,
      log: () => undefined,
      runOnce: async (signal) => {
        started = true;
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        sawAbort = signal.aborted;
        // cleanup at a resumable point takes a while
        await sleep(300);
        finished = true;
      },
    });
    await until(() => started);
    ac.abort();
    await daemon;
    assert.equal(sawAbort, true);
    assert.equal(finished, true, 'resolved only after the run finished');
  });

  test('cron\'s either-day rule: a day matching only the day-of-month field runs (node-cron, real clock)', async () => {
    const now = new Date();
    const lines: string[] = [];
    const slots: number[] = [];
    const ac = new AbortController();
    // today's day of month, and a weekday that is not today: node-cron alone would never fire this
    const daemon = runDaemon({
      schedule: `* * * ${now.getDate()} * ${(now.getDay() + 1) % 7}`,
      signal: ac.signal,
      log: (l) => lines.push(l),
      runOnce: async () => void slots.push(Math.floor(Date.now() / 1000)),
    });
    await until(() => slots.length >= 2);
    ac.abort();
    await daemon;
    assert.ok(!lines.some((l) => l.startsWith('skipped')), lines.join('\n'));
  });
});

test('a day matching both day fields runs once per scheduled time, not once per twin expression', async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  const runs: Date[] = [];
  let expressions: readonly string[] = [];
  let fire: (at: Date) => void = () => undefined;
  let stopped = false;
  // Sunday 2026-11-29 matches both day fields of "on the 29th, or on Sundays"
  const clock = { now: new Date('2026-11-29T02:00:00Z') };
  const daemon = runDaemon({
    schedule: '30 2 29 * 0',
    signal: ac.signal,
    log: (l) => lines.push(l),
    now: () => clock.now,
    runOnce: async () => void runs.push(clock.now),
    ticks: async (exprs, onTick) => {
      expressions = exprs;
      fire = onTick;
      return { stop: async () => void (stopped = true) };
    },
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(expressions.length, 2, 'either-day: one expression per day field');
  const slots = ['2026-11-29T02:30:00.000Z', '2026-12-06T02:30:00.000Z'].map((t) => new Date(t));
  for (const at of slots) {
    clock.now = at;
    // both twins fire for the same scheduled time
    fire(at);
    fire(at);
    await new Promise((r) => setImmediate(r));
  }
  ac.abort();
  await daemon;
  assert.deepEqual(runs.map((d) => d.toISOString()), slots.map((d) => d.toISOString()), 'exactly one run per scheduled time');
  assert.ok(!lines.some((l) => l.startsWith('skipped')), lines.join('\n'));
  assert.equal(lines.filter((l) => l.startsWith('next run at')).length, 3, 'at start and after each run');
  assert.equal(stopped, true, 'the tick source is stopped');
});

test('an invalid schedule is refused before anything runs', async () => {
  let calls = 0;
  await assert.rejects(
    runDaemon({ schedule: '99 * * * *', signal: new AbortController().signal, log: () => undefined, runOnce: async () => calls++ }),
    (err) => isBackupError(err, 'CONFIG_INVALID'),
  );
  assert.equal(calls, 0);
});

test('an already aborted signal returns at once', async () => {
  const ac = new AbortController();
  ac.abort();
  let calls = 0;
  await runDaemon({ schedule: everySecond, signal: ac.signal, log: () => undefined, runOnce: async () => calls++ });
  assert.equal(calls, 0);
});
