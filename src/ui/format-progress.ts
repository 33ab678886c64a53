/** Progress text for people: a stage's amounts, rates, ETA and status lines (units from format-units). Pure. */
import { formatBytes, formatDuration, formatRate } from './format-units.js';

/** What a stage counts. */
export type ProgressUnit = 'bytes' | 'files';

/** Where a stage stands. */
export interface ProgressState {
  label: string;
  /** The expected end; 0 when unknown (a scan). */
  total: number;
  unit: ProgressUnit;
  done: number;
  /** Extra fields shown after the counts; see `formatExtra`. */
  extra: Readonly<Record<string, string | number>>;
}

/** An amount of the stage's unit: `1.2 GiB` or `1200 files`. */
export function formatAmount(n: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? formatBytes(n) : `${Math.round(n)} files`;
}

/** A rate per second of the stage's unit: `85.3 MiB/s` or `385 files/s`. */
export function formatAmountRate(perSecond: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? formatRate(perSecond) : `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)} files/s`;
}

/** Extra fields whose numbers are byte counts: `sent`, `received`, `written`, `read`, and names ending in `Bytes`. */
const BYTE_FIELD = /^(sent|received|written|read)$|Bytes$/;

/** Extra fields as `sent 1.0 GiB, parts 31` (byte-count fields in binary units, others as given). */
export function formatExtra(extra: Readonly<Record<string, string | number>>): string {
  return Object.entries(extra)
    .map(([k, v]) => `${k} ${typeof v === 'number' && BYTE_FIELD.test(k) ? formatBytes(v) : String(v)}`)
    .join(', ');
}

/** Whole percent done, 0–100; undefined when the total is unknown. */
export function percentDone(done: number, total: number): number | undefined {
  if (!(total > 0)) return undefined;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

/** The parts of a status line: counts, rate and ETA (when known), extras. */
export function progressParts(s: ProgressState, ratePerSecond: number | undefined): { counts: string; rate?: string; eta?: string; extra?: string } {
  const pct = percentDone(s.done, s.total);
  const counts =
    pct === undefined
      ? formatAmount(s.done, s.unit)
      : s.unit === 'bytes'
        ? `${formatBytes(s.done)} of ${formatBytes(s.total)} (${pct}%)`
        : `${Math.round(s.done)} of ${formatAmount(s.total, s.unit)} (${pct}%)`;
  const known = ratePerSecond !== undefined && ratePerSecond > 0 && Number.isFinite(ratePerSecond);
  const rate = known ? formatAmountRate(ratePerSecond, s.unit) : undefined;
  const eta = known && s.total > s.done ? `ETA ${formatDuration((s.total - s.done) / ratePerSecond)}` : undefined;
  const extra = Object.keys(s.extra).length ? formatExtra(s.extra) : undefined;
  return { counts, rate, eta, extra };
}

/** A periodic status line: `archive: 1.2 GiB of 4.0 GiB (30%), 85.3 MiB/s, ETA 34 s; sent 1.0 GiB, parts 31`. */
export function describeProgress(s: ProgressState, ratePerSecond: number | undefined): string {
  const p = progressParts(s, ratePerSecond);
  const head = [p.counts, p.rate, p.eta].filter(Boolean).join(', ');
  return `${s.label}: ${head}${p.extra ? `; ${p.extra}` : ''}`;
}

/** The line at the end of a stage: `archive: 4.0 GiB in 48 s, 85.3 MiB/s average; sent 4.0 GiB, parts 122`. */
export function describeFinish(s: ProgressState, elapsedMs: number): string {
  const secs = elapsedMs / 1000;
  const avg = secs > 0 && s.done > 0 ? `, ${formatAmountRate(s.done / secs, s.unit)} average` : '';
  const pct = percentDone(s.done, s.total);
  const short = pct !== undefined && pct < 100 ? ` (${pct}% of ${formatAmount(s.total, s.unit)})` : '';
  const extra = Object.keys(s.extra).length ? `; ${formatExtra(s.extra)}` : '';
  return `${s.label}: ${formatAmount(s.done, s.unit)}${short} in ${formatDuration(secs)}${avg}${extra}`;
}
