import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, createReadStream, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBackupError } from '../errors.js';
import type { ArchivedMember } from './archived-member.js';
import { readArchive, type ArchiveMemberRead } from './read-archive.js';
import { planTree, scanEntries } from './testing/plan-tree.js';
import { writeArchive, type ArchiveWarning, type WriteArchiveOptions } from './write-archive.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

/** Writes a level-0 archive of `data` to dir/a.tar.gz, collecting members and warnings. */
async function archive(dir: string, data: string, extra: Partial<WriteArchiveOptions> = {}) {
  const members: ArchivedMember[] = [];
  const warnings: ArchiveWarning[] = [];
  const outPath = join(dir, 'a.tar.gz');
  const result = await writeArchive(planTree(scanEntries(data), null), {
    root: data,
    outPath,
    level: 6,
    blockSize: 64 * 1024,
    onMember: (m) => members.push(m),
    onWarning: (w) => warnings.push(w),
    ...extra,
  });
  return { result, members, warnings, outPath };
}

async function readAll(path: string): Promise<Array<Omit<ArchiveMemberRead, 'body'> & { content: Buffer }>> {
  const out = [];
  for await (const m of readArchive(createReadStream(path))) {
    const chunks: Buffer[] = [];
    for await (const c of m.body) chunks.push(c);
    const { body: _body, ...rest } = m;
    out.push({ ...rest, content: Buffer.concat(chunks) });
  }
  return out;
}

function tarList(path: string): string[] {
  return execFileSync('tar', ['-tzf', path]).toString().split('\n').filter(Boolean);
}

test(
  'members have the names, directory order and dumpdir listings of GNU tar --listed-incremental, each at its reported tar offset',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'sub/deeper'), { recursive: true });
    mkdirSync(join(data, 'b'));
    writeFileSync(join(data, 'sub/a'), 'x\n');
    writeFileSync(join(data, 'b/c'), 'y\n');
    writeFileSync(join(data, 'z'), Buffer.alloc(200_000, 1));
    symlinkSync('a', join(data, 'sub/l'));
    execFileSync('tar', ['-C', data, `--listed-incremental=${join(dir, 'snar')}`, '-cf', join(dir, 'gnu.tar'), '.']);

    const { result, members, warnings, outPath } = await archive(dir, data);
    assert.deepEqual(warnings, []);
    // directories first in the same order; GNU tar then groups files by directory, the plan orders them by full path
    const gnuNames = execFileSync('tar', ['-tf', join(dir, 'gnu.tar')]).toString().split('\n').filter(Boolean);
    const ourNames = tarList(outPath);
    assert.deepEqual(ourNames.slice(0, 4), gnuNames.slice(0, 4));
    assert.deepEqual([...ourNames].sort(), [...gnuNames].sort());
    assert.equal(result.members, members.length);
    assert.equal(result.rawSize, Number(execFileSync('sh', ['-c', `gunzip -c '${outPath}' | wc -c`]).toString().trim()));

    // the same dumpdir listings as GNU tar's own archive of the tree
    const ours = await readAll(outPath);
    const gnu = [];
    for await (const m of readArchive(createReadStream(join(dir, 'gnu.tar')), { decompressed: true })) gnu.push({ path: m.path, type: m.type, listing: m.listing });
    const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : 1);
    assert.deepEqual(ours.map((m) => ({ path: m.path, type: m.type, listing: m.listing })).sort(byPath), gnu.sort(byPath));
    assert.deepEqual(
      ours.map((m) => m.tarOffset),
      members.map((m) => m.tarOffset),
    );
    assert.deepEqual(ours.find((m) => m.path === 'z')?.content, Buffer.alloc(200_000, 1));
    assert.deepEqual(
      members.map((m) => [m.path, m.type, m.size]),
      [
        ['', 'dir', 0],
        ['b', 'dir', 0],
        ['sub', 'dir', 0],
        ['sub/deeper', 'dir', 0],
        ['b/c', 'file', 2],
        ['sub/a', 'file', 2],
        ['sub/l', 'symlink', 0],
        ['z', 'file', 200_000],
      ],
    );
  }),
);

test(
  'a file that shrinks while read still gives a well-formed member, zero-filled to its header size, and is reported and skipped',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    const original = Buffer.alloc(1024 * 1024, 0x61);
    writeFileSync(join(data, 'big.bin'), original);
    writeFileSync(join(data, 'small.txt'), 'fine\n');
    let shrunk = false;
    const { result, warnings, outPath } = await archive(dir, data, {
      onProgress: (p) => {
        // after the first chunk of big.bin's body
        if (!shrunk && p.rawBytes > 2048 + 4096) {
          shrunk = true;
          truncateSync(join(data, 'big.bin'), 1000);
        }
      },
    });
    assert.ok(shrunk);
    assert.deepEqual(result.skipped.map((e) => e.path), ['big.bin']);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code]),
      [['big.bin', 'changed']],
    );
    execFileSync('gunzip', ['-t', outPath]);
    assert.deepEqual(tarList(outPath), ['./', './big.bin', './small.txt']);
    const big = (await readAll(outPath)).find((m) => m.path === 'big.bin')!;
    assert.equal(big.size, original.length);
    assert.equal(big.content.length, original.length);
    // what was read before the file shrank, then zeros
    const read = big.content.indexOf(0);
    assert.ok(read > 0 && read < original.length, `${read} bytes read`);
    assert.deepEqual(big.content.subarray(0, read), original.subarray(0, read));
    assert.ok(big.content.subarray(read).every((b) => b === 0));
    assert.equal((await readAll(outPath)).find((m) => m.path === 'small.txt')?.content.toString(), 'fine\n');
  }),
);

test(
  'a file that grows while read is cut at its header size and is reported and skipped',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'log.txt'), Buffer.alloc(600 * 1024, 0x62));
    let grown = false;
    const { result, warnings, outPath } = await archive(dir, data, {
      onProgress: (p) => {
        if (!grown && p.rawBytes > 4096) {
          grown = true;
          appendFileSync(join(data, 'log.txt'), Buffer.alloc(300 * 1024, 0x63));
        }
      },
    });
    assert.deepEqual(result.skipped.map((e) => e.path), ['log.txt']);
    assert.equal(warnings[0].code, 'changed');
    const log = (await readAll(outPath)).find((m) => m.path === 'log.txt')!;
    assert.equal(log.size, 600 * 1024);
    assert.deepEqual(log.content, Buffer.alloc(600 * 1024, 0x62));
  }),
);

test(
  'a file that vanished since the scan gets no member and is reported as vanished',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'gone.txt'), 'soon gone\n');
    writeFileSync(join(data, 'kept.txt'), 'kept\n');
    const plan = planTree(scanEntries(data), null);
    unlinkSync(join(data, 'gone.txt'));
    const warnings: ArchiveWarning[] = [];
    const outPath = join(dir, 'a.tar.gz');
    const result = await writeArchive(plan, { root: data, outPath, level: 6, blockSize: 65536, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(result.skipped.map((e) => e.path), ['gone.txt']);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code]),
      [['gone.txt', 'vanished']],
    );
    assert.deepEqual(tarList(outPath), ['./', './kept.txt']);
  }),
);

test(
  'a file replaced by a symlink since the scan is not followed',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'f'), 'plain\n');
    writeFileSync(join(dir, 'secret'), 'outside the data directory\n');
    const plan = planTree(scanEntries(data), null);
    unlinkSync(join(data, 'f'));
    symlinkSync(join(dir, 'secret'), join(data, 'f'));
    const warnings: ArchiveWarning[] = [];
    const result = await writeArchive(plan, { root: data, outPath: join(dir, 'a.tar.gz'), level: 6, blockSize: 65536, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(result.skipped.map((e) => e.path), ['f']);
    assert.equal(warnings[0].code, 'changed');
    assert.deepEqual(tarList(join(dir, 'a.tar.gz')), ['./']);
  }),
);

test(
  'an unreadable file gets no member (its header is written only after a successful open) and is reported',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'locked.txt'), 'private\n');
    writeFileSync(join(data, 'open.txt'), 'public\n');
    chmodSync(join(data, 'locked.txt'), 0o000);
    const plan = planTree(scanEntries(data), null);
    // root reads anything: drop to nobody for the archive run
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(dir, 0o777);
      chmodSync(data, 0o755);
      chmodSync(join(data, 'open.txt'), 0o644);
      process.seteuid!(65534);
    }
    const warnings: ArchiveWarning[] = [];
    let result;
    try {
      result = await writeArchive(plan, { root: data, outPath: join(dir, 'a.tar.gz'), level: 6, blockSize: 65536, onWarning: (w) => warnings.push(w) });
    } finally {
      if (asRoot) process.seteuid!(0);
    }
    assert.deepEqual(result.skipped.map((e) => e.path), ['locked.txt']);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code]),
      [['locked.txt', 'unreadable']],
    );
    assert.match(warnings[0].message, /EACCES/);
    assert.deepEqual(tarList(join(dir, 'a.tar.gz')), ['./', './open.txt']);
  }),
);

test(
  'an abort between chunks rejects with ABORTED',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'big.bin'), Buffer.alloc(2 * 1024 * 1024));
    const ac = new AbortController();
    await assert.rejects(
      archive(dir, data, { signal: ac.signal, onProgress: (p) => p.rawBytes > 300_000 && ac.abort() }),
      (err) => isBackupError(err, 'ABORTED'),
    );
  }),
);

test(
  'writing into a missing directory fails with an error naming the output path',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    const outPath = join(dir, 'no/such/dir/a.tar.gz');
    await assert.rejects(
      writeArchive(planTree(scanEntries(data), null), { root: data, outPath, level: 6, blockSize: 65536 }),
      (err) => isBackupError(err, 'IO') && err.message.includes(outPath),
    );
  }),
);

test(
  'the whole archive content round-trips through GNU tar',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'd'), { recursive: true });
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
    writeFileSync(join(data, 'd/bin'), content);
    const { outPath } = await archive(dir, data);
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-G', '-xzf', outPath], { cwd: out });
    assert.deepEqual(readFileSync(join(out, 'd/bin')), content);
  }),
);

test(
  'small files read on reader threads give the archive, members and warnings of the single-thread writer, byte for byte, and GNU tar extracts it',
  withTmp('write-archive', async (dir) => {
    const data = join(dir, 'data');
    const many = join(data, 'many');
    mkdirSync(many, { recursive: true });
    // enough small files for several batches, so reader threads start and the odd files below fall inside their batches
    for (let i = 0; i < 900; i++) writeFileSync(join(many, `f${String(i).padStart(3, '0')}`), Buffer.alloc((i * 37) % 700, 97 + (i % 26)));
    writeFileSync(join(many, 'f300-empty'), '');
    writeFileSync(join(many, 'f301-exactly-256k'), Buffer.alloc(256 * 1024, 0x6b));
    writeFileSync(join(many, 'f302-over-256k'), Buffer.alloc(256 * 1024 + 1, 0x6f));
    // a small sparse candidate (one block of data at the end) and a large one
    writeFileSync(join(many, 'f303-sparse'), '');
    truncateSync(join(many, 'f303-sparse'), 200 * 1024);
    appendFileSync(join(many, 'f303-sparse'), 'tail');
    writeFileSync(join(many, 'f304-sparse-big'), '');
    truncateSync(join(many, 'f304-sparse-big'), 3 * 1024 * 1024);
    appendFileSync(join(many, 'f304-sparse-big'), 'tail');
    // hard links: the first name in archive order is stored whole, the later ones as '1' members
    writeFileSync(join(many, 'f305-linked'), 'two names\n');
    linkSync(join(many, 'f305-linked'), join(many, 'f600-link'));
    linkSync(join(many, 'f305-linked'), join(data, 'z-link'));
    writeFileSync(Buffer.concat([Buffer.from(join(many, 'f306-caf')), Buffer.from([0xe9, 0xff])]), 'not UTF-8\n');
    symlinkSync('f000', join(many, 'f307-symlink'));
    execFileSync('mkfifo', [join(many, 'f308-fifo')]);
    writeFileSync(join(many, 'f500-gone'), 'vanishes before it is read\n');
    writeFileSync(join(many, 'f501-changed'), 'as scanned\n');
    writeFileSync(join(many, 'f502-now-a-link'), 'replaced by a symlink\n');
    writeFileSync(join(many, 'f503-grows'), 'small at the scan\n');
    const plan = planTree(scanEntries(data), null);
    unlinkSync(join(many, 'f500-gone'));
    writeFileSync(join(many, 'f501-changed'), 'AS SCANNED\n');
    unlinkSync(join(many, 'f502-now-a-link'));
    symlinkSync('f000', join(many, 'f502-now-a-link'));
    appendFileSync(join(many, 'f503-grows'), Buffer.alloc(300 * 1024, 0x67));

    const write = async (readers: number) => {
      const members: ArchivedMember[] = [];
      const warnings: ArchiveWarning[] = [];
      const outPath = join(dir, `readers-${readers}.tar.gz`);
      const progress: number[] = [];
      const result = await writeArchive(plan, {
        root: data,
        outPath,
        level: 6,
        blockSize: 64 * 1024,
        readers,
        onMember: (m) => members.push(m),
        onWarning: (w) => warnings.push(w),
        onProgress: (p) => progress.push(p.files),
      });
      return { result, members, warnings, bytes: readFileSync(outPath), outPath, files: progress.at(-1) };
    };
    const one = await write(0);
    for (const readers of [1, 2]) {
      const pooled = await write(readers);
      assert.ok(pooled.bytes.equals(one.bytes), `${readers} reader thread(s): the same archive bytes`);
      assert.deepEqual(pooled.members, one.members);
      assert.deepEqual(pooled.warnings, one.warnings);
      assert.deepEqual(pooled.result, one.result);
      assert.equal(pooled.files, one.files);
    }

    assert.deepEqual(
      one.warnings.map((w) => [w.path, w.code]),
      [
        ['many/f500-gone', 'vanished'],
        ['many/f502-now-a-link', 'changed'],
      ],
    );
    assert.deepEqual(one.result.skipped.map((e) => e.path), ['many/f500-gone', 'many/f502-now-a-link']);
    const byPath = new Map(one.members.map((m) => [m.path, m]));
    assert.equal(byPath.get('many/f600-link')?.type, 'hardlink');
    assert.equal(byPath.get('many/f600-link')?.linkTarget, 'many/f305-linked');
    assert.equal(byPath.get('z-link')?.type, 'hardlink');
    assert.equal(byPath.get('many/f503-grows')?.size, 300 * 1024 + 18);

    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-G', '-xzf', one.outPath], { cwd: out });
    for (let i = 0; i < 900; i += 7) {
      const name = `f${String(i).padStart(3, '0')}`;
      assert.deepEqual(readFileSync(join(out, 'many', name)), readFileSync(join(many, name)));
    }
    for (const name of ['f301-exactly-256k', 'f302-over-256k', 'f303-sparse', 'f304-sparse-big', 'f501-changed', 'f503-grows', 'f600-link']) {
      assert.deepEqual(readFileSync(join(out, 'many', name)), readFileSync(join(many, name)), name);
    }
    assert.equal(readFileSync(Buffer.concat([Buffer.from(join(out, 'many', 'f306-caf')), Buffer.from([0xe9, 0xff])])).toString(), 'not UTF-8\n');
    assert.equal(statSync(join(out, 'many', 'f305-linked')).ino, statSync(join(out, 'z-link')).ino);
    assert.equal(statSync(join(out, 'many', 'f300-empty')).size, 0);
  }),
);
