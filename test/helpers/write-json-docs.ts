/**
 * Writes docs/json.md from the schemas in docs/json-schemas/ (the meaning of each field) and
 * the outputs test/json-output.test.ts saved from the real binary (the examples), so the page
 * says what the binary prints. Run it with `npm run docs:json`.
 * Usage: node --import tsx test/helpers/write-json-docs.ts EXAMPLES_DIR
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { jsonSchemas, SCHEMA_DIR } from './json-schemas.js';

interface Schema {
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}

const values = jsonSchemas().get('values.schema.json') as { definitions: Record<string, Schema> };

/** A schema's type for people: "time", "bytes or null", "one of ok, warnings". */
function typeOf(s: Schema): string {
  if (s.$ref) return s.$ref.replace(/^.*\//, '');
  if (s.allOf) return s.allOf.map(typeOf).join(', ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return `one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'values'}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'value';
}

/** The object schema inside `s` (an array's items, a nullable object), if any. */
function objectIn(s: Schema): Schema | undefined {
  if (s.properties) return s;
  if (s.items) return objectIn(s.items);
  for (const alt of s.anyOf ?? []) if (alt.properties) return alt;
  return undefined;
}

/** One table row per field, nested fields as `a.b` and `a[].b`. */
function rows(s: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}${name}`;
    const optional = s.required?.includes(name) ? '' : ' (optional)';
    const meaning = field.description ?? field.allOf?.find((a) => a.description)?.description ?? (field.$ref ? values.definitions[field.$ref.replace(/^.*\//, '')]?.description : undefined) ?? '';
    out.push(`| \`${path}\` | ${typeOf(field)}${optional} | ${meaning.replaceAll('|', '\\|')} |`);
    const inner = objectIn(field);
    if (inner) out.push(...rows(inner, `${path}${field.type === 'array' || field.items ? '[]' : ''}.`));
    for (const alt of field.items?.oneOf ?? []) out.push(...rows(alt, `${path}[].`));
  }
  return out;
}

function table(s: Schema): string {
  return ['| field | type | meaning |', '|---|---|---|', ...rows(s)].join('\n');
}

function section(file: string, schema: Schema, examples: string[]): string {
  const parts = [`## ${schema.title === 'errors' ? 'Errors' : `\`${schema.title}\``}`, '', `Schema: [json-schemas/${file}](json-schemas/${file})`, ''];
  if (schema.oneOf) {
    for (const variant of schema.oneOf) parts.push(`${variant.description ?? ''}:`, '', table(variant), '');
  } else parts.push(table(schema), '');
  for (const e of examples) parts.push('```json', JSON.stringify(JSON.parse(e), null, 2), '```', '');
  return parts.join('\n');
}

const HEAD = `# Machine-readable output (\`--json\`)

With the global option \`--json\` every command prints **one JSON object on one line of
stdout** and nothing else there: never a bare array, never several documents. Progress
lines go to stderr and are off with \`--json\`. The exit codes are the same as without it
(README "Exit codes"). The daemon writes log lines and refuses \`--json\`.

The same forms everywhere:

- **times**: ISO 8601 in UTC with milliseconds, \`"2026-11-29T17:03:00.000Z"\`; never epoch numbers;
- **modes**: permission bits as four octal digits, \`"0644"\`;
- **sizes**: bytes, as whole numbers; **counts**: whole numbers;
- **durations**: whole milliseconds, in fields named \`…Ms\`;
- **money**: \`{"amount": 1.23, "currency": "USD"}\`, rounded to cents;
- **paths**: relative to the data directory; bytes of a name that are not UTF-8 appear as
  \`\\udcNN\` escapes (the same bytes \`backup ls\` shows as \`\\xNN\`);
- absent values are \`null\` unless the field is marked optional.

With \`--json\`, an error is one object on stderr (stdout stays empty), see [Errors](#errors).

Every command's output has a JSON Schema (draft-07) in [json-schemas/](json-schemas/); the
shared forms are in [values.schema.json](json-schemas/values.schema.json).
\`test/json-output.test.ts\` runs every command with \`--json\` through the real binary against
one small world on the bundled server and validates the output against its schema, and fails
for a command that has no schema. The examples below are outputs of that run (\`npm run
docs:json\` writes this page again from the schemas and a fresh run).
`;

const dir = process.argv[2];
if (!dir) throw new Error('usage: write-json-docs.ts EXAMPLES_DIR');
const saved = readdirSync(dir).sort();
const sections: string[] = [];
const schemas = [...jsonSchemas()].filter(([f]) => f !== 'values.schema.json' && f !== 'error.schema.json');
// alphabetical by command, errors last
for (const [file, schema] of [...schemas.sort(([a], [b]) => a.localeCompare(b)), ['error.schema.json', jsonSchemas().get('error.schema.json')!] as const]) {
  const base = file.replace(/\.schema\.json$/, '');
  // run.json, then its variants run-dry-run.json, run-full.json… (never another command's file)
  const examples = saved.filter((f) => f === `${base}.json` || (f.startsWith(`${base}-`) && !jsonSchemas().has(f.replace(/\.json$/, '.schema.json'))));
  sections.push(section(file, schema, examples.map((f) => readFileSync(`${dir}/${f}`, 'utf8'))));
}
writeFileSync(new URL('../../docs/json.md', import.meta.url), `${HEAD}\n${sections.join('\n')}`);
process.stdout.write(`docs/json.md written from ${schemas.length + 1} schemas in ${SCHEMA_DIR} and ${saved.length} outputs in ${dir}\n`);
