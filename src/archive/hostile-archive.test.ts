/**
 * Crafted archives a restore must refuse in one line (ARCHIVE_CORRUPT or
 * ARCHIVE_UNSAFE_PATH) rather than restore wrong and report success, or fail with an
 * internal error. Each test is named after what a crafted archive did before it was pinned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { isBackupError, type ErrorCode } from '../errors.js';
import { extractArchive } from './extract-archive.js';
import { encodeGnuHeader, headerChecksum, paddingFor, type GnuHeaderFields, type SparseMap } from './gnu-header.js';
import { encodeDumpdir } from './dumpdir-body.js';
import { encodeXattrRecords } from './xattrs.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

type Fields = Partial<GnuHeaderFields> & Pick<GnuHeaderFields, 'name' | 'typeflag'>;

/** One member: its header blocks and its body, padded. */
function member(f: Fields, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = encodeGnuHeader({ mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: body.length, ...f });
  return Buffer.concat([...header, body, Buffer.alloc(paddingFor(body.length))]);
}

/** The root directory's dumpdir member listing `names`, then `members`, then the end marker, gzipped. */
function archive(names: string[], ...members: Buffer[]): Buffer {
  const listing = encodeDumpdir(names.map((name) => ({ name, flag: 'Y' as const })));
  return gzipSync(Buffer.concat([member({ name: './', typeflag: 'D', mode: 0o755 }, listing), ...members, Buffer.alloc(1024)]));
}

/** `block` (a header) with the 12-byte number field at `offset` set to `value` in base-256, its checksum fixed. */
function withBase256(block: Buffer, offset: number, value: bigint): Buffer {
  const b = Buffer.from(block);
  let v = BigInt.asUintN(96, value);
  for (let i = 11; i >= 0; i--) {
    b[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[offset] |= 0x80;
  b.write(`${headerChecksum(b).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** Extracts `gz` into `out`, expecting it refused with `code` and a message matching `message`. */
async function refused(gz: Buffer, out: string, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(extractArchive(Readable.from([gz]), out), (err) => isBackupError(err, code) && message.test(err.message));
}

const sparse = (map: SparseMap, stored: number) => member({ name: './s', typeflag: 'S', sparse: map }, Buffer.alloc(stored, 0x41));

test(
  'a sparse map placing data beyond the file, out of order, or other than the stored bytes is refused (it restored with data left out, exit 0)',
  withTmp('hostile-archive', async (dir) => {
    const cases: Array<[string, SparseMap, number]> = [
      ['beyond the size', { realSize: 10_000, extents: [{ offset: 0, size: 4 }, { offset: 1 << 20, size: 4 }] }, 8],
      ['overlapping', { realSize: 100, extents: [{ offset: 0, size: 8 }, { offset: 4, size: 4 }] }, 12],
      ['more placed than stored', { realSize: 12_192, extents: [{ offset: 0, size: 4 }, { offset: 8192, size: 4000 }] }, 8],
    ];
    for (const [why, map, stored] of cases) {
      await refused(archive(['s'], sparse(map, stored)), join(dir, why), 'ARCHIVE_CORRUPT', /sparse member at byte 1024/);
      assert.deepEqual(readdirSync(join(dir, why)), [], why);
    }
    // a negative offset: base-256 in the first extent's offset field
    const negative = sparse({ realSize: 100, extents: [{ offset: 0, size: 4 }] }, 4);
    const patched = Buffer.concat([withBase256(negative.subarray(0, 512), 386, -4096n), negative.subarray(512)]);
    await refused(archive(['s'], patched), join(dir, 'negative'), 'ARCHIVE_CORRUPT', /places data at -4096/);
    // what GNU tar writes for a file ending in a hole (a last extent of 0 bytes at the size) still restores
    const ok = join(dir, 'ok');
    await extractArchive(Readable.from([archive(['s'], sparse({ realSize: 10_000, extents: [{ offset: 0, size: 4 }, { offset: 10_000, size: 0 }] }, 4))]), ok);
    assert.deepEqual(readFileSync(join(ok, 's')), Buffer.concat([Buffer.from('AAAA'), Buffer.alloc(9996)]));
  }),
);

test(
  'a negative size or a huge directory listing size is refused as damaged (a listing of 1 TiB was an internal error, a negative size read the body as headers)',
  withTmp('hostile-archive', async (dir) => {
    const file = member({ name: './a', typeflag: '0' }, Buffer.alloc(1024, 0x58));
    const negative = Buffer.concat([withBase256(file.subarray(0, 512), 124, -1024n), file.subarray(512)]);
    await refused(archive(['a'], negative), join(dir, 'negative'), 'ARCHIVE_CORRUPT', /negative size at byte 1024/);
    const root = member({ name: './', typeflag: 'D', mode: 0o755 }, encodeDumpdir([]));
    const huge = gzipSync(Buffer.concat([withBase256(root.subarray(0, 512), 124, 1n << 40n), root.subarray(512), Buffer.alloc(1024)]));
    await refused(huge, join(dir, 'huge'), 'ARCHIVE_CORRUPT', /implausible 1099511627776-byte directory listing/);
  }),
);

test(
  'a hard link to a path outside the target, or to a file the archive did not write, is refused (it was skipped with a warning and exit 0)',
  withTmp('hostile-archive', async (dir) => {
    for (const to of ['../../etc/shadow', '/etc/shadow']) {
      await refused(archive(['h'], member({ name: './h', typeflag: '1', linkname: to })), join(dir, 'outside'), 'ARCHIVE_UNSAFE_PATH', /could write outside/);
    }
    const throughSymlink = archive(['h', 'l'], member({ name: './l', typeflag: '2', linkname: '/etc' }), member({ name: './h', typeflag: '1', linkname: './l/passwd' }));
    await refused(throughSymlink, join(dir, 'symlink'), 'ARCHIVE_CORRUPT', /"h" is a hard link to "l\/passwd", which is not a file written earlier/);
    await refused(archive(['h'], member({ name: './h', typeflag: '1', linkname: './h' })), join(dir, 'self'), 'ARCHIVE_CORRUPT', /hard link to "h"/);
  }),
);

test(
  'a file or symlink member named "./" is refused as damaged (it was an internal error)',
  withTmp('hostile-archive', async (dir) => {
    const file = gzipSync(Buffer.concat([member({ name: './', typeflag: '0' }, Buffer.from('x')), Buffer.alloc(1024)]));
    await refused(file, join(dir, 'file'), 'ARCHIVE_CORRUPT', /a file member named "\.\/", the restore target itself/);
    const link = gzipSync(Buffer.concat([member({ name: '.', typeflag: '2', linkname: '/' }), Buffer.alloc(1024)]));
    await refused(link, join(dir, 'link'), 'ARCHIVE_CORRUPT', /a symlink member named "\.\/"/);
  }),
);

test(
  'only user.* extended attributes are restored: trusted.* and security.* records in an archive are dropped, as GNU tar --xattrs drops them (a root restore set them)',
  withTmp('hostile-archive', async (dir) => {
    const records = encodeXattrRecords([
      { name: 'trusted.planted', value: Buffer.from('1') },
      { name: 'security.planted', value: Buffer.from('2') },
      { name: 'user.kept', value: Buffer.from('3') },
    ]);
    const gz = archive(['a'], member({ name: './PaxHeaders/a', typeflag: 'x' }, records), member({ name: './a', typeflag: '0' }, Buffer.from('data')));
    const out = join(dir, 'out');
    await extractArchive(Readable.from([gz]), out);
    const names = execFileSync('getfattr', ['-h', '-d', '-m', '-', '--absolute-names', join(out, 'a')], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.slice(0, l.indexOf('=')));
    assert.deepEqual(names, ['user.kept']);
    assert.ok(!existsSync(join(out, 'PaxHeaders')));
  }),
);

test(
  'a run of extended headers before one member, or more attributes than a file can hold, is refused (a 130 KB archive of fifty 1 MiB pax headers kept a restore busy for minutes at 735 MB)',
  withTmp('hostile-archive', async (dir) => {
    const comment = Buffer.from(`1048064 comment=${'c'.repeat(1048064 - 17)}\n`);
    assert.equal(comment.length, 1048064);
    const pax = member({ name: './PaxHeaders/a', typeflag: 'x' }, comment);
    const file = member({ name: './a', typeflag: '0' }, Buffer.from('data'));
    await refused(archive(['a'], pax, pax, pax, pax, pax, file), join(dir, 'run'), 'ARCHIVE_CORRUPT', /implausible \d+ bytes of extended headers before one member/);
    const many = encodeXattrRecords(Array.from({ length: 10_000 }, (_, i) => ({ name: `user.n${i}`, value: Buffer.from('v') })));
    await refused(archive(['a'], member({ name: './PaxHeaders/a', typeflag: 'x' }, many), file), join(dir, 'many'), 'ARCHIVE_CORRUPT', /more extended attributes for one member than a file can hold/);
    // four long headers are still read
    const ok = join(dir, 'ok');
    await extractArchive(Readable.from([archive(['a'], pax, pax, pax, pax, file)]), ok);
    assert.equal(readFileSync(join(ok, 'a'), 'utf8'), 'data');
  }),
);
