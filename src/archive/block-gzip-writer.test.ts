import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mulberry32 } from '../random/mulberry32.js';
import { treeHash } from '../treehash/tree-hash.js';
import { BlockGzipWriter, type BlockGzipOptions, type BlockGzipResult, type BlockOutput } from './block-gzip-writer.js';
import { OutputHashThread } from './output-hash-thread.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

/** About `bytes` of text made of words from a skewed vocabulary, like prose or logs. */
function pseudoText(bytes: number, seed: number): Buffer {
  const r = mulberry32(seed);
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  const vocab = Array.from({ length: 5000 }, () => Array.from({ length: 2 + Math.floor(r() * 9) }, () => letters[Math.floor(r() ** 2 * 26)]).join(''));
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const words = Array.from({ length: 6 + Math.floor(r() * 10) }, () => vocab[Math.floor(r() ** 3 * vocab.length)]);
    const line = `${words.join(' ')}.\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

async function blockGzip(input: Buffer, outPath: string, opts: BlockGzipOptions, sliceSize = 100_003): Promise<{ result: BlockGzipResult; flushed: number[] }> {
  const fh = await open(outPath, 'w');
  const flushed: number[] = [];
  try {
    const w = new BlockGzipWriter(fh, { ...opts, onFlushed: (n) => flushed.push(n) });
    for (let i = 0; i < input.length; i += sliceSize) await w.write(input.subarray(i, i + sliceSize));
    return { result: await w.finish(), flushed };
  } finally {
    await fh.close();
  }
}

/** A real tar (made by GNU tar) of a few text and binary files. */
function makeTar(dir: string): Buffer {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'a.txt'), pseudoText(700_000, 1));
  writeFileSync(join(data, 'sub/b.txt'), pseudoText(300_000, 2));
  const r = mulberry32(3);
  writeFileSync(join(data, 'sub/random.bin'), Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(r() * 256))));
  execFileSync('tar', ['-C', data, '-cf', join(dir, 'plain.tar'), '.']);
  return readFileSync(join(dir, 'plain.tar'));
}

test(
  'the output is one valid .tar.gz for gunzip -t and tar -tzf',
  withTmp('block-gzip', async (dir) => {
    const tar = makeTar(dir);
    const out = join(dir, 'out.tar.gz');
    const { result } = await blockGzip(tar, out, { level: 6, blockSize: 64 * 1024 });
    execFileSync('gunzip', ['-t', out]);
    assert.equal(execFileSync('tar', ['-tzf', out]).toString(), execFileSync('tar', ['-tf', join(dir, 'plain.tar')]).toString());
    assert.deepEqual(execFileSync('gunzip', ['-c', out], { maxBuffer: 16 * 1024 * 1024 }), tar);
    assert.equal(result.rawSize, tar.length);
    assert.equal(result.blocks.length, Math.ceil(tar.length / (64 * 1024)));
  }),
);

test(
  'the block table points at real gzip member starts: each member alone inflates to its slice of the tar, and carries the SHA-256 of its compressed bytes',
  withTmp('block-gzip', async (dir) => {
    const tar = makeTar(dir);
    const out = join(dir, 'out.tar.gz');
    const { result } = await blockGzip(tar, out, { level: 6, blockSize: 128 * 1024, maxInFlight: 2 });
    const gz = readFileSync(out);
    const { blocks } = result;
    assert.deepEqual([blocks[0].rawOffset, blocks[0].gzOffset], [0, 0]);
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      const next = blocks[i + 1] ?? { rawOffset: tar.length, gzOffset: gz.length };
      assert.equal(b.sha256, createHash('sha256').update(gz.subarray(b.gzOffset, next.gzOffset)).digest('hex'), `block ${i}'s SHA-256 is of its compressed bytes`);
      assert.equal(next.rawOffset - b.rawOffset, Math.min(128 * 1024, tar.length - b.rawOffset));
      assert.deepEqual(gz.subarray(b.gzOffset, b.gzOffset + 2), Buffer.from([0x1f, 0x8b]));
      assert.deepEqual(gunzipSync(gz.subarray(b.gzOffset, next.gzOffset)), tar.subarray(b.rawOffset, next.rawOffset));
      // from any block to the end of the file: the tar from that block's raw offset on
      assert.deepEqual(gunzipSync(gz.subarray(b.gzOffset)), tar.subarray(b.rawOffset));
    }
  }),
);

test(
  'size, tree hash and the last flushed length describe the file on disk',
  withTmp('block-gzip', async (dir) => {
    const input = pseudoText(3 * 1024 * 1024 + 777, 9);
    const out = join(dir, 'out.gz');
    const { result, flushed } = await blockGzip(input, out, { level: 1, blockSize: 256 * 1024 });
    const onDisk = readFileSync(out);
    assert.equal(result.size, onDisk.length);
    assert.equal(result.treeHash, treeHash(onDisk));
    assert.equal(flushed.length, result.blocks.length);
    assert.deepEqual(flushed, [...flushed].sort((a, b) => a - b));
    assert.equal(flushed.at(-1), onDisk.length);
    assert.deepEqual(gunzipSync(onDisk), input);
  }),
);

test(
  'an empty input still makes a valid gzip file',
  withTmp('block-gzip', async (dir) => {
    const out = join(dir, 'empty.gz');
    const { result } = await blockGzip(Buffer.alloc(0), out, { level: 6 });
    execFileSync('gunzip', ['-t', out]);
    assert.equal(result.rawSize, 0);
    assert.deepEqual(result.blocks, [{ rawOffset: 0, gzOffset: 0, sha256: createHash('sha256').update(readFileSync(out)).digest('hex') }]);
  }),
);

test(
  'blocking costs under 2% of size against gzip -6 of the same tar of ~20 MB of text',
  withTmp('block-gzip', async (dir) => {
    const data = join(dir, 'text');
    mkdirSync(data);
    for (let i = 0; i < 20; i++) writeFileSync(join(data, `doc-${i}.txt`), pseudoText(1024 * 1024, 100 + i));
    execFileSync('tar', ['-C', data, '-cf', join(dir, 'text.tar'), '.']);
    const tar = readFileSync(join(dir, 'text.tar'));
    const gzipSize = execFileSync('gzip', ['-6', '-c', join(dir, 'text.tar')], { maxBuffer: 64 * 1024 * 1024 }).length;
    const { result } = await blockGzip(tar, join(dir, 'text.tar.gz'), { level: 6 }, 512 * 1024);
    const zlibSize = gzipSync(tar, { level: 6 }).length;
    const overhead = (result.size - gzipSize) / gzipSize;
    const pct = (n: number) => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(2)}%`;
    console.log(
      `block-gzip: ${result.size} bytes in ${result.blocks.length} blocks of 1 MiB for a ${tar.length}-byte tar of text; ` +
        `${pct(overhead)} against gzip -6 (${gzipSize} bytes), ${pct((result.size - zlibSize) / zlibSize)} against one zlib level-6 stream (${zlibSize} bytes)`,
    );
    assert.ok(overhead < 0.02, `overhead ${(overhead * 100).toFixed(2)}% is not under 2%`);
  }),
);

test(
  'incompressible blocks are stored, and GNU tar and gzip read the stored members like any other',
  withTmp('block-gzip', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    const r = mulberry32(11);
    const noise = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE(Math.floor(r() * 2 ** 32), i);
    writeFileSync(join(data, 'photo.jpg'), noise);
    writeFileSync(join(data, 'notes.txt'), pseudoText(2 * 1024 * 1024, 12));
    execFileSync('tar', ['-C', data, '-cf', join(dir, 'plain.tar'), '.']);
    const tar = readFileSync(join(dir, 'plain.tar'));
    const out = join(dir, 'out.tar.gz');
    const { result } = await blockGzip(tar, out, { level: 6, blockSize: 256 * 1024 });
    // the photo's 12 blocks (give or take the one it shares with a header or the text) are stored; no text block is
    assert.ok(result.storedBlocks >= 11 && result.storedBlocks <= 12, `${result.storedBlocks} of ${result.blocks.length} blocks stored`);
    // a stored member is the size of its input plus framing; deflate would have made the noise larger still
    assert.ok(result.size < tar.length, `${result.size} bytes out of ${tar.length}`);
    execFileSync('gzip', ['-t', out]);
    assert.deepEqual(execFileSync('gzip', ['-dc', out], { maxBuffer: 16 * 1024 * 1024 }), tar);
    mkdirSync(join(dir, 'x'));
    execFileSync('tar', ['-C', join(dir, 'x'), '-xzf', out]);
    assert.deepEqual(readFileSync(join(dir, 'x', 'photo.jpg')), noise);
    assert.deepEqual(readFileSync(join(dir, 'x', 'notes.txt')), readFileSync(join(data, 'notes.txt')));
  }),
);

test(
  'compressible data is never stored: no block of text, and a block of half noise half text is deflated',
  withTmp('block-gzip', async (dir) => {
    const r = mulberry32(13);
    const half = Buffer.alloc(512 * 1024);
    for (let i = 0; i < half.length; i += 4) half.writeUInt32LE(Math.floor(r() * 2 ** 32), i);
    const input = Buffer.concat([pseudoText(4 * 1024 * 1024, 14), half, pseudoText(512 * 1024, 15)]);
    const { result } = await blockGzip(input, join(dir, 'out.gz'), { level: 6, blockSize: 1024 * 1024 });
    assert.equal(result.storedBlocks, 0);
    const zlib6 = result.blocks.reduce((n, b, i) => n + gzipSync(input.subarray(b.rawOffset, result.blocks[i + 1]?.rawOffset ?? input.length), { level: 6 }).length, 0);
    assert.equal(result.size, zlib6);
  }),
);

test(
  'the output is byte-identical whatever the number of blocks compressing at once',
  withTmp('block-gzip', async (dir) => {
    const tar = makeTar(dir);
    const outputs = [];
    for (const maxInFlight of [1, 2, 5]) {
      const out = join(dir, `out-${maxInFlight}.tar.gz`);
      const { result } = await blockGzip(tar, out, { level: 6, blockSize: 64 * 1024, maxInFlight });
      outputs.push({ bytes: readFileSync(out), blocks: result.blocks });
    }
    for (const o of outputs.slice(1)) {
      assert.deepEqual(o.bytes, outputs[0].bytes);
      assert.deepEqual(o.blocks, outputs[0].blocks);
    }
  }),
);

test(
  'a block that compresses far worse than the one before comes out as zlib makes it alone (its output outgrows the buffer sized from the block before)',
  withTmp('block-gzip', async (dir) => {
    // runs of one letter (a few KiB of output per MiB), then bytes from 16 letters (about half their size), then runs again
    const r = mulberry32(21);
    const mixed = Buffer.from(Array.from({ length: 1024 * 1024 }, () => 97 + Math.floor(r() * 16)));
    const input = Buffer.concat([Buffer.alloc(2 * 1024 * 1024, 'a'), mixed, Buffer.alloc(1024 * 1024, 'b')]);
    const out = join(dir, 'out.gz');
    const { result } = await blockGzip(input, out, { level: 6, blockSize: 1024 * 1024, maxInFlight: 1 });
    assert.equal(result.storedBlocks, 0);
    const bytes = readFileSync(out);
    const members = result.blocks.map((b, i) => bytes.subarray(b.gzOffset, result.blocks[i + 1]?.gzOffset ?? bytes.length));
    assert.ok(members[2].length > 256 * 1024, `the mixed block deflates to ${members[2].length} bytes, more than the buffer its predecessor suggests`);
    members.forEach((m, i) => assert.deepEqual(m, gzipSync(input.subarray(result.blocks[i].rawOffset, result.blocks[i + 1]?.rawOffset ?? input.length), { level: 6 }), `member ${i}`));
  }),
);

test(
  'hashed on the hashing thread, from the start or from part-way, the file, block table and tree hash are those made on the writer\'s thread',
  withTmp('block-gzip', async (dir) => {
    // 1 MiB pieces of noise and of text in turn: stored and deflated blocks mixed
    const r = mulberry32(31);
    const pieces = [];
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 1) {
        pieces.push(pseudoText(1024 * 1024 + 333, 40 + i));
        continue;
      }
      const noise = Buffer.alloc(1024 * 1024);
      for (let k = 0; k < noise.length; k += 4) noise.writeUInt32LE(Math.floor(r() * 2 ** 32), k);
      pieces.push(noise);
    }
    const input = Buffer.concat(pieces);
    const runs = [];
    for (const threadAfter of [Infinity, 0, 3 * 1024 * 1024 + 5]) {
      // a thread that is ready: one started by the writer may not be, in a stream this short
      const thread = new OutputHashThread();
      thread.start();
      while (!thread.ready) await setTimeout(10);
      // the writer hands work to it from threadAfter on
      const out = join(dir, `out-${threadAfter}.gz`);
      const { result } = await blockGzip(input, out, { level: 6, blockSize: 256 * 1024, threadAfter, thread }, 77_777);
      runs.push({ bytes: readFileSync(out), result });
    }
    const [here, ...threaded] = runs;
    assert.ok(here.result.storedBlocks >= 30, `${here.result.storedBlocks} of ${here.result.blocks.length} blocks stored`);
    assert.equal(here.result.treeHash, treeHash(here.bytes));
    assert.deepEqual(gunzipSync(here.bytes), input);
    for (const t of threaded) {
      assert.deepEqual(t.bytes, here.bytes);
      assert.deepEqual(t.result, here.result);
    }
  }),
);

test(
  'what is written is fsync\'ed in the background while writing, and a background fsync that fails fails the output',
  withTmp('block-gzip', async (dir) => {
    const input = randomBytes(40 * 1024 * 1024);
    for (const failing of [false, true]) {
      const fh = await open(join(dir, `out-${failing}.gz`), 'w');
      const syncs: number[] = [];
      let written = 0;
      const output: BlockOutput = {
        write: async (buffer, offset, length, position) => {
          const r = await fh.write(buffer, offset, length, position);
          written = Math.max(written, position + r.bytesWritten);
          return r;
        },
        sync: async () => {
          syncs.push(written);
          if (failing && syncs.length === 1) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          await fh.sync();
        },
      };
      try {
        const w = new BlockGzipWriter(output, { level: 6 });
        const finished = (async () => {
          for (let i = 0; i < input.length; i += 1024 * 1024) await w.write(input.subarray(i, i + 1024 * 1024));
          return w.finish();
        })();
        if (failing) {
          await assert.rejects(finished, { code: 'EIO' });
        } else {
          const result = await finished;
          // one before the end at least, and the last one after every byte
          assert.ok(syncs.length >= 2 && syncs[0] < result.size, `syncs at ${syncs.join(', ')} of ${result.size}`);
          assert.equal(syncs.at(-1), result.size);
        }
        await w.close();
      } finally {
        await fh.close();
      }
    }
  }),
);
