import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlacierError } from './glacier-error.js';
import {
  checkDescription,
  checkVaultName,
  isValidPartSize,
  parseContentRange,
  parseListLimit,
  parseListMarker,
  parsePartSize,
  parseRangeHeader,
  parseRetrievalByteRange,
} from './glacier-rules.js';

const MiB = 1024 * 1024;

function rejects(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof GlacierError && err.code === code && (!message || message.test(err.message)));
}

test('vault names are 1–255 characters of a-z A-Z 0-9 _ - .', () => {
  for (const ok of ['a', 'My_Vault-1.2', 'x'.repeat(255)]) checkVaultName(ok);
  for (const bad of ['', 'x'.repeat(256), 'has space', 'slash/name', 'ümlaut', 'a:b']) rejects(() => checkVaultName(bad), 'InvalidParameterValueException', /Invalid vault name/);
});

test('descriptions are at most 1024 printable ASCII characters; empty means none', () => {
  assert.equal(checkDescription(undefined), null);
  assert.equal(checkDescription(''), null);
  assert.equal(checkDescription(' ~'.repeat(512)), ' ~'.repeat(512));
  rejects(() => checkDescription('x'.repeat(1025)), 'InvalidParameterValueException', /longer than 1024/);
  for (const bad of ['tab\there', 'caf\u00e9', 'del\u007f', 'nl\n']) rejects(() => checkDescription(bad), 'InvalidParameterValueException', /printable ASCII/);
});

test('part sizes are 1 MiB times a power of two, up to 4 GiB', () => {
  for (const mib of [1, 2, 4, 8, 1024, 4096]) assert.ok(isValidPartSize(mib * MiB), `${mib} MiB`);
  for (const bad of [0, MiB / 2, 3 * MiB, 6 * MiB, 8192 * MiB, MiB + 1]) assert.ok(!isValidPartSize(bad), String(bad));
  assert.equal(parsePartSize('4194304'), 4 * MiB);
  rejects(() => parsePartSize(undefined), 'MissingParameterValueException');
  rejects(() => parsePartSize('3145728'), 'InvalidParameterValueException', /power of 2/);
  rejects(() => parsePartSize('4mb'), 'InvalidParameterValueException');
});

test('part Content-Range must start on a part boundary and span at most one part', () => {
  assert.deepEqual(parseContentRange('bytes 0-1048575/*', MiB), { start: 0, end: MiB - 1 });
  assert.deepEqual(parseContentRange('bytes 2097152-2097156/*', MiB), { start: 2 * MiB, end: 2 * MiB + 4 });
  rejects(() => parseContentRange(undefined, MiB), 'MissingParameterValueException');
  rejects(() => parseContentRange('bytes 1-1048576/*', MiB), 'InvalidParameterValueException', /align/);
  rejects(() => parseContentRange('bytes 0-2097151/*', MiB), 'InvalidParameterValueException', /larger than the part size/);
  rejects(() => parseContentRange('bytes=0-5', MiB), 'InvalidParameterValueException');
  rejects(() => parseContentRange(`bytes ${10_000 * MiB}-${10_000 * MiB + 1}/*`, MiB), 'InvalidParameterValueException', /10000-part/);
});

test('RetrievalByteRange must be megabyte aligned, ending on a MiB boundary or the archive end', () => {
  const size = 5 * MiB + 3;
  assert.deepEqual(parseRetrievalByteRange(`${MiB}-${3 * MiB - 1}`, size), { start: MiB, end: 3 * MiB - 1 });
  assert.deepEqual(parseRetrievalByteRange(`${4 * MiB}-${size - 1}`, size), { start: 4 * MiB, end: size - 1 });
  rejects(() => parseRetrievalByteRange(`1-${MiB - 1}`, size), 'InvalidParameterValueException', /megabyte aligned/);
  rejects(() => parseRetrievalByteRange(`0-${MiB}`, size), 'InvalidParameterValueException', /megabyte aligned/);
  rejects(() => parseRetrievalByteRange(`0-${size}`, size), 'InvalidParameterValueException');
  rejects(() => parseRetrievalByteRange('abc', size), 'InvalidParameterValueException');
});

test('GetJobOutput Range accepts bytes=S-E, bytes=S- and bytes=-N', () => {
  assert.deepEqual(parseRangeHeader('bytes=0-1023', 4096), { start: 0, end: 1023 });
  assert.deepEqual(parseRangeHeader('bytes=1000-', 4096), { start: 1000, end: 4095 });
  assert.deepEqual(parseRangeHeader('bytes=-96', 4096), { start: 4000, end: 4095 });
  assert.deepEqual(parseRangeHeader('bytes=4000-99999', 4096), { start: 4000, end: 4095 });
  rejects(() => parseRangeHeader('bytes=5000-6000', 4096), 'InvalidParameterValueException', /not satisfiable/);
  rejects(() => parseRangeHeader('bytes=9-3', 4096), 'InvalidParameterValueException');
  rejects(() => parseRangeHeader('items=0-1', 4096), 'InvalidParameterValueException');
});

test('list limits are positive integers, served up to the maximum', () => {
  assert.equal(parseListLimit(null, 50, 1000), 50);
  assert.equal(parseListLimit('7', 50, 1000), 7);
  assert.equal(parseListLimit('5000', 10, 10), 10);
  rejects(() => parseListLimit('0', 50, 1000), 'InvalidParameterValueException');
  rejects(() => parseListLimit('-1', 50, 1000), 'InvalidParameterValueException');
  rejects(() => parseListLimit('ten', 50, 1000), 'InvalidParameterValueException');
});

test('a list marker resumes at the row it names; none starts at row 0; an unknown one is refused', () => {
  const rows = new Map([['job-a', 4]]);
  assert.equal(parseListMarker(null, (m) => rows.get(m)), 0);
  assert.equal(parseListMarker('', (m) => rows.get(m)), 0);
  assert.equal(parseListMarker('job-a', (m) => rows.get(m)), 4);
  rejects(() => parseListMarker('job-b', (m) => rows.get(m)), 'InvalidParameterValueException', /^Invalid marker: job-b$/);
});
