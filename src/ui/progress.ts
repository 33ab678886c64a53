/**
 * Progress of a run's stages (scan, archive, upload): a bar on a terminal, a status line
 * now and then when nobody watches (cron mails and log files), nothing with --quiet. The bar
 * library is loaded when a bar is first drawn: a run from cron never loads it.
 */
import type CliProgress from 'cli-progress';
import { createRequire } from 'node:module';
import { clearLine, cursorTo } from 'node:readline';
import { setActiveBar } from './console-line.js';
import { describeFinish, describeProgress, percentDone, progressParts, type ProgressState, type ProgressUnit } from './format-progress.js';
import { formatBytes } from './format-units.js';
import { createRateMeter, type RateMeter } from './rate-meter.js';

/** How progress is shown. */
export interface ProgressOptions {
  /** Draw a bar on `stream` (a terminal). */
  isTTY: boolean;
  /** Show nothing at all. */
  quiet: boolean;
  /** Where status lines go when not a TTY; default a timestamped line on stdout. */
  line?: (l: string) => void;
  /** Least time between two periodic status lines when not a TTY; default 30 s. */
  intervalMs?: number;
  /** The bar's stream; default process.stderr. A stream that is not a TTY gets no bar. */
  stream?: NodeJS.WritableStream;
  /** The clock for rates, ETAs and line spacing; default Date.now. */
  now?: () => number;
}

/**
 * One stage at a time. `start` begins a stage (ending the one running, if any); `update`
 * reports the count done so far, never moving it backwards, and merges `extra` fields
 * (byte-count fields such as `sent` show in KiB/MiB/GiB); `stop` ends the stage: clears the
 * bar, or writes a final line with totals and the average rate if the stage made progress.
 * `update` and `stop` without a running stage do nothing. Never throws.
 */
export interface Progress {
  start(label: string, total: number, unit: ProgressUnit): void;
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/** The TTY bar's rate window: short enough to follow a change of pace, long enough not to flicker. */
const BAR_RATE_WINDOW_MS = 5_000;

interface Stage {
  state: ProgressState;
  startedAt: number;
  updated: boolean;
  meter: RateMeter;
  lastLineAt: number;
  lastQuarter: number;
  bar?: { multi: CliProgress.MultiBar; bar: CliProgress.SingleBar };
}

/** Creates the progress display for a run. */
export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return { start() {}, update() {}, stop() {} };
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 30_000;
  const line = opts.line ?? ((l: string) => process.stdout.write(`${new Date().toISOString()} ${l}\n`));
  const stream = opts.stream ?? process.stderr;
  let stage: Stage | undefined;

  function stop(): void {
    const s = stage;
    if (!s) return;
    stage = undefined;
    if (opts.isTTY) {
      if (s.bar) {
        setActiveBar(undefined);
        s.bar.multi.stop();
      }
      return;
    }
    if (s.updated) line(describeFinish(s.state, now() - s.startedAt));
  }

  return {
    start(label, total, unit) {
      stop();
      const t = now();
      const s: Stage = {
        state: { label, total: total > 0 ? total : 0, unit, done: 0, extra: {} },
        startedAt: t,
        updated: false,
        meter: createRateMeter(opts.isTTY ? BAR_RATE_WINDOW_MS : intervalMs),
        lastLineAt: t,
        lastQuarter: 0,
      };
      s.meter.sample(t, 0);
      if (opts.isTTY) s.bar = startBar(s, stream, now);
      stage = s;
    },
    update(done, extra) {
      const s = stage;
      if (!s) return;
      const t = now();
      if (Number.isFinite(done) && done > s.state.done) s.state.done = done;
      if (extra) s.state.extra = { ...s.state.extra, ...extra };
      s.updated = true;
      s.meter.sample(t, s.state.done);
      if (opts.isTTY) {
        s.bar?.bar.update(s.state.done);
        return;
      }
      // a line at each quarter (25, 50, 75%; the end has its own line) and at least intervalMs apart otherwise
      const pct = percentDone(s.state.done, s.state.total);
      const quarter = pct === undefined ? 0 : Math.floor(pct / 25);
      const newQuarter = quarter > s.lastQuarter;
      if (newQuarter) s.lastQuarter = quarter;
      if ((newQuarter && quarter < 4) || t - s.lastLineAt >= intervalMs) {
        s.lastLineAt = t;
        line(describeProgress(s.state, s.meter.rate()));
      }
    },
    stop,
  };
}

/** Draws the stage's bar with cli-progress; undefined when the stream is not a terminal. */
function startBar(s: Stage, stream: NodeJS.WritableStream, now: () => number): Stage['bar'] {
  if (!(stream as { isTTY?: boolean }).isTTY) return undefined;
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: (options, params) => {
        s.meter.sample(now(), s.state.done); // so the rate falls while nothing arrives
        return barLine(s, cliProgress.Format.BarFormat(params.progress, options), params.maxWidth - 1);
      },
      barsize: 20,
      fps: 5,
      clearOnComplete: true,
      // leave the cursor and line wrapping alone: a process that dies mid-bar must not leave the terminal changed
      hideCursor: false,
      linewrap: true,
      // redraw every frame, so a log line printed across the bar (see console-line.ts) is followed by the bar again
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(s.state.total, 0);
  setActiveBar({
    clear: () => {
      cursorTo(stream, 0);
      clearLine(stream, 0);
    },
    redraw: () => multi.update(),
  });
  return { multi, bar };
}

/**
 * The bar's text, fitted to `width`: `archive ▓▓▓░░░ 30% 1.2/4.0 GiB  85.3 MiB/s  ETA 34 s  sent 1.0 GiB, parts 31`.
 * On a narrow terminal the extras go first, then the rate.
 */
function barLine(s: Stage, bar: string, width: number): string {
  const p = progressParts(s.state, s.meter.rate());
  const pct = percentDone(s.state.done, s.state.total);
  const head = pct === undefined ? `${s.state.label} ${p.counts}` : `${s.state.label} ${bar} ${String(pct).padStart(3)}% ${formatBytes(s.state.done)}/${formatBytes(s.state.total)}`;
  const fits = [
    [head, p.rate, p.eta, p.extra],
    [head, p.rate, p.eta],
    [head, p.eta],
    [head],
  ]
    .map((parts) => parts.filter(Boolean).join('  '))
    .find((text) => text.length <= width);
  return fits ?? head.slice(0, Math.max(0, width));
}
