import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MiB, treeHash } from '../src/treehash/tree-hash.js';
import { memoryJournal } from '../src/storage/memory-journal.js';
import { pseudoRandom, vaultFixture } from './vault-fixture.js';
import { peersRequired } from './helpers/peers.js';

const run = promisify(execFile);

/** Multipart upload with boto3, tree hashes by botocore (an independent implementation). Prints JSON. */
const uploadPy = `
import sys, io, json, boto3
from botocore.utils import calculate_tree_hash
endpoint, key, secret, region, vault, path, part_size = sys.argv[1:8]
part_size = int(part_size)
g = boto3.client('glacier', endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
data = open(path, 'rb').read()
up = g.initiate_multipart_upload(vaultName=vault, archiveDescription='uploaded by boto3', partSize=str(part_size))
uid = up['uploadId']
for start in range(0, len(data), part_size):
    part = data[start:start + part_size]
    g.upload_multipart_part(vaultName=vault, uploadId=uid, range='bytes %d-%d/*' % (start, start + len(part) - 1), body=part, checksum=calculate_tree_hash(io.BytesIO(part)))
whole = calculate_tree_hash(io.BytesIO(data))
done = g.complete_multipart_upload(vaultName=vault, uploadId=uid, archiveSize=str(len(data)), checksum=whole)
print(json.dumps({'archiveId': done['archiveId'], 'checksum': done['checksum'], 'treeHash': whole}))
`;

/** Tree hash of a file by botocore. */
const hashPy = `
import sys
from botocore.utils import calculate_tree_hash
print(calculate_tree_hash(open(sys.argv[1], 'rb')))
`;

async function havePython(): Promise<string | null> {
  try {
    await run('python3', ['-c', 'import boto3, botocore.utils']);
    return null;
  } catch (err) {
    return `python3 with boto3 is not available (${(err as Error).message.split('\n')[0]})`;
  }
}

test('an archive uploaded in parts by boto3 downloads byte-identical through our verified downloader', async (t) => {
  const missing = await havePython();
  if (missing) {
    if (peersRequired()) assert.fail(`${missing}; BACKUP_REQUIRE_PEERS=1 requires it`);
    t.skip(`${missing}; set BACKUP_REQUIRE_PEERS=1 to require this cross-check`);
    return;
  }
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(7 * MiB + 333, 51);
    const path = await fx.file('boto.bin', data);
    const { stdout } = await run('python3', ['-c', uploadPy, fx.server.endpoint, fx.server.credentials.accessKeyId, fx.server.credentials.secretAccessKey, fx.server.region, fx.config.name, path, String(2 * MiB)]);
    const up = JSON.parse(stdout) as { archiveId: string; checksum: string; treeHash: string };
    assert.equal(up.treeHash, treeHash(data), 'botocore and our tree hash agree');
    assert.equal(up.checksum, up.treeHash);

    const jobId = await fx.vault.initiateRetrieval({ archiveId: up.archiveId, tier: 'Expedited' });
    const job = await fx.vault.waitForJob(jobId, { initialMs: 5, maxMs: 20 });
    const out = join(fx.dir, 'boto.out');
    const res = await fx.vault.downloadJobOutput({ jobId, outPath: out, size: job.archiveSize!, expectedTreeHash: up.treeHash, chunkSize: MiB });
    assert.equal(res.treeHash, up.treeHash);
    assert.ok((await readFile(out)).equals(data));
  } finally {
    await fx.close();
  }
});

test('botocore computes the same tree hash as our uploader for an archive we uploaded', async (t) => {
  const missing = await havePython();
  if (missing) {
    if (peersRequired()) assert.fail(`${missing}; BACKUP_REQUIRE_PEERS=1 requires it`);
    t.skip(`${missing}; set BACKUP_REQUIRE_PEERS=1 to require this cross-check`);
    return;
  }
  const fx = await vaultFixture();
  try {
    const data = pseudoRandom(5 * MiB + 1, 52);
    const path = await fx.file('ours.bin', data);
    const res = await fx.vault.uploadArchive({ path, description: 'ours', journal: memoryJournal() });
    const { stdout } = await run('python3', ['-c', hashPy, path]);
    assert.equal(res.treeHash, stdout.trim());
  } finally {
    await fx.close();
  }
});
