import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { blockChecks, verifiedBlocks } from './verify-blocks.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const parts = [Buffer.alloc(100, 1), Buffer.alloc(50, 2), Buffer.alloc(70, 3)];
const file = Buffer.concat(parts);
const blocks = [
  { rawOffset: 0, gzOffset: 0, sha256: sha(parts[0]) },
  { rawOffset: 1000, gzOffset: 100, sha256: sha(parts[1]) },
  { rawOffset: 2000, gzOffset: 150, sha256: sha(parts[2]) },
];
const checks = blockChecks(blocks, file.length);
/** The input in small uneven chunks, so blocks straddle chunk boundaries. */
const chunked = (b: Buffer) => Readable.from([b.subarray(0, 7), b.subarray(7, 130), b.subarray(130)]);

async function collect(r: Readable): Promise<{ out: Buffer; err?: Error }> {
  const got: Buffer[] = [];
  try {
    for await (const c of r) got.push(c as Buffer);
    return { out: Buffer.concat(got) };
  } catch (err) {
    return { out: Buffer.concat(got), err: err as Error };
  }
}

test('verifiedBlocks passes intact blocks through whole, from any block boundary', async () => {
  assert.deepEqual((await collect(verifiedBlocks(chunked(file), checks, { start: 0, end: file.length - 1 }, 'archive 1'))).out, file);
  const tail = file.subarray(100);
  const r = await collect(verifiedBlocks(Readable.from([tail]), checks, { start: 100, end: file.length - 1 }, 'archive 1'));
  assert.deepEqual(r.out, tail);
});

test('verifiedBlocks hands out nothing of a block that does not match, and names the archive and block', async () => {
  const bad = Buffer.from(file);
  bad[120] ^= 1;
  const r = await collect(verifiedBlocks(chunked(bad), checks, { start: 0, end: bad.length - 1 }, 'archive 7 (x.tar.gz)'));
  assert.deepEqual(r.out, parts[0], 'only the block before the damaged one');
  assert.match(r.err?.message ?? '', /archive 7 \(x\.tar\.gz\): gzip block 1 \(bytes 100-149\) does not match the catalog/);
});

test('verifiedBlocks refuses input cut inside a block', async () => {
  const r = await collect(verifiedBlocks(Readable.from([file.subarray(0, 120)]), checks, { start: 0, end: file.length - 1 }, 'archive 1'));
  assert.deepEqual(r.out, parts[0]);
  assert.match(r.err?.message ?? '', /ended at byte 120, inside gzip block 1/);
});
