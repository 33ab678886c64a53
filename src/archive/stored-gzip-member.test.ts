import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { storedGzipMemberSize, writeStoredGzipMember } from './stored-gzip-member.js';

/** The member of `input`, exactly as long as storedGzipMemberSize says. */
function member(input: Uint8Array): Buffer {
  const out = Buffer.alloc(storedGzipMemberSize(input.length) + 7);
  const n = writeStoredGzipMember(input, out);
  assert.equal(n, storedGzipMemberSize(input.length));
  return out.subarray(0, n);
}

test('stored members of every awkward length read back exactly with zlib and with gzip', () => {
  for (const length of [0, 1, 65_534, 65_535, 65_536, 2 * 65_535, 2 * 65_535 + 1, 1024 * 1024]) {
    const input = randomBytes(length);
    const gz = member(input);
    assert.deepEqual(gunzipSync(gz), input, `length ${length}`);
    assert.deepEqual(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 4 * 1024 * 1024 }), input, `gzip -dc, length ${length}`);
  }
});

test('two stored members back to back are one gzip file of both inputs (gzip -t checks the CRC and length of each)', () => {
  const a = randomBytes(70_000);
  const b = randomBytes(3);
  const gz = Buffer.concat([member(a), member(b)]);
  execFileSync('gzip', ['-t'], { input: gz });
  assert.deepEqual(execFileSync('gzip', ['-dc'], { input: gz }), Buffer.concat([a, b]));
});
