/**
 * `backup archive get ID --to FILE` through the real binary against the bundled server: an
 * archive uploaded in parts by python3-boto (boto 2, Debian's /usr/bin/python3, the tool seed
 * users uploaded with for years; no description of ours) is retrieved byte-identical,
 * verified by tree hash, mode 0600; the first call starts the job and exits 4, the next
 * reuses it; an existing --to is refused (exit 2) and left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startOffsite, type Offsite } from './helpers/offsite.js';
import { runCli } from './helpers/run-cli.js';

const run = promisify(execFile);
const requirePeers = process.env.BACKUP_REQUIRE_PEERS === '1';
const BOTO2 = '/usr/bin/python3';

/** Multipart upload with boto 2's Layer1 (1 MiB parts, its own tree hashes). Prints JSON. */
const uploadPy = `
import sys, json, hashlib
from boto.glacier.layer1 import Layer1
from boto.regioninfo import RegionInfo
from boto.glacier.utils import tree_hash, chunk_hashes, bytes_to_hex
host, port, key, secret, vault, path = sys.argv[1:7]
g = Layer1(aws_access_key_id=key, aws_secret_access_key=secret, region=RegionInfo(name='us-east-1', endpoint=host), port=int(port), is_secure=False)
# boto 2 reads the SigV4 region from the host name; a loopback address has none
g._auth_handler.region_name = 'us-east-1'
g._auth_handler.service_name = 'glacier'
data = open(path, 'rb').read()
part = 1024 * 1024
uid = g.initiate_multipart_upload(vault, part, 'seed photos 2019 (boto 2)')['UploadId']
for start in range(0, len(data), part):
    p = data[start:start + part]
    g.upload_part(vault, uid, hashlib.sha256(p).hexdigest(), bytes_to_hex(tree_hash(chunk_hashes(p))).decode(), (start, start + len(p) - 1), p)
th = bytes_to_hex(tree_hash(chunk_hashes(data))).decode()
print(json.dumps({'archiveId': g.complete_multipart_upload(vault, uid, th, len(data))['ArchiveId'], 'treeHash': th}))
`;

/** `archive get [flags] -- ID` (Glacier IDs may begin with '-'), the config from BACKUP_CONFIG so nothing follows the ID. */
function get(w: Offsite, id: string, ...flags: string[]) {
  return runCli(['archive', 'get', ...flags, '--', id], { env: { ...w.env, BACKUP_CONFIG: w.config } });
}

test('archive get retrieves an archive python3-boto uploaded, byte-identical and 0600, reusing its job across invocations', async (t) => {
  try {
    await run(BOTO2, ['-c', 'import boto.glacier.layer1']);
  } catch (err) {
    const why = `${BOTO2} with boto 2 (Debian python3-boto) is not available (${(err as Error).message.split('\n')[0]})`;
    if (requirePeers) assert.fail(`${why}; BACKUP_REQUIRE_PEERS=1 requires it`);
    t.skip(why);
    return;
  }
  const w = await startOffsite();
  t.after(() => w.close());
  // the vault exists once the tool has used it
  assert.equal((await w.cli('vault', 'create')).code, 0);
  const bytes = randomBytes(3 * 1024 * 1024 + 12345);
  const src = join(w.root, 'foreign.bin');
  writeFileSync(src, bytes);
  const url = new URL(w.server.endpoint);
  const { stdout } = await run(BOTO2, ['-c', uploadPy, url.hostname, url.port, w.server.credentials.accessKeyId, w.server.credentials.secretAccessKey, 'test-vault', src]);
  const up = JSON.parse(stdout) as { archiveId: string; treeHash: string };

  const out = join(w.root, 'got.bin');
  let r = await get(w, up.archiveId, '--to', out, '--tier', 'Bulk');
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /retrieval job \S+ for archive .* is in progress \(started now;/);
  assert.equal(existsSync(out), false);

  r = await get(w, up.archiveId, '--to', out, '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${bytes.length} bytes, tree hash ${up.treeHash} \\(verified\\)`));
  assert.ok(readFileSync(out).equals(bytes));
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const db = new Database(join(w.stateDir, 'catalog.db'), { readonly: true });
  const jobs = db.prepare('SELECT tier FROM jobs WHERE archive_id = ?').pluck().all(up.archiveId);
  db.close();
  assert.deepEqual(jobs, ['Bulk'], 'the second call reused the Bulk job the first started');

  writeFileSync(join(w.root, 'taken'), 'mine\n');
  r = await get(w, up.archiveId, '--to', join(w.root, 'taken'), '--wait');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /taken already exists; remove it or choose another --to/);
  assert.equal(readFileSync(join(w.root, 'taken'), 'utf8'), 'mine\n');
});
