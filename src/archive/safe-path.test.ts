import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBackupError } from '../errors.js';
import { checkMemberPath } from './safe-path.js';

const unsafe = (subject: string) => (err: unknown) => isBackupError(err, 'ARCHIVE_UNSAFE_PATH') && err.subject === subject && err.message.includes(subject);

test('absolute paths, ".." components, NUL bytes and empty components are refused, naming the member', () => {
  for (const p of ['/etc/passwd', '../evil', 'a/../../evil', 'a/..', 'a\0b', 'a//b', './a']) assert.throws(() => checkMemberPath(p), unsafe(p));
  for (const p of ['', 'a', 'a/b/c', '..a', 'a..', '.hidden/x', 'héllo wörld ✓.txt']) assert.doesNotThrow(() => checkMemberPath(p));
});
