/**
 * Encryption with age on S3, end to end through the real binary, against the bundled
 * server's S3 side and against moto_server: a full and an incremental run with no local
 * copies; every stored object (data in DEEP_ARCHIVE, catalog snapshots in GLACIER_IR) is an
 * age file, and no key, metadata or byte of any of them names a file; whole and --path
 * restores after RestoreObject are exact; with the state directory lost, the catalog comes
 * back from the encrypted snapshot with the identity (exit 2 naming the file without it),
 * and restores are exact again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startGlacierLocal } from '../src/glacier-local/start-glacier-local.js';
import { describeWithAge } from './helpers/age-cli.js';
import { startMotoServer } from './helpers/moto-server.js';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree } from './helpers/tree-snapshot.js';
import { awsEnv } from './helpers/aws-env.js';

const MiB = 1024 * 1024;
const SECRET_NAME = 'wombat-invoice-kathmandu';
const NAMES = [SECRET_NAME, 'holiday.jpg', 'notes'];

interface Peer {
  name: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Where the peer keeps what it stores, when it is on this machine's disk. */
  dir?: string;
  close(): Promise<void>;
}

const peers: Array<[string, () => Promise<Peer>]> = [
  [
    'the bundled server',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 's3-age-peer-'));
      const server = await startGlacierLocal({ dir });
      return { name: 'bundled', endpoint: server.endpoint, credentials: server.credentials, dir, close: async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
  [
    'moto_server',
    async () => {
      const m = await startMotoServer();
      return { name: 'moto', endpoint: m.endpoint, credentials: m.credentials, close: () => m.close() };
    },
  ],
];

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => join(dir, p)).filter((p) => statSync(p).isFile());
}

describeWithAge('encrypted backups on S3', () => {
  for (const [label, start] of peers) {
    test(`age on S3 (${label}): full + incremental, nothing stored names a file, whole and --path restores exact, catalog rebuilt from the encrypted snapshot with the identity`, async (t) => {
      const peer = await start();
      t.after(() => peer.close());
      const root = mkdtempSync(join(tmpdir(), `s3-age-${peer.name}-`));
      t.after(() => rmSync(root, { recursive: true, force: true }));
      const data = join(root, 'data');
      const stateDir = join(root, 'state');
      mkdirSync(join(data, 'notes'), { recursive: true });
      const env: NodeJS.ProcessEnv = awsEnv(peer.credentials);
      const config = join(root, 'backup.json');
      const key = join(root, 'keys', 'age.key');
      const cli = (...args: string[]) => runCli([...args, '--config', config], { env });
      const base = { data, set: 'ageset', stateDir, archive: { blockSizeKiB: 64, keepLocalCopy: false, level: 1 }, s3: { bucket: 'backups', prefix: 'pre/', endpoint: peer.endpoint, partSizeMiB: 5, concurrency: 2, maxRetries: 3 } };
      writeFileSync(config, JSON.stringify(base));
      const gen = await cli('key', 'generate', '--out', key);
      assert.equal(gen.code, 0, gen.stderr);
      writeFileSync(config, JSON.stringify({ ...base, encryption: { recipients: [gen.stdout.trim()], identityFile: key } }));
      const s3 = new S3Client({ endpoint: peer.endpoint, region: 'us-east-1', credentials: peer.credentials, forcePathStyle: true });
      t.after(() => s3.destroy());
      await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));

      writeFileSync(join(data, 'notes', `${SECRET_NAME}.txt`), 'the invoice\n'.repeat(4000));
      writeFileSync(join(data, 'holiday.jpg'), randomBytes(3 * MiB));
      let r = await cli('run');
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(data, 'notes', `${SECRET_NAME}.txt`), 'the invoice, paid\n'.repeat(4000));
      writeFileSync(join(data, 'notes', 'later.txt'), 'added later\n');
      r = await cli('run');
      assert.equal(r.code, 0, r.stderr);
      const expected = snapshotTree(data);

      // whole restore: RestoreObject on both data objects, then ranged GETs decrypted chunk by chunk
      const whole = join(root, 'whole');
      r = await cli('restore', '--to', whole, '--wait');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotTree(whole), expected);
      const one = join(root, 'one');
      r = await cli('restore', '--to', one, '--path', `notes/${SECRET_NAME}.txt`, '--wait');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(join(one, 'notes')), [`${SECRET_NAME}.txt`]);
      assert.equal(readFileSync(join(one, 'notes', `${SECRET_NAME}.txt`), 'utf8'), 'the invoice, paid\n'.repeat(4000));

      // every stored object is an age file; its key, metadata and bytes name no file
      const objects = (await s3.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? [];
      const dataKeys = objects.map((o) => o.Key!).filter((k) => /^pre\/ageset\/\d{6}-L\d-/.test(k));
      const snapshotKeys = objects.map((o) => o.Key!).filter((k) => k.startsWith('pre/ageset/catalog/'));
      assert.equal(dataKeys.length, 2, JSON.stringify(objects.map((o) => o.Key)));
      assert.ok(snapshotKeys.length >= 1);
      for (const k of [...dataKeys, ...snapshotKeys]) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: k }));
        const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'backups', Key: k }))).Body!.transformToByteArray());
        assert.equal(body.subarray(0, 22).toString('latin1'), 'age-encryption.org/v1\n', `${k} is an age file`);
        for (const name of NAMES) {
          assert.ok(!k.includes(name) && !JSON.stringify(head.Metadata ?? {}).includes(name), `${name} in the key or metadata of ${k}`);
          assert.equal(body.indexOf(name), -1, `${name} appears in ${k}`);
        }
      }
      // and, where the peer's files are on this disk, in none of them either (multipart parts, metadata, indexes)
      for (const f of peer.dir ? filesUnder(peer.dir) : []) {
        const bytes = readFileSync(f);
        for (const name of NAMES) assert.equal(bytes.indexOf(name), -1, `${name} appears in ${f}`);
      }

      // the machine is lost: without the identity the encrypted snapshot cannot be read (exit 2, naming the file)
      rmSync(stateDir, { recursive: true, force: true });
      renameSync(key, `${key}.away`);
      r = await cli('catalog', 'rebuild', '--from-inventory');
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      renameSync(`${key}.away`, key);
      rmSync(stateDir, { recursive: true, force: true });
      r = await cli('catalog', 'rebuild', '--from-inventory');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /from the newest catalog snapshot: 2 archives/);
      const after = join(root, 'after-rebuild');
      r = await cli('restore', '--to', after, '--wait');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotTree(after), expected);
      const afterOne = join(root, 'after-rebuild-one');
      r = await cli('restore', '--to', afterOne, '--path', 'notes/later.txt', '--wait');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(afterOne, 'notes', 'later.txt'), 'utf8'), 'added later\n');
    });
  }
});
