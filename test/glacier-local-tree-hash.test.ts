/**
 * Tree-hash test vectors (0 B, 1 B, 1 MiB, 1 MiB+1, 3 MiB, 5 MiB+3) for the project's
 * tree hash, which glacier-local uses to verify uploads: checked against constants and,
 * live, against an independent hashlib implementation run by python3 — and against
 * what glacier-local reports for an upload of the same bytes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateVaultCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { TreeHasher, treeHash } from '../src/treehash/tree-hash.js';
import { describeWithPeers, MiB, pattern, runPython, startTestServer } from './glacier-local-helpers.js';
import type { TestServer } from './glacier-local-helpers.js';

/** Each vector's bytes are pattern(size, size + 1); hashes computed with Python's hashlib (and equal to botocore's calculate_tree_hash). */
const vectors: Array<{ name: string; size: number; hash: string }> = [
  { name: 'empty input', size: 0, hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  { name: '1 byte', size: 1, hash: '084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5' },
  { name: 'exactly 1 MiB', size: MiB, hash: '16dfdf502831b64ea53c89efc2887f63732892e3dff2597e3450e868e8d34cba' },
  { name: '1 MiB + 1', size: MiB + 1, hash: 'c147020ea59ec2f54315a37947e7ac77d33931a2e5d39a1975708b3400a0eacf' },
  { name: '3 MiB', size: 3 * MiB, hash: '668538872637cc8c52322d331d095206ea533ef092f4cdaec2afeb593b0fa2f3' },
  { name: '5 MiB + 3', size: 5 * MiB + 3, hash: '0c9219e379716e0635e79aa47ff74716dd449746c2005f7836c74a017c932338' },
];

/** An independent tree hash: Python's hashlib, 1 MiB leaves, pairs hashed level by level, a lone node carried up. */
const pythonTreeHash = `
import hashlib, json, sys
def tree_hash(data):
    mb = 1024 * 1024
    level = [hashlib.sha256(data[i:i + mb]).digest() for i in range(0, len(data), mb)] or [hashlib.sha256(b'').digest()]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0].hex()
paths = json.loads(sys.argv[1])
print(json.dumps({p: tree_hash(open(p, 'rb').read()) for p in paths}))
`;

for (const v of vectors) {
  test(`tree hash of ${v.name} matches the reference vector, whole and streamed in odd slices`, () => {
    const data = pattern(v.size, v.size + 1);
    assert.equal(treeHash(data), v.hash);
    const hasher = new TreeHasher();
    for (let i = 0; i < data.length; i += 777_777) hasher.update(data.subarray(i, i + 777_777));
    assert.equal(hasher.digest(), v.hash);
  });
}

describeWithPeers('tree-hash vectors cross-checked with python3 hashlib', ['python3'], () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glacier-local-vectors-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('python3 computes the same tree hash for every vector', async () => {
    const paths: string[] = [];
    for (const v of vectors) {
      const p = join(dir, `vector-${v.size}`);
      await writeFile(p, pattern(v.size, v.size + 1));
      paths.push(p);
    }
    const fromPython = await runPython<Record<string, string>>(pythonTreeHash, paths);
    vectors.forEach((v, i) => {
      assert.equal(fromPython[paths[i]], v.hash, `python3 disagrees on ${v.name}`);
      assert.equal(treeHash(pattern(v.size, v.size + 1)), fromPython[paths[i]]);
    });
  });
});

let server: TestServer;

test('glacier-local reports the vector tree hash for uploads of the non-empty vectors', async (t) => {
  server = await startTestServer();
  t.after(() => server.cleanup());
  await server.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'vectors' }));
  for (const v of vectors.filter((x) => x.size > 0)) {
    const body = pattern(v.size, v.size + 1);
    const out = await server.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'vectors', body, checksum: v.hash }));
    assert.equal(out.checksum, v.hash, v.name);
  }
});
