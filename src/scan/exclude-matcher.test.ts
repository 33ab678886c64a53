import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBackupError } from '../errors.js';
import { createExcludeMatcher } from './exclude-matcher.js';

test('no patterns exclude nothing, and the data directory itself is never excluded', () => {
  const none = createExcludeMatcher([]);
  assert.equal(none('a', false), false);
  const all = createExcludeMatcher(['**', '*']);
  assert.equal(all('', true), false);
  assert.equal(all('x', false), true);
});

test('a pattern without a slash matches a base name at any depth', () => {
  const m = createExcludeMatcher(['*.log', 'node_modules']);
  assert.equal(m('app.log', false), true);
  assert.equal(m('var/log/app.log', false), true);
  assert.equal(m('a/b/c/d.log', false), true);
  assert.equal(m('app.log.1', false), false);
  assert.equal(m('logs', true), false);
  assert.equal(m('node_modules', true), true);
  assert.equal(m('web/node_modules', true), true);
  assert.equal(m('web/node_modules_old', true), false);
  // a glob does not cross a slash
  assert.equal(m('x/app', false), false);
});

test('a pattern matching a directory excludes everything below it', () => {
  const m = createExcludeMatcher(['node_modules', 'build/out', 'cache/']);
  assert.equal(m('web/node_modules/pkg/index.js', false), true);
  assert.equal(m('build/out/a/b.bin', false), true);
  assert.equal(m('build/outer/a', false), false);
  assert.equal(m('x/cache/y/z', false), true);
});

test('a pattern with a slash is anchored at the data directory', () => {
  const m = createExcludeMatcher(['build/out', '/tmp', './secret.txt', 'docs/*.pdf', 'src/**/gen']);
  assert.equal(m('build/out', true), true);
  assert.equal(m('sub/build/out', true), false);
  assert.equal(m('tmp', true), true);
  assert.equal(m('tmp/x', false), true);
  assert.equal(m('a/tmp', true), false);
  assert.equal(m('secret.txt', false), true);
  assert.equal(m('a/secret.txt', false), false);
  assert.equal(m('docs/a.pdf', false), true);
  assert.equal(m('docs/sub/a.pdf', false), false);
  assert.equal(m('src/gen', true), true);
  assert.equal(m('src/a/b/gen/x.ts', false), true);
  assert.equal(m('lib/gen', true), false);
});

test('a trailing slash matches directories only', () => {
  const m = createExcludeMatcher(['cache/', 'data/tmp/']);
  assert.equal(m('cache', true), true);
  assert.equal(m('cache', false), false);
  assert.equal(m('a/cache', true), true);
  assert.equal(m('a/cache', false), false);
  // a file below an excluded directory is excluded through its ancestor
  assert.equal(m('a/cache/file', false), true);
  assert.equal(m('data/tmp', true), true);
  assert.equal(m('data/tmp', false), false);
  assert.equal(m('data/tmp/f', false), true);
});

test('globs match dotfiles, and dot names can be excluded by name', () => {
  const m = createExcludeMatcher(['*.tmp', '.cache', '.*.swp']);
  assert.equal(m('.hidden.tmp', false), true);
  assert.equal(m('home/.cache', true), true);
  assert.equal(m('home/.cache/x/y', false), true);
  assert.equal(m('src/.main.c.swp', false), true);
  assert.equal(m('src/main.c', false), false);
  const star = createExcludeMatcher(['dir/*']);
  assert.equal(star('dir/.env', false), true);
});

test('brace, class and extglob patterns work', () => {
  const m = createExcludeMatcher(['*.{o,a}', 'core.[0-9]*', '+(x|y).bak']);
  assert.equal(m('lib/m.o', false), true);
  assert.equal(m('lib/m.a', false), true);
  assert.equal(m('lib/m.c', false), false);
  assert.equal(m('core.1234', false), true);
  assert.equal(m('core.txt', false), false);
  assert.equal(m('xyx.bak', false), true);
});

test('matching is case-sensitive and works on unicode names', () => {
  const m = createExcludeMatcher(['Thumbs.db', 'Ünïcödé/']);
  assert.equal(m('pics/Thumbs.db', false), true);
  assert.equal(m('pics/thumbs.db', false), false);
  assert.equal(m('a/Ünïcödé/b', false), true);
});

test('an invalid pattern is a CONFIG_INVALID error that names it', () => {
  for (const bad of ['[abc', 'a{b', 'foo(', '[z-a]', 'a\\', '', '/', '!*.log', 'a/../b', 'a//b', 'x\0y']) {
    assert.throws(
      () => createExcludeMatcher(['ok', bad]),
      (err: unknown) => {
        assert.ok(isBackupError(err, 'CONFIG_INVALID'), `${JSON.stringify(bad)}: ${String(err)}`);
        assert.ok(err.message.startsWith(`exclude pattern ${JSON.stringify(bad)} is invalid: `), err.message);
        assert.ok(err.message.endsWith('; fix it in the config'), err.message);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
  }
});
