/**
 * The engine's end-to-end proof: a scripted 10-step history of a data directory, backed up
 * by the real `backup` binary after each step, then restored at every step both with
 * `backup restore` and with plain GNU tar (`tar -G -xzf` of the chain in order); every
 * restore must equal the data directory as it was at that step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';
import { historySteps } from './helpers/history-steps.js';

test('every step of a 10-step history restores exactly, with backup restore and with GNU tar', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-history-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  // no vault: local copies only; a full every 5 runs so the history spans two chains
  writeFileSync(config, JSON.stringify({ data, set: 'hist', stateDir: join(root, 'state'), archive: { fullEvery: 5, blockSizeKiB: 64 } }));

  const expected: Array<Record<string, PathState>> = [];
  for (const [i, step] of historySteps.entries()) {
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

    // the catalog alone lists the same tree
    const ls = JSON.parse((await runCli(['ls', '--json', '--seq', String(k), '--config', config])).stdout) as { entries: Array<{ path: string; type: string }> };
    assert.deepEqual(ls.entries.map((e) => e.path).sort(), Object.keys(expected[k - 1]).sort(), `backup ls at step ${k}`);

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
