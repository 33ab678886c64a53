import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Header } from 'tar';
import { encodeGnuHeader, headerChecksum, paddingFor, type GnuHeaderFields } from './gnu-header.js';

const base: GnuHeaderFields = { name: './a.txt', mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1_700_000_000, typeflag: '0' };

/** Lists a tar made of the given blocks with GNU tar (numeric owners, UTC). */
function gnuList(blocks: Buffer[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gnu-header-'));
  try {
    const file = join(dir, 'a.tar');
    writeFileSync(file, Buffer.concat([...blocks, Buffer.alloc(1024)]));
    return execFileSync('tar', ['--numeric-owner', '-tvf', file], { env: { ...process.env, TZ: 'UTC' } }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a header carries the GNU magic and a checksum GNU tar and node-tar accept', () => {
  const [block] = encodeGnuHeader(base);
  assert.equal(block.length, 512);
  assert.equal(block.toString('latin1', 257, 265), 'ustar  \0');
  assert.equal(block.toString('latin1', 148, 156), `${headerChecksum(block).toString(8).padStart(6, '0')}\0 `);
  const h = new Header(block);
  assert.equal(h.cksumValid, true);
  assert.equal(h.path, './a.txt');
  assert.equal(h.mode, 0o644);
  assert.equal(h.uid, 1000);
  assert.equal(h.size, 5);
  assert.equal(h.mtime?.getTime(), 1_700_000_000_000);
  const body = Buffer.alloc(512);
  body.write('hello');
  assert.match(gnuList([block, body]), /^-rw-r--r-- 1000\/100 +5 2023-11-14 22:13 \.\/a\.txt$/m);
});

test('mode bits above 0o7777 are dropped, so GNU tar never reads the header as old-GNU', () => {
  const [block] = encodeGnuHeader({ ...base, mode: 0o100755 });
  assert.equal(block.toString('latin1', 100, 108), '0000755\0');
});

test('a name of exactly 100 bytes stays in the header; a longer one gets a ././@LongLink L member', () => {
  const name100 = `./${'n'.repeat(98)}`;
  assert.equal(encodeGnuHeader({ ...base, name: name100, size: 0 }).length, 1);
  const long = `./${'dir-ü/'.repeat(30)}file`;
  const blocks = encodeGnuHeader({ ...base, name: long, size: 0 });
  const nameBytes = Buffer.byteLength(long);
  assert.equal(blocks.length, 3);
  const [lh, lbody, main] = blocks;
  assert.equal(lh.toString('latin1', 0, 13), '././@LongLink');
  assert.equal(lh[156], 'L'.charCodeAt(0));
  assert.equal(new Header(lh).size, nameBytes + 1);
  assert.equal(lbody.length, nameBytes + 1 + paddingFor(nameBytes + 1));
  assert.equal(lbody.toString('utf8', 0, nameBytes), long);
  assert.equal(lbody[nameBytes], 0);
  assert.deepEqual(main.subarray(0, 100), Buffer.from(long).subarray(0, 100));
  assert.ok(gnuList(blocks).includes(long));
  assert.ok(gnuList(encodeGnuHeader({ ...base, name: name100, size: 0 })).includes(name100));
});

test('a symlink target over 100 bytes gets a K member before the header', () => {
  const target = `../${'t'.repeat(150)}`;
  const blocks = encodeGnuHeader({ ...base, name: './link', size: 0, typeflag: '2', linkname: target, mode: 0o777 });
  assert.equal(blocks.length, 3);
  assert.equal(blocks[0][156], 'K'.charCodeAt(0));
  assert.ok(gnuList(blocks).includes(`./link -> ${target}`));
});

test('sizes of 8 GiB and more, big ids and negative times are written in base-256', () => {
  const [big] = encodeGnuHeader({ ...base, size: 8 * 1024 ** 3 });
  assert.equal(big[124], 0x80);
  assert.equal(new Header(big).size, 8 * 1024 ** 3);
  const [fits] = encodeGnuHeader({ ...base, size: 8 * 1024 ** 3 - 1 });
  assert.equal(fits.toString('latin1', 124, 136), '77777777777\0');

  const [ids] = encodeGnuHeader({ ...base, uid: 5_000_000, gid: 2 ** 21, size: 0 });
  assert.equal(ids[108], 0x80);
  const [old] = encodeGnuHeader({ ...base, mtime: -86_400, size: 0 });
  assert.equal(old[136], 0xff);
  assert.equal(new Header(old).mtime?.getTime(), -86_400_000);
  assert.match(gnuList([ids]), /5000000\/2097152/);
  assert.match(gnuList([old]), /1969-12-31 00:00/);
});
