import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GzipInflater } from './gzip-inflater.js';

const text = (word: string, times: number) => Buffer.from(word.repeat(times));

test('GzipInflater inflates member after member into buffers used again only once given back', async () => {
  const inflater = new GzipInflater();
  try {
    const a = text('alpha ', 50_000);
    const b = text('bravo ', 50_000);
    const first = await inflater.inflate(gzipSync(a));
    assert.deepEqual(first.data, a);
    // not given back: the next member gets another buffer, and the first output stays as it was
    const second = await inflater.inflate(gzipSync(b));
    assert.deepEqual(second.data, b);
    assert.notEqual(second.data.buffer, first.data.buffer);
    assert.deepEqual(first.data, a);
    inflater.release(first);
    const third = await inflater.inflate(gzipSync(b));
    assert.equal(third.data.buffer, first.data.buffer, 'the given-back buffer is used again');
    assert.deepEqual(third.data, b);
  } finally {
    inflater.close();
  }
});

test('GzipInflater gives each member its exact output, whatever the sizes in turn: empty, small, incompressible, larger than the buffers so far', async () => {
  const inflater = new GzipInflater();
  try {
    for (const raw of [Buffer.alloc(0), text('x', 10), randomBytes(300_000), text('charlie ', 400_000), text('y', 100)]) {
      const o = await inflater.inflate(gzipSync(raw));
      assert.deepEqual(o.data, raw);
      inflater.release(o);
    }
  } finally {
    inflater.close();
  }
});

test('a damaged or cut member rejects with zlib error codes, and the inflater goes on with the next member', async () => {
  const inflater = new GzipInflater();
  try {
    const raw = text('delta ', 20_000);
    const gz = gzipSync(raw);
    const flipped = Buffer.from(gz);
    flipped[Math.floor(gz.length / 2)] ^= 0xff;
    await assert.rejects(inflater.inflate(flipped), (err: NodeJS.ErrnoException) => /^Z_/.test(err.code ?? ''));
    const badCrc = Buffer.from(gz);
    badCrc[gz.length - 8] ^= 0x01;
    await assert.rejects(inflater.inflate(badCrc), (err: NodeJS.ErrnoException) => err.code === 'Z_DATA_ERROR');
    await assert.rejects(inflater.inflate(gz.subarray(0, gz.length - 3)), (err: NodeJS.ErrnoException) => /^Z_/.test(err.code ?? ''));
    const o = await inflater.inflate(gz);
    assert.deepEqual(o.data, raw);
  } finally {
    inflater.close();
  }
});

test('GzipInflater inflates several members at once, each into its own buffer', async () => {
  const inflater = new GzipInflater();
  try {
    const raws = ['echo ', 'foxtrot ', 'golf ', 'hotel ', 'india '].map((w, i) => text(w, 30_000 + i * 1000));
    const outs = await Promise.all(raws.map((r) => inflater.inflate(gzipSync(r))));
    assert.deepEqual(
      outs.map((o) => o.data),
      raws,
    );
    assert.equal(new Set(outs.map((o) => o.data.buffer)).size, raws.length);
  } finally {
    inflater.close();
  }
});
