/**
 * Cron expressions as cron(8) reads them (pure): five fields, or six with seconds first as
 * node-cron allows, numbers, `*`, ranges, steps, lists, month and weekday names, 7 for
 * Sunday, and the @daily-style nicknames. Day-of-month and day-of-week follow cron's rule:
 * when both are restricted (neither starts with `*`), a day matching either runs.
 * node-cron's extensions (L, W, #, ?) are refused: cron(8) does not know them.
 */
import { BackupError } from '../errors.js';

/** The parsed expression: the values each field allows, and whether the day fields are restricted. */
export interface CronFields {
  /** True when the expression had a seconds field. */
  hasSeconds: boolean;
  seconds: number[];
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  /** 0–6, Sunday = 0. */
  daysOfWeek: number[];
  /** cron's "starts with *" flags: a day runs when either restricted day field matches. */
  domStar: boolean;
  dowStar: boolean;
}

const nicknames: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of names[0]. */
  nameBase?: number;
}

const specs: FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: dayNames, nameBase: 0 },
];

/** Parses a cron expression; throws CONFIG_INVALID naming the field at fault. */
export function parseCron(expression: string): CronFields {
  const trimmed = expression.trim();
  const expanded = nicknames[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) throw invalid(expression, `${trimmed} is not a schedule cron can repeat (use @hourly, @daily, @weekly, @monthly or @yearly)`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw invalid(expression, `expected 5 fields (minute hour day-of-month month day-of-week) but got ${parts.length}`);
  const hasSeconds = parts.length === 6;
  const fields = hasSeconds ? parts : ['0', ...parts];
  const values = fields.map((f, i) => parseField(expression, f, specs[i]));
  return {
    hasSeconds,
    seconds: values[0],
    minutes: values[1],
    hours: values[2],
    daysOfMonth: values[3],
    months: values[4],
    daysOfWeek: [...new Set(values[5].map((d) => d % 7))].sort((a, b) => a - b),
    domStar: fields[3].startsWith('*'),
    dowStar: fields[5].startsWith('*'),
  };
}

function parseField(expression: string, field: string, spec: FieldSpec): number[] {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) throw invalid(expression, `"${field}" is not a valid ${spec.name} field`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw invalid(expression, `step "/${m[2]}" in the ${spec.name} field must be at least 1`);
    let lo: number;
    let hi: number;
    if (m[1] === '*') {
      lo = spec.min;
      hi = spec.name === 'day of week' ? 6 : spec.max;
    } else {
      const range = m[1].split('-');
      if (range.length > 2) throw invalid(expression, `"${item}" is not a valid ${spec.name} range`);
      lo = value(expression, range[0], spec);
      hi = range.length === 2 ? value(expression, range[1], spec) : m[2] === undefined ? lo : spec.max;
      if (hi < lo) throw invalid(expression, `range "${m[1]}" in the ${spec.name} field runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

function value(expression: string, text: string, spec: FieldSpec): number {
  let n: number;
  if (/^\d+$/.test(text)) n = Number(text);
  else {
    const idx = spec.names?.indexOf(text.toLowerCase()) ?? -1;
    if (idx < 0) throw invalid(expression, `"${text}" is not a valid ${spec.name}${/[LW#?]/i.test(text) ? ' (cron does not support L, W, # or ?)' : ''}`);
    n = idx + (spec.nameBase ?? 0);
  }
  if (n < spec.min || n > spec.max) throw invalid(expression, `${spec.name} ${n} is outside ${spec.min}–${spec.max}`);
  return n;
}

function invalid(expression: string, why: string): BackupError {
  return new BackupError('CONFIG_INVALID', `schedule "${expression}" is not a valid cron expression; ${why}`, { subject: 'schedule' });
}

/** True when the (local-time) day matches the day fields, with cron's either-or rule for two restricted fields. */
export function cronDayMatches(f: CronFields, dayOfMonth: number, dayOfWeek: number): boolean {
  const dom = f.daysOfMonth.includes(dayOfMonth);
  const dow = f.daysOfWeek.includes(dayOfWeek);
  if (!f.domStar && !f.dowStar) return dom || dow;
  return dom && dow;
}

/**
 * The expressions node-cron must be given so that, together, they fire exactly when cron(8)
 * would: node-cron always ANDs the day fields, so two restricted day fields become two
 * schedules, one per field (a day matching both fires in both at the same second).
 */
export function nodeCronExpressions(expression: string): string[] {
  const f = parseCron(expression);
  const trimmed = expression.trim();
  const parts = (nicknames[trimmed.toLowerCase()] ?? trimmed).split(/\s+/);
  const fields = f.hasSeconds ? parts : ['0', ...parts];
  if (f.domStar || f.dowStar) return [fields.join(' ')];
  const byDom = [...fields];
  byDom[5] = '*';
  const byDow = [...fields];
  byDow[3] = '*';
  return [byDom.join(' '), byDow.join(' ')];
}
