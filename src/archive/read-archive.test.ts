import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { isBackupError } from '../errors.js';
import type { ArchivedMember } from './archived-member.js';
import { readArchive, readMembersAt, type ArchiveMemberRead } from './read-archive.js';
import { planTree, scanEntries } from './testing/plan-tree.js';
import { writeArchive } from './write-archive.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

/** Content that differs per file and does not compress to nothing. */
function content(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const longName = `${'ünïcødé-dïrectory-nämé/'.repeat(4)}${'😀'.repeat(30)}.txt`;

/** A data directory of files of many sizes (some spanning several 16 KiB blocks), archived. */
async function sample(dir: string) {
  const data = join(dir, 'data');
  const files = new Map<string, Buffer>();
  const sizes = [0, 1, 511, 512, 513, 10_000, 40_000, 100_000, 3, 70_000];
  sizes.forEach((size, i) => files.set(`d${i % 3}/f${i}.bin`, content(i + 1, size)));
  files.set(longName, Buffer.from('long name\n'));
  for (const [p, c] of files) {
    mkdirSync(join(data, p, '..'), { recursive: true });
    writeFileSync(join(data, p), c);
  }
  const members: ArchivedMember[] = [];
  const outPath = join(dir, 'a.tar.gz');
  const written = await writeArchive(planTree(scanEntries(data), null), { root: data, outPath, level: 6, blockSize: 16 * 1024, onMember: (m) => members.push(m) });
  return { files, members, written, gz: readFileSync(outPath), outPath };
}

async function bodyOf(m: ArchiveMemberRead): Promise<Buffer> {
  const parts: Buffer[] = [];
  // copied: a chunk is valid only until the next is asked for
  for await (const c of m.body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

test(
  'readArchive gives every member with its path, type, listing, offset and content',
  withTmp('read-archive', async (dir) => {
    const { files, members, outPath } = await sample(dir);
    const seen = new Map<string, Buffer>();
    const offsets: number[] = [];
    for await (const m of readArchive(createReadStream(outPath))) {
      offsets.push(m.tarOffset);
      if (m.type === 'file') seen.set(m.path, await bodyOf(m));
      if (m.path === '') assert.deepEqual(m.listing?.map((e) => e.name), ['d0', 'd1', 'd2', longName.split('/')[0]]);
    }
    assert.deepEqual(offsets, members.map((m) => m.tarOffset));
    assert.deepEqual(seen, files);
  }),
);

test(
  'members whose bodies are not read are skipped correctly',
  withTmp('read-archive', async (dir) => {
    const { members, outPath } = await sample(dir);
    const paths: string[] = [];
    for await (const m of readArchive(createReadStream(outPath))) paths.push(m.path);
    assert.deepEqual(paths, members.map((m) => m.path));
  }),
);

test(
  'readMembersAt reads chosen members from compressed bytes that start at a gzip block boundary',
  withTmp('read-archive', async (dir) => {
    const { files, members, written, gz } = await sample(dir);
    const fileMembers = members.filter((m) => m.type === 'file');
    for (const wanted of [fileMembers.slice(0, 1), fileMembers.slice(3, 6), [fileMembers[2], fileMembers[fileMembers.length - 1]], fileMembers]) {
      const first = wanted[0].tarOffset;
      const block = [...written.blocks].reverse().find((b) => b.rawOffset <= first)!;
      const got = new Map<string, Buffer>();
      for await (const m of readMembersAt(Readable.from([gz.subarray(block.gzOffset)]), { rawStart: block.rawOffset, offsets: wanted.map((w) => w.tarOffset) })) {
        got.set(m.path, await bodyOf(m));
      }
      assert.deepEqual(
        got,
        new Map(wanted.map((w) => [w.path, files.get(w.path)!])),
      );
    }
  }),
);

test(
  'readMembersAt inflates the blocks in parallel when given their lengths, with the same members as one gunzip stream',
  withTmp('read-archive', async (dir) => {
    const { files, members, written, gz } = await sample(dir);
    const fileMembers = members.filter((m) => m.type === 'file');
    const b = written.blocks;
    for (const wanted of [fileMembers, fileMembers.slice(2, 5), [fileMembers[fileMembers.length - 1]]]) {
      const first = b.filter((x) => x.rawOffset <= wanted[0].tarOffset).length - 1;
      const lengths = b.slice(first + 1).map((x, i) => x.gzOffset - b[first + i].gzOffset);
      // odd chunk sizes: block boundaries fall inside chunks and across them
      const chunks = [];
      for (let i = b[first].gzOffset; i < gz.length; i += 7777) chunks.push(gz.subarray(i, Math.min(i + 7777, gz.length)));
      const got = new Map<string, Buffer>();
      for await (const m of readMembersAt(Readable.from(chunks), { rawStart: b[first].rawOffset, offsets: wanted.map((w) => w.tarOffset), memberLengths: lengths })) {
        got.set(m.path, await bodyOf(m));
      }
      assert.deepEqual(got, new Map(wanted.map((w) => [w.path, files.get(w.path)!])));
    }
  }),
);

test(
  'members read from 512-byte blocks inflated in parallel into buffers used again are those one gunzip stream gives: long names, listings and bodies across blocks',
  withTmp('read-archive', async (dir) => {
    const data = join(dir, 'data');
    // a name of about 700 bytes (its LongLink body spans two tar blocks) and a listing of about 2 KiB
    const deep = `${Array.from({ length: 6 }, (_, i) => `${'ä'.repeat(50)}-${i}`).join('/')}/file.txt`;
    const files = new Map<string, Buffer>([[deep, content(7, 3000)]]);
    for (let i = 0; i < 60; i++) files.set(`many/a-rather-long-file-name-${i}.txt`, content(i, (i * 397) % 2000));
    for (const [p, c] of files) {
      mkdirSync(join(data, p, '..'), { recursive: true });
      writeFileSync(join(data, p), c);
    }
    const outPath = join(dir, 'small-blocks.tar.gz');
    const written = await writeArchive(planTree(scanEntries(data), null), { root: data, outPath, level: 6, blockSize: 512 });
    const seen = async (members: AsyncIterable<ArchiveMemberRead>) => {
      const out = [];
      for await (const m of members) out.push({ path: m.path, type: m.type, tarOffset: m.tarOffset, listing: m.listing?.map((e) => e.name), body: await bodyOf(m) });
      return out;
    };
    const expected = await seen(readArchive(createReadStream(outPath)));
    assert.ok(expected.some((m) => m.path === deep) && expected.some((m) => (m.listing?.length ?? 0) === 60));
    const gz = readFileSync(outPath);
    const b = written.blocks;
    const lengths = b.slice(1).map((x, i) => x.gzOffset - b[i].gzOffset);
    const chunks = [];
    for (let i = 0; i < gz.length; i += 1000) chunks.push(gz.subarray(i, Math.min(i + 1000, gz.length)));
    const got = await seen(readMembersAt(Readable.from(chunks), { rawStart: 0, offsets: expected.map((m) => m.tarOffset), memberLengths: lengths }));
    assert.deepEqual(got, expected);
  }),
);

test(
  'damage in one of the blocks inflating in parallel is ARCHIVE_CORRUPT',
  withTmp('read-archive', async (dir) => {
    const { members, written, gz } = await sample(dir);
    const b = written.blocks;
    const bad = Buffer.from(gz);
    // a byte in the middle of the third block's deflate data
    bad[b[2].gzOffset + Math.floor((b[3].gzOffset - b[2].gzOffset) / 2)] ^= 0xff;
    const lengths = b.slice(1).map((x, i) => x.gzOffset - b[i].gzOffset);
    const offsets = members.filter((m) => m.type === 'file').map((m) => m.tarOffset);
    await assert.rejects(
      async () => {
        for await (const m of readMembersAt(Readable.from([bad]), { rawStart: 0, offsets, memberLengths: lengths })) await bodyOf(m);
      },
      (err) => isBackupError(err) && err.code === 'ARCHIVE_CORRUPT',
    );
  }),
);

test(
  'readMembersAt stops after the last wanted member, so the range may cut the next gzip member',
  withTmp('read-archive', async (dir) => {
    const { files, members, written, gz } = await sample(dir);
    const target = members.find((m) => m.path === 'd1/f7.bin')!;
    const startBlock = [...written.blocks].reverse().find((b) => b.rawOffset <= target.tarOffset)!;
    const end = target.tarOffset + 512 + target.size;
    const after = written.blocks.find((b) => b.rawOffset >= end)!;
    // the retrieved range ends 100 bytes into the gzip member after the one holding the file's end
    const slice = gz.subarray(startBlock.gzOffset, after.gzOffset + 100);
    const got: Buffer[] = [];
    for await (const m of readMembersAt(Readable.from([slice]), { rawStart: startBlock.rawOffset, offsets: [target.tarOffset] })) got.push(await bodyOf(m));
    assert.deepEqual(got, [files.get('d1/f7.bin')]);
  }),
);

test(
  'readMembersAt accepts tar bytes that start at a member boundary',
  withTmp('read-archive', async (dir) => {
    const { members, gz } = await sample(dir);
    const tar = gunzipSync(gz);
    const m = members.find((x) => x.path === longName)!;
    const got = [];
    for await (const r of readMembersAt(Readable.from([tar.subarray(m.tarOffset)]), { decompressed: true, rawStart: m.tarOffset, offsets: [m.tarOffset] })) {
      got.push([r.path, (await bodyOf(r)).toString()]);
    }
    assert.deepEqual(got, [[longName, 'long name\n']]);
  }),
);

test(
  'an offset where no member starts is ARCHIVE_CORRUPT',
  withTmp('read-archive', async (dir) => {
    const { members, gz } = await sample(dir);
    const wrong = members.find((m) => m.size > 1000)!.tarOffset + 512;
    await assert.rejects(async () => {
      for await (const m of readMembersAt(Readable.from([gz]), { rawStart: 0, offsets: [wrong] })) void m;
    }, (err) => isBackupError(err, 'ARCHIVE_CORRUPT'));
  }),
);

test(
  'long multi-byte names survive any chunking of the input (a character split across chunks)',
  withTmp('read-archive', async (dir) => {
    const { gz } = await sample(dir);
    const tar = gunzipSync(gz);
    for (const size of [1, 7, 509, 4096]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < tar.length; i += size) chunks.push(tar.subarray(i, i + size));
      const paths: string[] = [];
      for await (const m of readArchive(Readable.from(chunks), { decompressed: true })) paths.push(m.path);
      assert.ok(paths.includes(longName), `chunks of ${size}`);
    }
  }),
);

test(
  'damaged input is ARCHIVE_CORRUPT: bad gzip data, a truncated file, a bad header checksum, a missing end marker',
  withTmp('read-archive', async (dir) => {
    const { gz, written } = await sample(dir);
    const readAll = async (input: Readable, decompressed = false) => {
      for await (const m of readArchive(input, { decompressed })) for await (const c of m.body) void c;
    };
    const flipped = Buffer.from(gz);
    flipped[written.blocks[2].gzOffset + 40] ^= 0xff;
    await assert.rejects(readAll(Readable.from([flipped])), (err) => isBackupError(err, 'ARCHIVE_CORRUPT'));
    await assert.rejects(readAll(Readable.from([gz.subarray(0, written.blocks[3].gzOffset + 50)])), (err) => isBackupError(err, 'ARCHIVE_CORRUPT'));
    const tar = gunzipSync(gz);
    const badHeader = Buffer.from(tar);
    badHeader[1024 + 10] ^= 0x01;
    await assert.rejects(readAll(Readable.from([badHeader]), true), (err) => isBackupError(err, 'ARCHIVE_CORRUPT') && /checksum/.test(err.message));
    await assert.rejects(readAll(Readable.from([tar.subarray(0, tar.length - 1024)]), true), (err) => isBackupError(err, 'ARCHIVE_CORRUPT') && /end-of-archive/.test(err.message));
  }),
);

test(
  "GNU tar's hard link, sparse, FIFO and device members are read with their links, maps and device numbers",
  withTmp('read-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a'), 'same\n');
    linkSync(join(data, 'a'), join(data, 'b'));
    execFileSync('mkfifo', [join(data, 'p')]);
    execFileSync('truncate', ['-s', '1M', join(data, 's')]);
    execFileSync('dd', ['if=/dev/urandom', `of=${join(data, 's')}`, 'bs=4096', 'count=1', 'seek=100', 'conv=notrunc'], { stdio: 'ignore' });
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('mknod', [join(data, 'c'), 'c', '1', '3']);
    execFileSync('tar', ['--sparse', '--format=gnu', '-C', data, '-czf', join(dir, 'h.tar.gz'), '.']);
    const warnings: string[] = [];
    const seen = new Map<string, ArchiveMemberRead>();
    const bodyBytes = new Map<string, number>();
    for await (const m of readArchive(createReadStream(join(dir, 'h.tar.gz')), { onWarning: (w) => warnings.push(w.path) })) {
      let n = 0;
      for await (const c of m.body) n += c.length;
      seen.set(m.path, m);
      bodyBytes.set(m.path, n);
    }
    assert.deepEqual(warnings, []);
    // GNU tar stores the first name it meets as a file and the other as a link to it
    const [first, second] = seen.get('a')!.type === 'file' ? ['a', 'b'] : ['b', 'a'];
    assert.equal(seen.get(second)!.type, 'hardlink');
    assert.equal(seen.get(second)!.linkTarget, first);
    assert.equal(seen.get('p')!.type, 'fifo');
    const s = seen.get('s')!;
    assert.equal(s.type, 'file');
    assert.deepEqual(s.sparse, { realSize: 1024 * 1024, extents: [{ offset: 409600, size: 4096 }, { offset: 1024 * 1024, size: 0 }] });
    assert.equal(s.size, 1024 * 1024);
    assert.equal(bodyBytes.get('s'), 4096, 'the body holds the stored extent only');
    if (asRoot) assert.deepEqual([seen.get('c')!.type, seen.get('c')!.devMajor, seen.get('c')!.devMinor], ['chardev', 1, 3]);
  }),
);
