/** Parsers for option values; each rejects bad input with a one-line USAGE error. */
import { BackupError } from '../errors.js';
import type { RestorePoint } from '../restore/plan-chain.js';

/**
 * Parses --at (an ISO 8601 date or date-time: 2026-11-20, 2026-11-20T14:00, 2026-11-20 14:00:00Z)
 * and --seq into a restore point. Only dates that start with a four-digit year and month and day
 * are taken: Date.parse would read "1" as the year 2001.
 */
export function parsePoint(opts: { at?: string; seq?: string }): RestorePoint {
  if (opts.at !== undefined && opts.seq !== undefined) throw new BackupError('USAGE', 'give --at or --seq, not both');
  if (opts.seq !== undefined) return { seq: parsePositiveInt(opts.seq, '--seq') };
  if (opts.at !== undefined) {
    const t = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(opts.at.trim()) ? Date.parse(opts.at.trim().replace(' ', 'T')) : NaN;
    if (Number.isNaN(t)) throw new BackupError('USAGE', `--at "${opts.at}" is not a date/time; use e.g. 2026-11-20 or 2026-11-20T14:00:00Z`);
    return { at: new Date(t) };
  }
  return { latest: true };
}

/** Parses a positive integer option. */
export function parsePositiveInt(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new BackupError('USAGE', `${name} "${value}" must be a positive whole number`);
  return Number(value);
}

/** Parses a duration such as 7d, 12h, 30m or 45s into milliseconds. */
export function parseDuration(value: string, name: string): number {
  const m = /^(\d+)\s*(d|h|m|s)$/.exec(value.trim());
  if (!m) throw new BackupError('USAGE', `${name} "${value}" is not a duration; use e.g. 7d, 12h, 30m`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
}

/** Parses a retrieval tier. */
export function parseTier(value: string): 'Expedited' | 'Standard' | 'Bulk' {
  const t = value.charAt(0).toUpperCase() + value.slice(1).toLowerCase();
  if (t !== 'Expedited' && t !== 'Standard' && t !== 'Bulk') throw new BackupError('USAGE', `--tier "${value}" must be Expedited, Standard or Bulk`);
  return t;
}
