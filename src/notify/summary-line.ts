/** The one line every run ends with (pure): what happened, in the words an operator scans for. */
import { formatBytes, formatDuration, formatRate } from '../ui/format-units.js';

/** What the summary line is made of. Byte counts are bytes, durations milliseconds. */
export interface SummaryInput {
  runId: number;
  status: 'ok' | 'warnings' | 'failed' | 'interrupted';
  dryRun: boolean;
  level?: number;
  added?: number;
  changed?: number;
  deleted?: number;
  /** Tar bytes read from the data directory (or, for a dry run, file bytes that would be read). */
  bytesRead?: number;
  /** Compressed archive size. */
  storedBytes?: number;
  uploadBytes?: number;
  uploadMs?: number;
  durationMs: number;
  /** archive.fullEvery: how many incrementals a chain has before the next full. */
  fullEvery: number;
  /** What retention.afterRun did, in a few words (e.g. `pruned 4 archives of 2 chains (1.2 GiB)`). */
  retention?: string;
  /** Set when the copy is not offsite (a bundled local vault, or local copies only): why, in a few words. */
  notOffsite?: string;
  /** The first error of a failed run. */
  error?: string;
}

const outcome: Record<SummaryInput['status'], string> = { ok: 'ok', warnings: 'completed with warnings', failed: 'FAILED', interrupted: 'interrupted' };

/**
 * `run #12 ok: level 1 (incremental), 3 added, 1 changed, 0 deleted; 12.0 MiB read → 3.1 MiB
 * stored (26%); uploaded 3.1 MiB in 2.0 s (1.6 MiB/s); took 4.2 s; next full in 12 runs`.
 */
export function summaryLine(s: SummaryInput): string {
  const head = s.dryRun ? `dry run: would ${s.level === 0 ? 'write a full archive' : `write level ${s.level ?? '?'}`}` : `run #${s.runId} ${outcome[s.status]}`;
  const parts: string[] = [];
  if (s.level !== undefined && !s.dryRun) parts.push(`level ${s.level} (${s.level === 0 ? 'full' : 'incremental'})`);
  if (s.added !== undefined) parts.push(`${s.added} added, ${s.changed ?? 0} changed, ${s.deleted ?? 0} deleted`);
  const first = parts.join(', ');
  const rest: string[] = [];
  if (s.bytesRead !== undefined) {
    if (s.storedBytes !== undefined) {
      const ratio = s.bytesRead > 0 ? ` (${Math.round((100 * s.storedBytes) / s.bytesRead)}%)` : '';
      rest.push(`${formatBytes(s.bytesRead)} read → ${formatBytes(s.storedBytes)} stored${ratio}`);
    } else if (s.dryRun) rest.push(`${formatBytes(s.bytesRead)} to read`);
  }
  if (s.uploadBytes !== undefined && s.uploadMs !== undefined) {
    rest.push(`uploaded ${formatBytes(s.uploadBytes)} in ${formatDuration(s.uploadMs / 1000)} (${formatRate(s.uploadBytes / Math.max(s.uploadMs / 1000, 0.001))})`);
  }
  if (!s.dryRun) rest.push(`took ${formatDuration(s.durationMs / 1000)}`);
  if (s.level !== undefined && (s.status === 'ok' || s.status === 'warnings')) rest.push(nextFull(s.level, s.fullEvery, s.dryRun));
  if (s.retention) rest.push(s.retention);
  if (s.error) rest.push(s.error);
  if (s.notOffsite) rest.push(`NOT OFFSITE (${s.notOffsite})`);
  return `${head}${first ? `: ${first}` : ''}${rest.length ? `${first ? '; ' : ': '}${rest.join('; ')}` : ''}`;
}

/** When the next full archive comes, counted in runs after this one. */
function nextFull(level: number, fullEvery: number, dryRun: boolean): string {
  const left = fullEvery - level;
  if (left <= 0) return dryRun ? 'the run after it is a full' : 'next run is a full';
  return `next full in ${left + 1} runs`;
}
