import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changeMadeEntry } from './restore-target.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

test(
  'a hard link another user put under the temporary name of a new FIFO or symlink is never changed (mknod -m and lchown/lutimes by name changed the linked file\'s mode and times)',
  withTmp('restore-target', async (dir) => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'elsewhere\n');
    chmodSync(victim, 0o666);
    utimesSync(victim, 978_307_200, 978_307_200);
    const planted = join(dir, '.backup-restore-1-1.tmp');
    linkSync(victim, planted);
    let called = false;
    for (const isMade of [(st: { isFIFO(): boolean }) => st.isFIFO(), () => true]) {
      assert.equal(
        changeMadeEntry(planted, isMade, () => (called = true)),
        false,
      );
    }
    assert.equal(changeMadeEntry(join(dir, 'gone'), () => true, () => (called = true)), false);
    assert.equal(called, false);
    const st = statSync(victim);
    assert.equal(st.mode & 0o7777, 0o666);
    assert.equal(st.mtimeMs, 978_307_200_000);
  }),
);

test(
  'a FIFO and a symlink this restore made are changed through their O_PATH descriptor: the symlink itself, never its target',
  withTmp('restore-target', async (dir) => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.ok(
      changeMadeEntry(fifo, (st) => st.isFIFO(), (self) => {
        chmodSync(self, 0o640);
        utimesSync(self, 1_000_000, 1_000_000);
      }),
    );
    assert.equal(lstatSync(fifo).mode & 0o7777, 0o640);
    assert.equal(lstatSync(fifo).mtimeMs, 1_000_000_000);
    const target = join(dir, 'target');
    writeFileSync(target, '');
    utimesSync(target, 978_307_200, 978_307_200);
    const link = join(dir, 'link');
    symlinkSync(target, link);
    assert.ok(changeMadeEntry(link, (st) => st.isSymbolicLink(), (self) => utimesSync(self, 1_000_000, 1_000_000)));
    assert.equal(lstatSync(link).mtimeMs, 1_000_000_000);
    assert.equal(statSync(target).mtimeMs, 978_307_200_000);
  }),
);
