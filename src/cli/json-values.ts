/**
 * The value forms every `--json` output uses (docs/json.md), in one place so commands agree:
 * times as ISO 8601 in UTC, permission bits as octal strings, money as cents with its
 * currency. Sizes and counts are plain numbers of bytes and items; durations are whole
 * milliseconds in fields named `…Ms`.
 */

/** Money in a `--json` output: an amount rounded to cents, and its currency. */
export interface JsonMoney {
  amount: number;
  currency: 'USD';
}

/** A time as ISO 8601 in UTC with milliseconds (`2026-11-29T17:03:00.000Z`), from a Date or any string Date parses. */
export function jsonTime(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${String(t)}`);
  return d.toISOString();
}

/** jsonTime, or null for a time that is not there. */
export function jsonTimeOrNull(t: Date | string | null | undefined): string | null {
  return t === null || t === undefined ? null : jsonTime(t);
}

/** Whole seconds since the epoch (a tar header's mtime) as an ISO 8601 UTC time. */
export function jsonTimeFromSeconds(seconds: number): string {
  return jsonTime(new Date(seconds * 1000));
}

/** Permission bits (mode & 0o7777) as a four-digit octal string: `"0644"`, `"1777"`. */
export function jsonMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** A USD amount rounded to cents, with its currency. */
export function jsonMoney(usd: number): JsonMoney {
  // round half away from zero on the cent; + 0 turns -0 into 0
  const cents = Math.sign(usd) * Math.round(Math.abs(usd) * 100);
  return { amount: cents / 100 + 0, currency: 'USD' };
}

/** A duration as whole milliseconds. */
export function jsonMs(ms: number): number {
  return Math.round(ms);
}
