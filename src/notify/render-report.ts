/** The run-log email (pure): a subject that tells the outcome at a glance, and a plain-text body per run. */
import { basename } from 'node:path';
import { formatBytes, formatDuration, formatRate } from '../ui/format-units.js';
import type { RunSummary } from './run-summary.js';

/** What the report is about. */
export interface ReportInput {
  host: string;
  set: string;
  /** The runs since the last email, oldest first. */
  runs: readonly RunSummary[];
}

/** A rendered report. */
export interface Report {
  subject: string;
  text: string;
}

const severity: Record<RunSummary['status'], number> = { ok: 0, running: 1, warnings: 2, failed: 3 };
const outcomeLabel: Record<RunSummary['status'], string> = { ok: 'ok', running: 'still running', warnings: 'completed with warnings', failed: 'FAILED' };

/** Renders the email for `runs`: the worst outcome and the counts in the subject, each run in the body. */
export function renderReport(input: ReportInput): Report {
  const { host, set, runs } = input;
  const worst = runs.reduce<RunSummary['status']>((w, r) => (severity[r.status] > severity[w] ? r.status : w), 'ok');
  const count = (s: RunSummary['status']) => runs.filter((r) => r.status === s).length;
  const counts = [
    [count('ok'), 'ok'],
    [count('warnings'), 'with warnings'],
    [count('failed'), 'failed'],
    [count('running'), 'running'],
  ]
    .filter(([n]) => n)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
  const subject = `backup ${set} on ${host}: ${outcomeLabel[worst]} (${plural(runs.length, 'run')}: ${counts || 'none'})`;

  const lines: string[] = [`Backup set "${set}" on ${host}: ${plural(runs.length, 'run')} since the last report.`];
  if (runs.length) lines.push(`Outcome: ${outcomeLabel[worst]} (${counts}).`);
  const bytes = runs.reduce((n, r) => n + (r.uploadBytes ?? 0), 0);
  if (bytes) lines.push(`Uploaded in all: ${formatBytes(bytes)}.`);
  for (const r of runs) lines.push('', ...renderRun(r));
  const attached = runs.filter((r) => r.logPath).length;
  lines.push('', attached ? `The full run logs are attached (${attached}).` : 'No run logs were written.');
  return { subject, text: lines.join('\n') + '\n' };
}

function renderRun(r: RunSummary): string[] {
  const out = [`Run #${r.id}: ${outcomeLabel[r.status]}`];
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(12)}${value}`);
  row('started', r.startedAt);
  if (r.endedAt) {
    const ms = Date.parse(r.endedAt) - Date.parse(r.startedAt);
    row('ended', `${r.endedAt}${Number.isFinite(ms) && ms >= 0 ? ` (took ${formatDuration(ms / 1000)})` : ''}`);
  }
  if (r.level !== undefined) row('level', r.level === 0 ? '0 (full)' : `${r.level} (incremental)`);
  row('files', `${r.filesAdded} added, ${r.filesChanged} changed, ${r.filesDeleted} deleted`);
  if (r.archiveBytes !== undefined) row('archive', formatBytes(r.archiveBytes));
  if (r.uploadBytes !== undefined) {
    row('upload', r.uploadMs !== undefined ? `${formatBytes(r.uploadBytes)} in ${formatDuration(r.uploadMs / 1000)} (${formatRate(r.uploadBytes / (r.uploadMs / 1000))})` : formatBytes(r.uploadBytes));
  }
  if (r.archiveId) row('archive ID', r.archiveId);
  if (r.logPath) row('log', `${basename(r.logPath)} (attached)`);
  if (r.warnings.length) out.push(`  ${plural(r.warnings.length, 'warning')}:`, ...r.warnings.map((w) => `    - ${w}`));
  if (r.errors.length) out.push(`  ${plural(r.errors.length, 'error')}:`, ...r.errors.map((e) => `    - ${e}`));
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
