import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { inflateBlocks } from './inflate-blocks.js';

const members = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((w) => ({ raw: Buffer.from(w.repeat(1000)), gz: gzipSync(w.repeat(1000)) }));

test('inflateBlocks hands back only the input chunks that were one whole member, once each is inflated', async () => {
  const [a, b, c, d, e] = members.map((m) => m.gz);
  const one = Buffer.from(a);
  const two = Buffer.concat([b, c]);
  const half1 = Buffer.from(d.subarray(0, 10));
  const half2 = Buffer.from(d.subarray(10));
  const last = Buffer.from(e);
  const released: Buffer[] = [];
  const out: Buffer[] = [];
  const lengths = [a.length, b.length, c.length, d.length];
  for await (const o of inflateBlocks(
    (async function* () {
      yield* [one, two, half1, half2, last];
    })(),
    lengths,
    { release: (chunk) => released.push(chunk) },
  )) {
    out.push(Buffer.from(o));
  }
  assert.deepEqual(out, members.map((m) => m.raw));
  // every member's inflation has settled once its output was yielded; the hand-backs follow it
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(released.length, 2);
  assert.ok(released.includes(one) && released.includes(last), 'the chunks that were one member each, the last (past the lengths) too');
});
