/**
 * Regression: a file with two names whose directory is renamed between runs was stored
 * under its new name alone (renaming a directory leaves the file's ctime as it was, so its
 * other name was unchanged), and every restore of that point (the catalog's,
 * --from-archives, GNU tar's chain) made the new name an inode of its own: the names no
 * longer shared one file. The archive now takes the unchanged names along as hard links,
 * whichever name comes first in path order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { withTmp } from './helpers/with-tmp.js';

test(
  "a linked file's names stay one inode at every restore after its directory is renamed",
  withTmp('backup-link-rename', async (root) => {
    const data = join(root, 'data');
    const state = join(root, 'state');
    const config = join(root, 'backup.json');
    writeFileSync(config, JSON.stringify({ data, set: 'links', stateDir: state }));
    // "a/" sorts before "m/", "z/" after it: the new name comes first in one pair, last in the other
    for (const d of ['m', 'old1', 'old2']) mkdirSync(join(data, d), { recursive: true });
    writeFileSync(join(data, 'old1/f'), 'one\n');
    linkSync(join(data, 'old1/f'), join(data, 'm/f1'));
    writeFileSync(join(data, 'old2/f'), 'two\n');
    linkSync(join(data, 'old2/f'), join(data, 'm/f2'));
    const run = async () => {
      await new Promise((r) => setTimeout(r, 20));
      const r = await runCli(['run', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
    };
    await run();
    renameSync(join(data, 'old1'), join(data, 'a'));
    renameSync(join(data, 'old2'), join(data, 'z'));
    await run();

    const archives = (JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ localPath: string }> }).archives;
    const gnu = join(root, 'gnu');
    mkdirSync(gnu);
    for (const a of archives) execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', a.localPath], { cwd: gnu });
    const ours = join(root, 'ours');
    assert.equal((await runCli(['restore', '--config', config, '--to', ours])).code, 0);
    const fromArchives = join(root, 'from-archives');
    assert.equal((await runCli(['restore', '--from-archives', join(state, 'archives'), '--to', fromArchives])).code, 0);
    for (const [what, dir] of [['GNU tar', gnu], ['backup restore', ours], ['--from-archives', fromArchives]]) {
      for (const [a, b, content] of [['a/f', 'm/f1', 'one\n'], ['z/f', 'm/f2', 'two\n']]) {
        assert.equal(lstatSync(join(dir, a)).ino, lstatSync(join(dir, b)).ino, `${what}: ${a} and ${b} are one file`);
        assert.equal(readFileSync(join(dir, a), 'utf8'), content, `${what}: ${a}`);
      }
      assert.deepEqual(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean), ['a', 'm', 'z'], what);
    }
    const check = await runCli(['check', '--config', config]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  }),
);
