import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isBackupError } from '../errors.js';
import { changeMadeEntry, RestoreTarget } from './restore-target.js';
import { prepareTarget } from '../restore/prepare-target.js';
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

test(
  'a symlink or a directory put where a missing target was to be made is refused (a symlink planted after the check was followed and the restore wrote into the directory it named)',
  withTmp('restore-target', async (dir) => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const plants: Array<[string, (to: string) => void]> = [
      ['to-link', (to) => symlinkSync(elsewhere, to)],
      ['to-dir', (to) => mkdirSync(to, 0o777)],
    ];
    for (const [name, plant] of plants) {
      const to = join(dir, name);
      const opts = await prepareTarget(to, false);
      plant(to);
      const target = new RestoreTarget(to, opts);
      try {
        await assert.rejects(
          target.writeFileEntry('planted.txt', Readable.from([Buffer.from('x')]), { mode: 0o644, mtime: 0 }),
          (err) => isBackupError(err, 'TARGET_NOT_EMPTY') && /appeared while the restore was starting/.test(err.message),
        );
      } finally {
        target.close();
      }
    }
    assert.deepEqual(readdirSync(elsewhere), []);
    assert.deepEqual(readdirSync(join(dir, 'to-dir')), []);
    // an existing target swapped for a symlink after the check is not followed either
    const swapped = join(dir, 'swapped');
    mkdirSync(swapped);
    const opts = await prepareTarget(swapped, false);
    const target = new RestoreTarget(swapped, opts);
    try {
      symlinkSync(elsewhere, `${swapped}.new`);
      rmdirSync(swapped);
      renameSync(`${swapped}.new`, swapped);
      await assert.rejects(target.writeFileEntry('planted.txt', Readable.from([Buffer.from('x')]), { mode: 0o644, mtime: 0 }));
    } finally {
      target.close();
    }
    assert.deepEqual(readdirSync(elsewhere), []);
    // a missing target is made, private, and restored into
    const made = join(dir, 'new', 'target');
    const fresh = new RestoreTarget(made, await prepareTarget(made, false));
    try {
      await fresh.writeFileEntry('a.txt', Readable.from([Buffer.from('x')]), { mode: 0o644, mtime: 0 });
    } finally {
      fresh.close();
    }
    assert.equal(statSync(made).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(made), ['a.txt']);
  }),
);
