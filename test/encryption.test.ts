/**
 * Client-side encryption with age, end to end through the real binary: every archive and
 * catalog snapshot is a standard age file that the age CLI and GNU tar alone restore at
 * every point; `backup restore` (whole and --path) matches, from local copies and from the
 * vault; a one-file restore retrieves only the age chunks holding it (MiB-aligned, at most the file + 2 MiB); the
 * catalog is rebuilt from an encrypted snapshot; no file name is stored in the clear; a
 * wrong identity, a damaged chunk and a bad recipient fail as documented.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeWithAge, runTool } from './helpers/age-cli.js';
import { startOffsite, type Offsite } from './helpers/offsite.js';
import { historySteps } from './helpers/history-steps.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';

const MiB = 1024 * 1024;
const SECRET_NAME = 'quokka-ledger-zanzibar';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => join(dir, p)).filter((p) => statSync(p).isFile());
}

/** A world with an age key (written by `backup key generate`), an ssh-ed25519 key, and a config encrypting to both. */
async function encryptedWorld(opts: { keepLocalCopy: boolean; uploadCatalog?: boolean; blockSizeKiB?: number }): Promise<Offsite & { key: string; sshKey: string }> {
  const o = await startOffsite({ archive: { keepLocalCopy: opts.keepLocalCopy, blockSizeKiB: opts.blockSizeKiB ?? 64 }, vault: { uploadCatalog: opts.uploadCatalog ?? true } });
  const key = join(o.root, 'keys', 'age.key');
  const gen = await o.cli('key', 'generate', '--out', key);
  assert.equal(gen.code, 0, gen.stderr);
  const recipient = gen.stdout.trim();
  assert.equal(statSync(key).mode & 0o777, 0o600);
  assert.equal(runTool('age-keygen', ['-y', key]).toString().trim(), recipient);
  const sshKey = join(o.root, 'keys', 'id_ed25519');
  runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'drill', '-f', sshKey]);
  const config = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
  config.encryption = { recipients: [recipient, readFileSync(`${sshKey}.pub`, 'utf8').trim()], identityFile: key };
  writeFileSync(o.config, JSON.stringify(config));
  assert.equal((await o.cli('vault', 'create')).code, 0);
  return Object.assign(o, { key, sshKey });
}

describeWithAge('encrypted backups', () => {
  test('an encrypted history restores at every point with age -d | tar -G and with backup restore; nothing stored names a file', async (t) => {
    const o = await encryptedWorld({ keepLocalCopy: true });
    t.after(() => o.close());
    const expected: Array<Record<string, PathState>> = [];
    for (const [i, step] of historySteps.slice(0, 5).entries()) {
      step(o.data);
      if (i === 0) writeFileSync(join(o.data, 'docs', `${SECRET_NAME}.txt`), 'the ledger\n'.repeat(5000));
      await new Promise((r) => setTimeout(r, 20));
      const r = await o.cli('run');
      assert.equal(r.code, 0, `run ${i + 1}: ${r.stderr}`);
      expected.push(snapshotTree(o.data));
    }
    const list = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ seq: number; level: number; fileName: string; localPath: string }> };
    assert.deepEqual(list.archives.map((a) => a.level), [0, 1, 2, 3, 4]);
    for (const a of list.archives) assert.match(a.fileName, /\.tar\.gz\.age$/);

    for (let k = 1; k <= 5; k++) {
      // the age CLI and GNU tar alone, in chain order; half the points with the ssh key
      const byTar = join(o.root, `tar-${k}`);
      mkdirSync(byTar);
      for (const a of list.archives.slice(0, k)) {
        const plain = runTool('age', ['-d', '-i', k % 2 ? o.key : o.sshKey, a.localPath]);
        execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', '-', '-C', byTar], { input: plain });
      }
      assert.deepEqual(snapshotTree(byTar), expected[k - 1], `age + tar at point ${k}`);
      const ours = join(o.root, `ours-${k}`);
      const r = await o.cli('restore', '--seq', String(k), '--to', ours);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshotTree(ours), expected[k - 1], `backup restore at point ${k}`);
    }
    const one = join(o.root, 'one');
    const r = await o.cli('restore', '--to', one, '--path', `docs/${SECRET_NAME}.txt`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(one, 'docs', `${SECRET_NAME}.txt`), 'utf8'), 'the ledger\n'.repeat(5000));
    const fromArchives = join(o.root, 'from-archives');
    const fa = await o.cli('restore', '--from-archives', join(o.stateDir, 'archives'), '--to', fromArchives);
    assert.equal(fa.code, 0, fa.stderr);
    assert.deepEqual(snapshotTree(fromArchives), expected[4]);

    // backup check re-hashes the encrypted copies and, with the identity, reads their members back through every chunk
    const check = await o.cli('check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok: 5 archive\(s\) in the catalog, 5 local copies verified/);

    // every byte stored (local copies, the vault server's files) is free of file names
    const stored = [...filesUnder(join(o.stateDir, 'archives')), ...filesUnder(join(o.root, 'vault-server'))];
    assert.ok(stored.length >= 6, stored.join(' '));
    for (const f of stored) {
      const bytes = readFileSync(f);
      for (const name of [SECRET_NAME, 'readme.txt', 'img1.jpg']) assert.equal(bytes.indexOf(name), -1, `${name} appears in ${f}`);
    }
  });

  test('from the vault: a one-file restore retrieves at most the file + 2 MiB (the MiB-aligned age chunks up to the file\'s end in its gzip block); whole restores and a catalog rebuilt from an encrypted snapshot match', async (t) => {
    const o = await encryptedWorld({ keepLocalCopy: false, blockSizeKiB: 1024 });
    t.after(() => o.close());
    mkdirSync(join(o.data, 'photos'));
    for (let i = 0; i < 12; i++) writeFileSync(join(o.data, 'photos', `img-${String(i).padStart(2, '0')}.jpg`), randomBytes(2 * MiB));
    const wanted = randomBytes(300_000);
    writeFileSync(join(o.data, 'photos', 'img-05.jpg'), wanted);
    assert.equal((await o.cli('run')).code, 0);
    writeFileSync(join(o.data, 'photos', 'late.txt'), 'added later\n');
    assert.equal((await o.cli('run')).code, 0);
    const expected = snapshotTree(o.data);

    const before = o.server.stats()['GetJobOutput.bytesSent'] ?? 0;
    const to = join(o.root, 'one-file');
    const r = await o.cli('restore', '--to', to, '--path', 'photos/img-05.jpg', '--wait', '--json');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { files: number; retrievedBytes: number; chainBytes: number };
    assert.equal(result.files, 1);
    assert.deepEqual(readFileSync(join(to, 'photos', 'img-05.jpg')), wanted);
    const served = (o.server.stats()['GetJobOutput.bytesSent'] ?? 0) - before;
    t.diagnostic(`one 300,000-byte file: retrieved ${result.retrievedBytes} bytes of the chain's ${result.chainBytes}`);
    // the age chunks from the start of the file's 1 MiB gzip block only as far into it as
    // inflating to the file's end needs, rounded out to whole MiB: at most the file + 2 MiB
    // (whole blocks would take 3 MiB here: chunk rounding pushes the block's end past a MiB boundary)
    assert.ok(result.retrievedBytes <= wanted.length + 2 * MiB, `retrieved ${result.retrievedBytes}`);
    assert.ok(served <= wanted.length + 2 * MiB, `served ${served}`);
    assert.ok(result.retrievedBytes < result.chainBytes / 7);

    const whole = join(o.root, 'whole');
    const w = await o.cli('restore', '--to', whole, '--wait');
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(snapshotTree(whole), expected);

    // the machine is lost: the catalog comes back from the encrypted snapshot, with the identity
    rmSync(o.stateDir, { recursive: true, force: true });
    assert.equal((await o.cli('inventory', 'request')).code, 0);
    const rb = await o.cli('catalog', 'rebuild', '--from-inventory', '--wait');
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, /from the newest catalog snapshot: 2 archives/);
    const after = join(o.root, 'after-rebuild');
    const ar = await o.cli('restore', '--to', after, '--path', 'photos/late.txt', '--wait');
    assert.equal(ar.code, 0, ar.stderr);
    assert.equal(readFileSync(join(after, 'photos', 'late.txt'), 'utf8'), 'added later\n');
  });

  test('a wrong or missing identity exits 2 naming the file; a damaged chunk exits 1 naming the archive; nothing of it is written', async (t) => {
    const o = await encryptedWorld({ keepLocalCopy: true, uploadCatalog: false });
    t.after(() => o.close());
    writeFileSync(join(o.data, 'big.bin'), randomBytes(400_000));
    assert.equal((await o.cli('run')).code, 0);
    const a = (JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ localPath: string }> }).archives[0];

    const original = readFileSync(o.key);
    const other = join(o.root, 'other.key');
    assert.equal((await o.cli('key', 'generate', '--out', other)).code, 0);
    writeFileSync(o.key, readFileSync(other));
    const wrong = await o.cli('restore', '--to', join(o.root, 'wrong'));
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, new RegExp(`identity file ${o.key} cannot open archive 1`));
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    rmSync(o.key);
    const missing = await o.cli('restore', '--to', join(o.root, 'missing'));
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`identity file ${o.key} cannot be read`));
    writeFileSync(o.key, original, { mode: 0o600 });

    const bytes = readFileSync(a.localPath);
    bytes[bytes.length - 70_000] ^= 0x40;
    writeFileSync(a.localPath, bytes);
    const check = await o.cli('check');
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /archive 1: local copy .*tree hash differs/);
    // from the catalog the damaged local copy is found out before use and the archive comes from the vault
    const to = join(o.root, 'damaged');
    const d = await o.cli('restore', '--to', to, '--wait');
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /is damaged .*retrieving the archive from (the vault|offsite storage) instead/);
    assert.deepEqual(snapshotTree(to), snapshotTree(o.data));
    // the archive files alone: the damaged chunk fails authentication and nothing from it is written
    const fa = await o.cli('restore', '--from-archives', join(o.stateDir, 'archives'), '--to', join(o.root, 'damaged-fa'));
    assert.equal(fa.code, 1, fa.stderr);
    assert.match(fa.stderr, /\.tar\.gz\.age\) is damaged: chunk \d+ .*does not authenticate/);
    const partial = join(o.root, 'damaged-fa', 'big.bin');
    assert.ok(!existsSync(partial) || readFileSync(partial).length < 400_000 - 64 * 1024, 'nothing from the damaged chunk on');
  });

  test('turning encryption on or off starts a new full chain; a bad recipient exits 2 before anything is written', async (t) => {
    const o = await startOffsite({ vault: { uploadCatalog: false } });
    t.after(() => o.close());
    writeFileSync(join(o.data, 'a.txt'), 'a\n');
    const config = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
    config.encryption = { recipients: ['age1notarealrecipient'] };
    writeFileSync(o.config, JSON.stringify(config));
    const bad = await o.cli('run');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /encryption\.recipients\.0: .*age1/);
    assert.ok(!existsSync(o.stateDir), 'nothing was written');

    delete config.encryption;
    writeFileSync(o.config, JSON.stringify(config));
    assert.equal((await o.cli('vault', 'create')).code, 0);
    assert.equal((await o.cli('run')).code, 0);
    assert.equal((await o.cli('run')).code, 0);
    const key = join(o.root, 'age.key');
    const recipient = (await o.cli('key', 'generate', '--out', key)).stdout.trim();
    config.encryption = { recipients: [recipient], identityFile: key };
    writeFileSync(o.config, JSON.stringify(config));
    const on = await o.cli('run');
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout + on.stderr, /encryption was turned on/);
    assert.equal((await o.cli('run')).code, 0);
    delete config.encryption;
    writeFileSync(o.config, JSON.stringify(config));
    const off = await o.cli('run');
    assert.equal(off.code, 0, off.stderr);
    const list = JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ level: number; fileName: string }> };
    assert.deepEqual(list.archives.map((a) => [a.level, a.fileName.endsWith('.age')]), [[0, false], [1, false], [0, true], [1, true], [0, false]]);
  });
});
