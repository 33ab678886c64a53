/**
 * Numbers for people (pure): byte counts, durations and byte rates, the one style that
 * progress lines, the run-log email and the CLI's output all use (`1.2 GiB`, `34 s`, `85.3 MiB/s`).
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count in binary units with one decimal: `512 B`, `1.0 KiB`, `1.2 GiB`. */
export function formatBytes(n: number): string {
  if (!(Math.abs(n) >= 1024)) return `${Math.round(n)} B`;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  // 1023.96 KiB would print as "1024.0 KiB": show it as the next unit instead
  if (Math.abs(v) >= 1023.95 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}

/** A duration in seconds: `3.2 s`, `34 s`, `5 min 12 s`, `2 h 05 min`; negative as `0.0 s`, NaN or infinite as `?`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Bytes per second: `85.3 MiB/s`; `?` when the rate is unknown (not finite, or negative). */
export function formatRate(bytesPerSecond: number): string {
  return Number.isFinite(bytesPerSecond) && bytesPerSecond >= 0 ? `${formatBytes(bytesPerSecond)}/s` : '?';
}
