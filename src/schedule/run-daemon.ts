/**
 * `backup daemon`: runs the configured schedule in-process with node-cron, for systems
 * without cron. Runs never overlap (a tick while one is in progress is skipped and
 * logged), a failed run is logged and the daemon carries on, and it stops once its signal
 * aborts and the run in progress (given the same signal) has finished.
 */
import { createTask, type Logger, type ScheduledTask, type TaskContext } from 'node-cron';
import { nodeCronExpressions } from './cron-expression.js';
import { nextRun } from './cron-line.js';

/** What the daemon needs. */
export interface DaemonOptions {
  /** Cron expression: five fields, or six with seconds first. Invalid → CONFIG_INVALID before anything starts. */
  schedule: string;
  /** One run; it gets the daemon's signal and should stop at a resumable point when it aborts. A rejection is logged, never fatal. */
  runOnce: (signal: AbortSignal) => Promise<unknown>;
  /** Aborting it stops the schedule; the daemon resolves when the current run has finished. */
  signal: AbortSignal;
  /** One line per event (skipped tick, failed run, next run time); the caller adds timestamps. */
  log: (line: string) => void;
  /** Where the ticks come from (default: node-cron on the real clock); tests drive their own. */
  ticks?: TickSource;
  /** The clock for "next run at" lines (default: the real one). */
  now?: () => Date;
}

/**
 * Starts firing `onTick(scheduledAt)` for every firing of every expression; resolves once
 * started, with a `stop` that ends the firing. Twin expressions may fire for the same time:
 * the daemon runs once per distinct scheduled time.
 */
export type TickSource = (expressions: readonly string[], onTick: (scheduledAt: Date) => void, log: (line: string) => void) => Promise<{ stop(): Promise<void> }>;

/** Ticks from node-cron, on the real clock. */
export const nodeCronTicks: TickSource = async (expressions, onTick, log) => {
  const logger: Logger = {
    info: () => undefined,
    debug: () => undefined,
    warn: (m) => log(`scheduler: ${m}`),
    error: (m, err) => log(`scheduler: ${m instanceof Error ? m.message : m}${err ? `: ${err.message}` : ''}`),
  };
  const tasks: ScheduledTask[] = expressions.map((e) => createTask(e, (ctx: TaskContext) => onTick(ctx.date), { logger, suppressMissedWarning: false }));
  for (const t of tasks) await t.start();
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
    },
  };
};

/** Runs `runOnce` on `schedule` until `signal` aborts; resolves after the last run has finished. */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const { schedule, runOnce, signal, log } = opts;
  const now = opts.now ?? (() => new Date());
  const expressions = nodeCronExpressions(schedule);
  if (signal.aborted) return;

  let current: Promise<void> | undefined;
  let lastSlot = -1;
  const logNext = () => {
    try {
      log(`next run at ${nextRun(schedule, now()).toISOString()}`);
    } catch {
      // an expression only node-cron understands: it still runs, we just cannot say when
    }
  };
  const onTick = (scheduledAt: Date) => {
    if (signal.aborted) return;
    const slot = scheduledAt.getTime();
    // the twin schedules of an either-day expression both fire on a day matching both fields
    if (slot === lastSlot) return;
    lastSlot = slot;
    if (current) {
      log(`skipped the run scheduled for ${scheduledAt.toISOString()}: the previous run is still in progress`);
      return;
    }
    current = (async () => {
      try {
        await runOnce(signal);
      } catch (err) {
        log(`run failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        current = undefined;
        if (!signal.aborted) logNext();
      }
    })();
  };

  const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  const ticking = await (opts.ticks ?? nodeCronTicks)(expressions, onTick, log);
  try {
    logNext();
    await stopped;
  } finally {
    await ticking.stop();
    while (current) await current;
  }
}
