import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBackupError } from '../errors.js';
import { checkMemberPath, resolveInside } from './safe-path.js';

const unsafe = (subject: string) => (err: unknown) => isBackupError(err, 'ARCHIVE_UNSAFE_PATH') && err.subject === subject && err.message.includes(subject);

test('absolute paths, ".." components, NUL bytes and empty components are refused, naming the member', () => {
  for (const p of ['/etc/passwd', '../evil', 'a/../../evil', 'a/..', 'a\0b', 'a//b', './a']) assert.throws(() => checkMemberPath(p), unsafe(p));
  for (const p of ['', 'a', 'a/b/c', '..a', 'a..', '.hidden/x', 'héllo wörld ✓.txt']) assert.doesNotThrow(() => checkMemberPath(p));
});

test('a path whose parent inside the target is a symlink is refused, wherever the link points', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-path-'));
  try {
    const target = join(dir, 'target');
    mkdirSync(join(target, 'real/sub'), { recursive: true });
    symlinkSync(join(dir, 'outside'), join(target, 'out'));
    symlinkSync('real', join(target, 'inside-link'));
    assert.equal(await resolveInside(target, 'real/sub/file'), join(target, 'real/sub/file'));
    assert.equal(await resolveInside(target, ''), target);
    await assert.rejects(resolveInside(target, 'out/file'), unsafe('out/file'));
    await assert.rejects(resolveInside(target, 'inside-link/sub/file'), unsafe('inside-link/sub/file'));
    // the last component may be a symlink: the caller replaces it and never follows it
    assert.equal(await resolveInside(target, 'out'), join(target, 'out'));
    // missing parents are fine: nothing there can be a link yet
    assert.equal(await resolveInside(target, 'new/dirs/file'), join(target, 'new/dirs/file'));
    // a regular file where a parent should be is left for the writer to replace
    writeFileSync(join(target, 'plain'), 'x');
    assert.equal(await resolveInside(target, 'plain/child'), join(target, 'plain/child'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
