/** Times for people (pure): local wall-clock time with its UTC offset, `2026-11-29 03:30 +01:00`. */

/** `d` in `timeZone` (an IANA name; default the process's, i.e. TZ) as `YYYY-MM-DD HH:MM ±HH:MM`. */
export function formatLocalTime(d: Date, timeZone?: string): string {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(d)) p[part.type] = part.value;
  const wallMs = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const offsetMin = Math.round((wallMs - Math.floor(d.getTime() / 1000) * 1000) / 60_000);
  const abs = Math.abs(offsetMin);
  const offset = `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${offset}`;
}
