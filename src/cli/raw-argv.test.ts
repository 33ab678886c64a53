import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRawArgs } from './raw-argv.js';
import { nameToBytes } from '../scan/name-bytes.js';

const cmdline = (...args: Array<string | Buffer>) => Buffer.concat(args.flatMap((a) => [typeof a === 'string' ? Buffer.from(a) : a, Buffer.of(0)]));

test('an argument that is not valid UTF-8 gets its raw bytes back; node options before the script do not shift it', () => {
  const raw = Buffer.from('caf\xe9', 'latin1');
  const argv = ['/usr/bin/node', '/x/bin/backup', 'restore', '--path', raw.toString('utf8')];
  const out = withRawArgs(argv, cmdline('node', '--enable-source-maps', '/x/bin/backup', 'restore', '--path', raw));
  assert.deepEqual(nameToBytes(out[4]), raw);
  assert.deepEqual(out.slice(0, 4), argv.slice(0, 4));
});

test('a command line that does not line up with argv changes nothing', () => {
  const argv = ['/usr/bin/node', '/x/bin/backup', '--path', '\ufffd'];
  assert.deepEqual(withRawArgs(argv, cmdline('node', '/x/bin/backup', '--path', 'other')), argv);
  assert.deepEqual(withRawArgs(argv, undefined), argv);
});
