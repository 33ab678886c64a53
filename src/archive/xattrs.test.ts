import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameFromBytes } from '../scan/name-bytes.js';
import { withTmp } from '../../test/helpers/with-tmp.js';
import { decodeXattrRecords, encodeXattrRecords, parseGetfattr, readXattrs, writeXattrs, type Xattr } from './xattrs.js';

test('SCHILY.xattr records round-trip binary values, and each record length counts its own digits', () => {
  const xattrs: Xattr[] = [
    { name: 'user.color', value: Buffer.from('blue') },
    { name: 'user.bytes', value: Buffer.from([0, 0xff, 0x0a, 0x3d]) },
    { name: 'user.long', value: Buffer.alloc(95, 'x') },
  ];
  const body = encodeXattrRecords(xattrs);
  assert.equal(body.toString('latin1', 0, 32), '32 SCHILY.xattr.user.color=blue\n');
  assert.deepEqual(decodeXattrRecords(body), xattrs);
  // other pax keywords are not attributes
  assert.deepEqual(decodeXattrRecords(Buffer.from('20 path=some/where\n')), []);
});

test('getfattr output is parsed into attributes by path, escaped names undone', () => {
  const into = new Map<string, Xattr[]>();
  parseGetfattr('# file: /d/a\\012b\nuser.one=0sYmx1ZQ==\nuser.two="text"\n\n# file: /d/c\nuser.x=0sAP8=\n', into);
  assert.deepEqual([...into.keys()], ['/d/a\nb', '/d/c']);
  assert.deepEqual(into.get('/d/a\nb'), [{ name: 'user.one', value: Buffer.from('blue') }, { name: 'user.two', value: Buffer.from('text') }]);
  assert.deepEqual(into.get('/d/c'), [{ name: 'user.x', value: Buffer.from([0, 0xff]) }]);
});

test("an attribute name holding '=' or '%' is written with GNU tar's keyword escapes and read back under its own name", () => {
  const xattrs: Xattr[] = [
    { name: 'user.with=eq', value: Buffer.from('1') },
    { name: 'user.pct%41', value: Buffer.from('2') },
  ];
  const body = encodeXattrRecords(xattrs);
  // the bytes `tar --xattrs --format=posix -c` (1.34) writes for these two attributes
  assert.equal(body.toString('latin1'), '33 SCHILY.xattr.user.with%3Deq=1\n32 SCHILY.xattr.user.pct%2541=2\n');
  assert.deepEqual(decodeXattrRecords(body), xattrs);
  // as GNU tar reads: a '%' not followed by 3D or 25 is kept
  assert.deepEqual(decodeXattrRecords(Buffer.from('31 SCHILY.xattr.user.a%41%3d=v\n')), [{ name: 'user.a%41%3d', value: Buffer.from('v') }]);
});

test(
  'attributes of a file whose name is not UTF-8, and an empty value, are read, and an empty value is written',
  withTmp('backup-xattrs', async (dir) => {
    const latin1 = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.of(0xe9)]);
    writeFileSync(latin1, 'x');
    // an argument from Node cannot hold the byte: setfattr gets the file as its descriptor 3
    const fd = openSync(latin1, 'r');
    execFileSync('setfattr', ['-n', 'user.color', '-v', 'blue', '/proc/self/fd/3'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    closeSync(fd);
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'y');
    execFileSync('setfattr', ['-n', 'user.empty', plain]);
    execFileSync('setfattr', ['-n', 'user.with=eq', '-v', 'v', plain]);
    const got = await readXattrs([nameFromBytes(latin1), plain, join(dir, 'gone')]);
    assert.deepEqual(got.get(nameFromBytes(latin1)), [{ name: 'user.color', value: Buffer.from('blue') }]);
    assert.deepEqual(got.get(plain), [{ name: 'user.empty', value: Buffer.alloc(0) }, { name: 'user.with=eq', value: Buffer.from('v') }]);
    assert.equal(got.size, 2);

    const copy = join(dir, 'copy');
    writeFileSync(copy, 'y');
    await writeXattrs(copy, got.get(plain) ?? []);
    assert.deepEqual((await readXattrs([copy])).get(copy), got.get(plain));
  }),
);
