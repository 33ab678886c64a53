import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeXattrRecords, encodeXattrRecords, parseGetfattr, type Xattr } from './xattrs.js';

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
