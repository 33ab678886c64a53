import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockChecks, checkCopiesAhead, openChecked, verifiedBlocks } from './verify-blocks.js';

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

test('checkCopiesAhead checks whole copies on its thread: an intact one, a changed block and a wrong size, each as openChecked finds them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'copies-ahead-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = Buffer.from(file);
  bad[120] ^= 1;
  const copies = [file, bad, file.subarray(0, 200)].map((bytes, i) => {
    const path = join(dir, `copy-${i}`);
    writeFileSync(path, bytes);
    return { seq: i + 1, path, size: file.length, blocks };
  });
  const ahead = await checkCopiesAhead([...copies, { seq: 9, path: join(dir, 'copy-0'), size: file.length, blocks }]);
  try {
    const found = [];
    for (const c of copies) {
      const checked = await ahead.take(c.seq, c.path)!;
      const direct = await openChecked(c.path, { size: c.size, treeHash: '', blocks }, null);
      await Promise.all([checked.fh.close(), direct.fh.close()]);
      assert.deepEqual(checked.damage, direct.damage);
      found.push(checked.damage?.what);
    }
    assert.deepEqual(found, [undefined, 'gzip block 1 (bytes 100-149) differs from the catalog', 'it is 200 bytes, the catalog says 220']);
    assert.equal(ahead.take(1, copies[0].path), undefined, 'taken once');
    assert.equal(ahead.take(9, join(dir, 'elsewhere')), undefined, 'only for the path checked');
  } finally {
    // closes copy 9, never taken
    await ahead.close();
  }
});
