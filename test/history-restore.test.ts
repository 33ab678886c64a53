/**
 * The engine's end-to-end proof: a scripted 10-step history of a data directory, backed up
 * by the real `backup` binary after each step, then restored at every step both with
 * `backup restore` and with plain GNU tar (`tar -G -xzf` of the chain in order); every
 * restore must equal the data directory as it was at that step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, renameSync, unlinkSync, symlinkSync, chmodSync, utimesSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree, writeTree, type PathState } from './helpers/tree-snapshot.js';

const long = 'a-very-long-directory-name-that-goes-on-and-on-'.repeat(2);
const longFile = `${'file-with-a-name-longer-than-one-hundred-bytes-'.repeat(3)}.txt`;

// each step changes the data directory; the backup after it must capture exactly that state
const steps: Array<(d: string) => void> = [
  (d) =>
    writeTree(d, {
      'docs/readme.txt': 'hello\n',
      'docs/notes/n1.md': '# one\n'.repeat(100),
      'photos/2024/img1.jpg': Buffer.alloc(300_000, 7),
      'photos/2024/img2.jpg': Buffer.alloc(5000, 9),
      'empty-dir': { dir: true },
      'link-to-readme': { symlink: 'docs/readme.txt' },
      'héllo wörld ✓.txt': 'unicode\n',
      [`${long}/${longFile}`]: 'deep and long\n',
      'script.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
    }),
  (d) => {
    // a new file, and an edit that keeps the old mtime (as cp -p or rsync -t would)
    writeFileSync(join(d, 'docs/new.txt'), 'new file\n');
    const p = join(d, 'docs/readme.txt');
    const old = statSync(p);
    writeFileSync(p, 'HELLO\n');
    utimesSync(p, old.atime, old.mtime);
  },
  (d) => {
    unlinkSync(join(d, 'photos/2024/img2.jpg'));
    rmSync(join(d, 'docs/notes'), { recursive: true });
  },
  (d) => renameSync(join(d, 'photos/2024'), join(d, 'photos/twenty-four')),
  (d) => {
    // a file replaced by a directory
    unlinkSync(join(d, 'docs/new.txt'));
    mkdirSync(join(d, 'docs/new.txt'));
    writeFileSync(join(d, 'docs/new.txt/inside'), 'now a dir\n');
  },
  (d) => {
    // symlink retargeted, and a dangling one
    unlinkSync(join(d, 'link-to-readme'));
    symlinkSync('photos/twenty-four/img1.jpg', join(d, 'link-to-readme'));
    symlinkSync('does/not/exist', join(d, 'dangling'));
  },
  (d) => {
    chmodSync(join(d, 'script.sh'), 0o700);
    chmodSync(join(d, 'docs'), 0o750);
    chmodSync(join(d, 'héllo wörld ✓.txt'), 0o600);
  },
  (d) => {
    rmSync(join(d, 'empty-dir'), { recursive: true });
    mkdirSync(join(d, 'another/empty/dir'), { recursive: true });
  },
  (d) => {
    // the directory becomes a file again, and a unicode rename
    rmSync(join(d, 'docs/new.txt'), { recursive: true });
    writeFileSync(join(d, 'docs/new.txt'), 'a file again\n');
    renameSync(join(d, 'héllo wörld ✓.txt'), join(d, 'ünïcödé-renamed.txt'));
  },
  (d) => {
    writeFileSync(join(d, `${long}/${longFile}`), 'changed deep and long\n');
    writeFileSync(join(d, 'photos/twenty-four/img3.jpg'), Buffer.alloc(2_000_000, 3));
    rmSync(join(d, 'another'), { recursive: true });
  },
];

test('every step of a 10-step history restores exactly, with backup restore and with GNU tar', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-history-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  // no vault: local copies only; a full every 5 runs so the history spans two chains
  writeFileSync(config, JSON.stringify({ data, set: 'hist', stateDir: join(root, 'state'), archive: { fullEvery: 5, blockSizeKiB: 64 } }));

  const expected: Array<Record<string, PathState>> = [];
  for (const [i, step] of steps.entries()) {
    step(data);
    // ctime granularity: make sure the next step's changes land in a later tick
    await new Promise((r) => setTimeout(r, 20));
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 0, `run ${i + 1}: ${r.stderr}`);
    expected.push(snapshotTree(data));
  }

  const list = await runCli(['list', '--json', '--config', config]);
  const archives = JSON.parse(list.stdout).archives as Array<{ seq: number; level: number; localPath: string }>;
  assert.equal(archives.length, 10);
  assert.deepEqual(archives.map((a) => a.level), [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]);

  for (let k = 1; k <= 10; k++) {
    const to = join(root, `restore-${k}`);
    const r = await runCli(['restore', '--config', config, '--seq', String(k), '--to', to]);
    assert.equal(r.code, 0, `restore ${k}: ${r.stderr}`);
    assert.deepEqual(snapshotTree(to), expected[k - 1], `backup restore at step ${k}`);

    // plain GNU tar, run inside the empty target, archives of the chain in order
    const gnu = join(root, `gnu-${k}`);
    mkdirSync(gnu);
    const chainStart = archives.slice(0, k).map((a) => a.level).lastIndexOf(0);
    for (const a of archives.slice(chainStart, k)) {
      execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', a.localPath], { cwd: gnu });
    }
    assert.deepEqual(snapshotTree(gnu), expected[k - 1], `GNU tar restore at step ${k}`);

    // and from the archive files alone, without the catalog
    const fa = join(root, `from-archives-${k}`);
    const r2 = await runCli(['restore', '--from-archives', join(root, 'state', 'archives'), '--seq', String(k), '--to', fa]);
    assert.equal(r2.code, 0, `restore --from-archives ${k}: ${r2.stderr}`);
    assert.deepEqual(snapshotTree(fa), expected[k - 1], `restore --from-archives at step ${k}`);
  }
  assert.equal(readdirSync(join(root, 'state', 'staging')).length, 0, 'staging is empty after the runs');
});
