/** Console output for commands: human lines, or one JSON object with --json. */

/** Global flags every command sees. */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** Prints a line to stdout. */
export function say(line = ''): void {
  process.stdout.write(line + '\n');
}

/**
 * Prints a command's `--json` result: one JSON object on one line of stdout, never a bare
 * array or several documents (docs/json.md). Values use the forms of json-values.ts.
 */
export function sayJson<T extends object>(value: T extends readonly unknown[] ? never : T): void {
  if (Array.isArray(value) || value === null) throw new TypeError('a --json result is one JSON object');
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Formats a table of rows with left-aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
