import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from './make-dirs.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

test('a directory below /proc fails with ENOENT at once (Node\'s recursive mkdir spun there forever: restore --to /proc/x, a stateDir or localDir there hung)', () => {
  assert.throws(() => makeDirs('/proc/no-such-dir/below'), { code: 'ENOENT' });
});

test(
  'makeDirs makes missing parents with the mode, accepts an existing directory or a symlink to one, and refuses a file in the way',
  withTmp('make-dirs', async (dir) => {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep, 0o700);
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700);
    assert.ok(statSync(deep).isDirectory());
    makeDirs(deep);
    symlinkSync(join(dir, 'a'), join(dir, 'link'));
    makeDirs(join(dir, 'link'));
    makeDirs(join(dir, 'link', 'new'));
    assert.ok(statSync(join(dir, 'a', 'new')).isDirectory());
    writeFileSync(join(dir, 'file'), '');
    assert.throws(() => makeDirs(join(dir, 'file')), { code: 'EEXIST' });
    assert.throws(() => makeDirs(join(dir, 'file', 'below')), { code: 'ENOTDIR' });
  }),
);
