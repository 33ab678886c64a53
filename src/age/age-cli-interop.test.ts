/** Interoperability with the age CLI both ways: X25519 and ssh-ed25519 recipients, several recipients, empty and exact-chunk-multiple payloads, ranged decryption, damage. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { describeWithAge, runTool } from '../../test/helpers/age-cli.js';
import { mulberry32 } from '../random/mulberry32.js';
import { AgeFileWriter } from './age-file-writer.js';
import { generateIdentity, parseIdentities, parseRecipient, recipientOf, type AgeRecipient } from './age-keys.js';
import { AgeDamagedError, decryptAge, decryptChunks, openPrefix } from './decrypt-age.js';
import { CHUNK, SEALED_CHUNK, payloadLayout } from './age-stream.js';

function randomData(n: number, seed: number): Buffer {
  const rnd = mulberry32(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

/** One buffer as an async stream. */
async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

/** Encrypts `data` with our writer, in uneven writes, to a file; returns the path and the prefix length. */
async function encryptToFile(path: string, data: Buffer, recipients: AgeRecipient[]): Promise<{ prefix: Buffer; size: number }> {
  const fh = await open(path, 'w');
  try {
    const w = new AgeFileWriter(fh, recipients);
    let at = 0;
    for (let step = 1; at < data.length; step = (step * 7 + 3) % 100_003) {
      const n = Math.min(step + 1, data.length - at);
      await w.write(data, at, n, at);
      at += n;
    }
    const r = await w.finish();
    return { prefix: r.prefix, size: r.size };
  } finally {
    await fh.close();
  }
}

const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 12345];

describeWithAge('age CLI interoperability', () => {
  let dir: string;
  let keyFile: string;
  let recipient: string;
  let sshKey: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'age-interop-'));
    keyFile = join(dir, 'key.txt');
    runTool('age-keygen', ['-o', keyFile]);
    recipient = runTool('age-keygen', ['-y', keyFile]).toString().trim();
    sshKey = join(dir, 'id_ed25519');
    runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', sshKey]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('files we encrypt to an X25519 recipient decrypt with age -d, at every chunk boundary', async () => {
    for (const n of sizes) {
      const data = randomData(n, n + 1);
      const f = join(dir, `ours-${n}.age`);
      const r = await encryptToFile(f, data, [parseRecipient(recipient)]);
      assert.equal(r.size, readFileSync(f).length);
      assert.deepEqual(runTool('age', ['-d', '-i', keyFile, f]), data, `size ${n}`);
    }
  });

  test('files age encrypts to X25519 and ssh-ed25519 recipients decrypt with ours', async () => {
    const ids = parseIdentities(readFileSync(keyFile, 'utf8'));
    const sshIds = parseIdentities(readFileSync(sshKey, 'utf8'));
    for (const n of sizes) {
      const data = randomData(n, n + 7);
      const plain = join(dir, `plain-${n}`);
      writeFileSync(plain, data);
      const x = runTool('age', ['-e', '-r', recipient, plain]);
      assert.deepEqual(await collect(decryptAge(once(x), ids)), data, `X25519, size ${n}`);
      const s = runTool('age', ['-e', '-R', `${sshKey}.pub`, plain]);
      assert.deepEqual(await collect(decryptAge(once(s), sshIds)), data, `ssh-ed25519, size ${n}`);
    }
  });

  test('a file for several recipients decrypts with each of their keys, with age and with ours', async () => {
    const data = randomData(200_000, 3);
    const mine = generateIdentity(new Date());
    const myKey = join(dir, 'mine.txt');
    writeFileSync(myKey, mine.text);
    assert.equal(runTool('age-keygen', ['-y', myKey]).toString().trim(), mine.recipient);
    const f = join(dir, 'multi.age');
    await encryptToFile(f, data, [parseRecipient(recipient), parseRecipient(readFileSync(`${sshKey}.pub`, 'utf8')), parseRecipient(mine.recipient)]);
    for (const k of [keyFile, sshKey, myKey]) assert.deepEqual(runTool('age', ['-d', '-i', k, f]), data, k);
    const fromAge = runTool('age', ['-e', '-r', recipient, '-R', `${sshKey}.pub`, '-r', mine.recipient], data);
    for (const k of [keyFile, sshKey, myKey]) assert.deepEqual(await collect(decryptAge(once(fromAge), parseIdentities(readFileSync(k, 'utf8')))), data, k);
    const ids = parseIdentities(mine.text);
    assert.equal(ids[0].type === 'X25519' && recipientOf(ids[0]), mine.recipient);
  });

  test('any run of chunks decrypts on its own from its counter', async () => {
    const data = randomData(5 * CHUNK + 999, 11);
    const f = join(dir, 'ranged.age');
    const { prefix, size } = await encryptToFile(f, data, [parseRecipient(recipient)]);
    const layout = payloadLayout(size, prefix.length)!;
    assert.equal(layout.plainSize, data.length);
    assert.equal(layout.chunks, 6);
    const key = openPrefix(prefix, parseIdentities(readFileSync(keyFile, 'utf8')))!;
    const file = readFileSync(f);
    for (const [first, last] of [[0, 0], [1, 3], [4, 5], [5, 5]]) {
      const sealed = file.subarray(prefix.length + first * SEALED_CHUNK, Math.min(prefix.length + (last + 1) * SEALED_CHUNK, size));
      const plain = await collect(decryptChunks(once(sealed), key, { counter: first, lastCounter: layout.chunks - 1 }));
      assert.deepEqual(plain, data.subarray(first * CHUNK, Math.min((last + 1) * CHUNK, data.length)), `chunks ${first}-${last}`);
    }
  });

  test('a flipped byte, a truncation or a wrong key is refused before any of the damaged chunk is released', async () => {
    const data = randomData(3 * CHUNK, 5);
    const f = join(dir, 'damaged.age');
    const { prefix } = await encryptToFile(f, data, [parseRecipient(recipient)]);
    const ids = parseIdentities(readFileSync(keyFile, 'utf8'));
    const file = readFileSync(f);
    const flipped = Buffer.from(file);
    flipped[prefix.length + SEALED_CHUNK + 100] ^= 1;
    const released: Buffer[] = [];
    await assert.rejects(async () => {
      for await (const p of decryptAge(once(flipped), ids)) released.push(p);
    }, AgeDamagedError);
    assert.ok(Buffer.concat(released).length <= CHUNK, 'nothing from the damaged chunk on');
    await assert.rejects(collect(decryptAge(once(file.subarray(0, prefix.length + 2 * SEALED_CHUNK)), ids)), AgeDamagedError);
    const other = parseIdentities(generateIdentity(new Date()).text);
    await assert.rejects(collect(decryptAge(once(file), other)), /none of the identities/);
    assert.throws(() => runTool('age', ['-d', '-i', keyFile], flipped));
  });
});
