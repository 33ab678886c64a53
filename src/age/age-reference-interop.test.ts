/**
 * Interoperability with age's reference implementation for TypeScript (the npm package
 * age-encryption, a development dependency used only here) both ways, X25519, over payload
 * sizes around the 64 KiB chunk: files our writer makes decrypt with it, files it makes
 * decrypt with ours (whole and from a chunk counter, as ranged restores read them), and a
 * file of ours with one flipped ciphertext byte is refused by both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decrypter, Encrypter } from 'age-encryption';
import { mulberry32 } from '../random/mulberry32.js';
import { AgeFileWriter } from './age-file-writer.js';
import { generateIdentity, parseIdentities, parseRecipient } from './age-keys.js';
import { decryptAge, decryptChunks, openPrefix } from './decrypt-age.js';
import { CHUNK, SEALED_CHUNK, payloadLayout } from './age-stream.js';

const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345];

function randomData(n: number, seed: number): Buffer {
  const rnd = mulberry32(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

const { text: identityText, recipient } = generateIdentity(new Date(0));
const secretKey = identityText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;

test('files our writer makes decrypt with the reference implementation, and a flipped byte is refused by both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'age-reference-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const size of sizes) {
    const data = randomData(size, size + 1);
    const path = join(dir, `ours-${size}.age`);
    const fh = await open(path, 'w');
    const w = new AgeFileWriter(fh, [parseRecipient(recipient)]);
    await w.write(data, 0, data.length, 0);
    await w.finish();
    await fh.close();
    const d = new Decrypter();
    d.addIdentity(secretKey);
    const file = readFileSync(path);
    assert.deepEqual(Buffer.from(await d.decrypt(file)), data, `size ${size}`);
    if (size > 0) {
      const bad = Buffer.from(file);
      bad[bad.length - 20] ^= 1;
      await assert.rejects(d.decrypt(bad), `size ${size}: the reference implementation refuses the flipped byte`);
      await assert.rejects(collect(decryptAge(once(bad), parseIdentities(identityText))), `size ${size}: ours refuses it`);
    }
  }
});

test('files the reference implementation makes decrypt with ours, whole and from any chunk counter', async () => {
  for (const size of sizes) {
    const data = randomData(size, size + 7);
    const e = new Encrypter();
    e.addRecipient(recipient);
    const file = Buffer.from(await e.encrypt(data));
    assert.deepEqual(await collect(decryptAge(once(file), parseIdentities(identityText))), data, `size ${size}`);
    // a ranged read: the header's prefix opens the key, then chunks from counter `first` on
    const chunks = Math.max(1, Math.ceil(size / CHUNK));
    const prefixLength = file.length - (size + chunks * 16);
    const key = openPrefix(file.subarray(0, prefixLength), parseIdentities(identityText))!;
    const layout = payloadLayout(file.length, prefixLength)!;
    assert.equal(layout.plainSize, size);
    for (const first of [0, chunks - 1]) {
      const part = file.subarray(prefixLength + first * SEALED_CHUNK);
      const plain = await collect(decryptChunks(once(part), key, { counter: first, lastCounter: layout.chunks - 1 }));
      assert.deepEqual(plain, data.subarray(first * CHUNK), `size ${size} from chunk ${first}`);
    }
  }
});
