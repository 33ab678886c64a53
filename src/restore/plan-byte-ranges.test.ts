import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { alignToMiB, blockIndexFor, gzEndFor, memberExtents, rangeBytes, retrievalRanges } from './plan-byte-ranges.js';

const MiB = 1024 * 1024;
// 8 blocks of 1 MiB raw each, compressing to ~0.4 MiB each
const blocks = Array.from({ length: 8 }, (_, i) => ({ rawOffset: i * MiB, gzOffset: i * 400_000 }));
const size = 8 * 400_000;

test('memberExtents runs each member to the next one and the last to the end-of-archive blocks', () => {
  assert.deepEqual(memberExtents([1024, 0, 5000], 10_000), [
    { start: 0, end: 1023 },
    { start: 1024, end: 4999 },
    { start: 5000, end: 10_000 - 1024 - 1 },
  ]);
});

test('blockIndexFor finds the block holding a raw offset', () => {
  assert.equal(blockIndexFor(blocks, 0), 0);
  assert.equal(blockIndexFor(blocks, MiB - 1), 0);
  assert.equal(blockIndexFor(blocks, MiB), 1);
  assert.equal(blockIndexFor(blocks, 100 * MiB), 7);
});

test('a member inside one block retrieves that block rounded out to whole MiB', () => {
  const r = retrievalRanges(blocks, size, [{ start: 3 * MiB + 10, end: 3 * MiB + 5000 }]);
  // block 3 is gz bytes 1_200_000..1_599_999 -> MiB 1..1
  assert.deepEqual(r, [{ start: MiB, end: 2 * MiB - 1 }]);
  assert.ok(rangeBytes(r) < size);
});

test('ranges are merged when they touch after alignment, and the last ends at the archive end', () => {
  const r = retrievalRanges(blocks, size, [
    { start: 0, end: 10 },
    { start: MiB + 1, end: MiB + 2 },
    { start: 7 * MiB, end: 7 * MiB + 3 },
  ]);
  assert.deepEqual(r, [
    { start: 0, end: MiB - 1 },
    { start: 2 * MiB, end: size - 1 },
  ]);
});

test('alignToMiB keeps ranges within the archive', () => {
  assert.deepEqual(alignToMiB({ start: 5, end: 6 }, 100), { start: 0, end: 99 });
  assert.deepEqual(alignToMiB({ start: MiB + 5, end: MiB + 6 }, 3 * MiB), { start: MiB, end: 2 * MiB - 1 });
});

test('a gzip block cut at gzEndFor still inflates up to the wanted byte: stored, deflated and mixed blocks, levels 1, 6 and 9', async () => {
  const { gzipSync, gunzipSync, constants } = await import('node:zlib');
  const { mulberry32 } = await import('../random/mulberry32.js');
  const { inflateBlocks } = await import('../archive/inflate-blocks.js');
  const rand = mulberry32(7);
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const words = (n: number) => Buffer.from(Array.from({ length: Math.ceil(n / 6) }, () => ['alpha ', 'beta  ', 'gamma ', 'delta '][Math.floor(rand() * 4)]).join('')).subarray(0, n);
  const kinds: Record<string, Buffer> = {
    noise: noise(MiB),
    text: words(MiB),
    // the compressible part last: the block as a whole barely shrinks, its start not at all
    'noise then text': Buffer.concat([noise(MiB - 200_000), words(200_000)]),
    'text then noise': Buffer.concat([words(200_000), noise(MiB - 200_000)]),
  };
  for (const [kind, raw] of Object.entries(kinds)) {
    for (const level of [0, 1, 6, 9]) {
      const gz = gzipSync(raw, { level });
      const one = [{ rawOffset: 0, gzOffset: 0 }];
      for (const rawEnd of [0, 4095, 300_000, 700_001, MiB - 2]) {
        const end = gzEndFor(one, gz.length, rawEnd, true);
        assert.ok(end <= gz.length - 1);
        const parts: Buffer[] = [];
        for await (const b of inflateBlocks(Readable.from([gz.subarray(0, end + 1)]), [], { lastIsCut: true })) parts.push(b);
        const got = Buffer.concat(parts);
        assert.ok(got.length > rawEnd, `${kind}, level ${level}: cut at ${end} of ${gz.length} inflates ${got.length} bytes, short of ${rawEnd + 1}`);
        assert.deepEqual(got, raw.subarray(0, got.length));
      }
      // not cut: the whole block, as before
      assert.equal(gzEndFor(one, gz.length, MiB - 1, false), gz.length - 1);
      assert.deepEqual(gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH }), raw);
    }
  }
});
