/** Test helper: the JSON Schemas of the commands' `--json` outputs (docs/json-schemas/), compiled once with ajv. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';

export const SCHEMA_DIR = fileURLToPath(new URL('../../docs/json-schemas/', import.meta.url));

/** The schema file of a command ("inventory fetch" → inventory-fetch.schema.json; "error" for errors). */
export function schemaFile(command: string): string {
  return `${command.replaceAll(' ', '-')}.schema.json`;
}

let ajv: Ajv | undefined;
let files: Map<string, object> | undefined;

/** Every schema file, by file name. */
export function jsonSchemas(): Map<string, object> {
  files ??= new Map(readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).map((f) => [f, JSON.parse(readFileSync(SCHEMA_DIR + f, 'utf8')) as object]));
  return files;
}

/** A function that asserts `value` is valid against the command's schema, naming what failed. */
export function validatorFor(command: string): (value: unknown, what: string) => void {
  if (!ajv) {
    // money is in cents: multipleOf 0.01 checked to 9 digits, past binary floating point's noise
    ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, multipleOfPrecision: 9 });
    for (const schema of jsonSchemas().values()) ajv.addSchema(schema);
  }
  const file = schemaFile(command);
  assert.ok(jsonSchemas().has(file), `no schema ${file} in ${SCHEMA_DIR}`);
  const validate = ajv.getSchema(file) as ValidateFunction | undefined;
  assert.ok(validate, `schema ${file} has no $id "${file}"`);
  return (value, what) => {
    if (!validate(value)) assert.fail(`${what}: output does not match ${file}:\n${ajv!.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(value)}`);
  };
}
