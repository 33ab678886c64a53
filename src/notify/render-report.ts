/**
 * The run-log email (pure), for an operator reading it on a phone: a subject with host, set
 * and outcome; a body that opens with the totals, then one compact line per run in local time
 * with its UTC offset. Plain text, lines of at most about 72 columns (warnings and errors are
 * quoted as they are). Archive IDs and the full logs go in attachments, never in the body.
 */
import { basename } from 'node:path';
import { formatUsd } from '../cost/format-usd.js';
import { formatBytes, formatDuration } from '../ui/format-units.js';
import { formatLocalTime } from './local-time.js';
import type { RunSummary } from './run-summary.js';

/** The state of the backup set as the email is sent (gathered from the catalog and config). */
export interface ReportTotals {
  /** Files and bytes of the data as of the latest archive. */
  data: { files: number; bytes: number };
  /** Archives kept (not pruned) and their stored size. */
  stored: { archives: number; bytes: number };
  /** The chain the latest archive belongs to: its full archive's seq and its incrementals. */
  chain?: { fullSeq: number; incrementals: number; bytes: number; broken: boolean };
  /** Creation time of the oldest archive still kept. */
  oldestRestorable?: Date;
  /** Runs until the next full archive (1: the next run). */
  nextFullInRuns?: number;
  pendingUploads: number;
  /** When the schedule fires next; undefined when it cannot be computed. */
  nextRun?: Date;
  /** Estimated storage cost a month in USD; undefined without offsite storage. */
  monthlyCost?: number;
  /** Why the copy is not offsite (short), when it is not. */
  notOffsite?: string;
}

/** What the report is about. */
export interface ReportInput {
  host: string;
  set: string;
  /** The runs since the last email, oldest first. */
  runs: readonly RunSummary[];
  totals: ReportTotals;
  /** IANA time zone for the times shown; default the process's (TZ). */
  timeZone?: string;
}

/** A rendered report: subject, body, and the archive-ID attachment (absent when no run uploaded an archive). */
export interface Report {
  subject: string;
  text: string;
  archiveIds?: { filename: string; content: string };
}

const severity: Record<RunSummary['status'], number> = { ok: 0, running: 1, warnings: 2, failed: 3 };
const outcomeLabel: Record<RunSummary['status'], string> = { ok: 'ok', running: 'still running', warnings: 'completed with warnings', failed: 'FAILED' };
const shortOutcome: Record<RunSummary['status'], string> = { ok: 'ok', running: 'running', warnings: 'warnings', failed: 'FAILED' };
/** Warnings or errors quoted per run; the rest are counted (the attached log has them all). */
const QUOTED = 3;

/** Renders the email for `runs`. */
export function renderReport(input: ReportInput): Report {
  const { host, set, runs, totals } = input;
  const at = (d: Date) => formatLocalTime(d, input.timeZone);
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
  const subject = `backup ${set} on ${host}: ${outcomeLabel[worst]} (${plural(runs.length, 'run')}: ${counts || 'none'})${totals.notOffsite ? ' NOT OFFSITE' : ''}`;

  const lines: string[] = [`Backup set "${set}" on ${host}: ${outcomeLabel[worst]}.`, `${plural(runs.length, 'run')} since the last report${counts ? `: ${counts}` : ''}.`];
  if (totals.notOffsite) lines.push(`NOT OFFSITE: ${totals.notOffsite}.`);
  lines.push('', 'Totals', ...renderTotals(totals, at));
  lines.push('', 'Runs (local time)');
  for (const r of runs) lines.push(...renderRun(r, at));
  const logs = runs.filter((r) => r.logPath).map((r) => basename(r.logPath!));
  const withIds = runs.filter((r) => r.archiveId);
  const attached = [logs.length ? plural(logs.length, 'run log') : '', withIds.length ? 'archive IDs in archive-ids.txt' : ''].filter(Boolean);
  lines.push('', attached.length ? `Attached: ${attached.join('; ')}.` : 'Nothing attached: no run log was written.');
  const archiveIds = withIds.length
    ? { filename: 'archive-ids.txt', content: withIds.map((r) => `run #${r.id} ${r.startedAt} level ${r.level ?? '?'}: ${r.archiveId}\n`).join('') }
    : undefined;
  return { subject, text: lines.join('\n') + '\n', ...(archiveIds ? { archiveIds } : {}) };
}

function renderTotals(t: ReportTotals, at: (d: Date) => string): string[] {
  const out: string[] = [];
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(14)}${value}`);
  row('data', `${formatBytes(t.data.bytes)} in ${plural(t.data.files, 'file')}`);
  row('stored', `${formatBytes(t.stored.bytes)} in ${plural(t.stored.archives, 'archive')}`);
  if (t.chain) {
    row('current chain', `${formatBytes(t.chain.bytes)}: full #${t.chain.fullSeq} + ${plural(t.chain.incrementals, 'incremental')}${t.chain.broken ? ' (BROKEN)' : ''}`);
  } else row('current chain', 'none yet');
  row('restorable', t.oldestRestorable ? `back to ${at(t.oldestRestorable)}` : 'nothing yet');
  if (t.nextFullInRuns !== undefined) row('next full', t.nextFullInRuns <= 1 ? 'the next run' : `in ${t.nextFullInRuns} runs`);
  row('pending', t.pendingUploads ? `${plural(t.pendingUploads, 'upload')} (run "backup upload")` : 'no uploads');
  row('next run', t.nextRun ? at(t.nextRun) : 'not scheduled');
  if (t.monthlyCost !== undefined) {
    const usd = formatUsd(t.monthlyCost);
    row('cost', `${usd.startsWith('$') ? `about ${usd}` : usd} a month (storage)`);
  }
  return out;
}

/** `  #7  2026-11-23 03:30 +01:00  ok  L3  +10 ~4 -2  5.0 GiB  31 min 0 s`, then quoted problems. */
function renderRun(r: RunSummary, at: (d: Date) => string): string[] {
  const ms = r.endedAt ? Date.parse(r.endedAt) - Date.parse(r.startedAt) : NaN;
  const parts = [
    `#${r.id}`,
    at(new Date(r.startedAt)),
    shortOutcome[r.status],
    r.level === undefined ? '' : `L${r.level}`,
    `+${r.filesAdded} ~${r.filesChanged} -${r.filesDeleted}`,
    r.archiveBytes === undefined ? '' : formatBytes(r.archiveBytes),
    Number.isFinite(ms) && ms >= 0 ? formatDuration(ms / 1000) : '',
  ].filter(Boolean);
  const out = [`  ${parts.join('  ')}`];
  const quote = (what: string, items: readonly string[]) => {
    for (const m of items.slice(0, QUOTED)) out.push(`      ${what}: ${m}`);
    if (items.length > QUOTED) out.push(`      … and ${items.length - QUOTED} more (see the attached log)`);
  };
  quote('error', r.errors);
  quote('warning', r.warnings);
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
