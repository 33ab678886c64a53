/**
 * Regression (issue 9 §2): an emptied or lost catalog while archives exist silently started
 * a new chain that reused sequence numbers and file names. Now the run refuses (exit 2) with
 * the recovery command, which adopts the archive files; and each chain's identity, in its
 * file names, keeps `--from-archives` from ever mixing two chains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';

interface Listed {
  archives: Array<{ seq: number; level: number; chainSeq: number; fileName: string; chainId: string | null }>;
}

function setup(root: string, name: string) {
  const data = join(root, `${name}-data`);
  mkdirSync(data);
  const state = join(root, `${name}-state`);
  const config = join(root, `${name}.json`);
  writeFileSync(config, JSON.stringify({ data, set: 'lost', stateDir: state, archive: { blockSizeKiB: 64 } }));
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  return { data, state, config, cli, archives: join(state, 'archives') };
}

test('a lost catalog with local copies left: the run refuses with exit 2 and the adopt command, which recovers every point', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-lost-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const s = setup(root, 'a');
  const expected: Array<Record<string, PathState>> = [];
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(s.data, `f${i}.txt`), `file ${i}\n`);
    assert.equal((await s.cli('run')).code, 0);
    expected.push(snapshotTree(s.data));
    await new Promise((r) => setTimeout(r, 20));
  }
  const files = readdirSync(s.archives).sort();
  for (const f of readdirSync(s.state)) if (f.startsWith('catalog.db')) rmSync(join(s.state, f));

  const refused = await s.cli('run');
  assert.equal(refused.code, 2, refused.stderr);
  const line = refused.stderr.trim().split('\n').filter((l) => l.startsWith('backup:'));
  assert.equal(line.length, 1, refused.stderr);
  assert.match(line[0], /does not know 2 archive file\(s\) of set "lost" .* "backup catalog rebuild --from-archives .*archives --config .*a\.json"/);
  assert.deepEqual(readdirSync(s.archives).sort(), files, 'no archive written');

  const cmd = /"(backup catalog rebuild [^"]+)"/.exec(line[0])![1].split(' ').slice(1);
  const adopted = await runCli(cmd);
  assert.equal(adopted.code, 0, adopted.stderr);
  writeFileSync(join(s.data, 'f2.txt'), 'file 2\n');
  const next = await s.cli('run');
  assert.equal(next.code, 0, next.stderr);
  expected.push(snapshotTree(s.data));

  const list = JSON.parse((await s.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(list.archives.map((a) => [a.seq, a.level]), [[1, 0], [2, 1], [3, 0]], 'numbering continues after the adopted archives, with a new full');
  assert.notEqual(list.archives[2].chainId, list.archives[0].chainId);
  assert.equal(list.archives[0].chainId, list.archives[1].chainId);
  for (let k = 1; k <= 3; k++) {
    const to = join(root, `restore-${k}`);
    const r = await s.cli('restore', '--seq', String(k), '--to', to);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotTree(to), expected[k - 1], `point ${k}`);
  }
});

test('--from-archives never mixes two chains whose sequence numbers overlap', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-chains-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const a = setup(root, 'a');
  const b = setup(root, 'b');
  writeFileSync(join(a.data, 'only-in-a.txt'), 'a\n');
  writeFileSync(join(b.data, 'only-in-b.txt'), 'b\n');
  assert.equal((await a.cli('run')).code, 0);
  assert.equal((await b.cli('run')).code, 0);
  await new Promise((r) => setTimeout(r, 1100)); // file names carry whole seconds
  writeFileSync(join(a.data, 'a2.txt'), 'a2\n');
  assert.equal((await a.cli('run')).code, 0);
  await new Promise((r) => setTimeout(r, 1100));
  writeFileSync(join(b.data, 'b2.txt'), 'b2\n');
  assert.equal((await b.cli('run')).code, 0);
  const both = join(root, 'both');
  cpSync(a.archives, both, { recursive: true });
  cpSync(b.archives, both, { recursive: true });
  assert.equal(readdirSync(both).length, 4);

  const latest = join(root, 'latest');
  const r = await runCli(['restore', '--from-archives', both, '--to', latest]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshotTree(latest), snapshotTree(b.data), 'the newest chain alone');

  const ambiguous = await runCli(['restore', '--from-archives', both, '--seq', '2', '--to', join(root, 'x')]);
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /2 archives of different chains have sequence 2/);
});
