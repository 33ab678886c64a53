/**
 * The archive format against the real GNU tar: a scripted history of a data directory is
 * archived step by step (level 0, then incrementals planned by path, size, mtime, ctime and
 * inode), and after every step the chain is restored both with `tar -G -xzf` (each archive in
 * order, inside an empty directory) and with extractArchive, and both trees must equal the
 * data directory. Rolling restores with stray files added before each archive prove that the
 * dumpdir listings delete what is gone, the root's "./" included. Handmade hostile archives
 * must be refused without writing outside the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { isBackupError } from '../src/errors.js';
import type { TreeEntry } from '../src/scan/tree-entry.js';
import { extractArchive } from '../src/archive/extract-archive.js';
import { encodeGnuHeader, paddingFor } from '../src/archive/gnu-header.js';
import { encodeDumpdir } from '../src/archive/dumpdir-body.js';
import { planTree, scanEntries } from '../src/archive/testing/plan-tree.js';
import { writeArchive } from '../src/archive/write-archive.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

function put(root: string, rel: string, content: string | Buffer, mode?: number): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  if (mode !== undefined) chmodSync(p, mode);
}

/** Deterministic bytes that do not compress away (so a file spans several gzip blocks). */
function noise(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Rewrites a file's content keeping its size and mtime (as cp -p or rsync -t would): only ctime and content change. */
function editKeepingMtime(p: string, content: string): void {
  const old = statSync(p);
  assert.equal(Buffer.byteLength(content), old.size);
  writeFileSync(p, content);
  utimesSync(p, old.atime, old.mtime);
}

const longDir = 'a-very-long-directory-name-that-goes-on-and-on-'.repeat(2);
const longFile = `${'file-with-a-name-longer-than-one-hundred-bytes-'.repeat(3)}.txt`;
const longTarget = `${'far/away/'.repeat(14)}target-of-a-long-symlink`;

const history: Array<{ what: string; change: (d: string) => void }> = [
  {
    what: 'initial tree',
    change: (d) => {
      put(d, 'docs/readme.txt', 'hello\n');
      put(d, 'docs/notes/n1.md', '# one\n'.repeat(100));
      put(d, 'photos/2024/img1.jpg', noise(300_000, 1));
      put(d, 'photos/2024/img2.jpg', noise(5000, 2));
      mkdirSync(join(d, 'empty-dir'));
      symlinkSync('docs/readme.txt', join(d, 'link-to-readme'));
      symlinkSync(longTarget, join(d, 'long-link'));
      put(d, 'héllo wörld ✓.txt', 'unicode\n');
      put(d, 'ünïcødé/日本語.txt', 'nihongo\n');
      put(d, `${longDir}/${longFile}`, 'deep and long\n');
      put(d, 'script.sh', '#!/bin/sh\necho hi\n', 0o755);
      put(d, 'left/l.txt', 'left\n');
      put(d, 'right/r.txt', 'right\n');
    },
  },
  {
    what: 'a new file, and an edit that keeps size and mtime',
    change: (d) => {
      put(d, 'docs/new.txt', 'new file\n');
      editKeepingMtime(join(d, 'docs/readme.txt'), 'HELLO\n');
    },
  },
  {
    what: 'deletions: a file and a whole directory',
    change: (d) => {
      unlinkSync(join(d, 'photos/2024/img2.jpg'));
      rmSync(join(d, 'docs/notes'), { recursive: true });
    },
  },
  {
    what: 'a directory rename',
    change: (d) => renameSync(join(d, 'photos/2024'), join(d, 'photos/twenty-four')),
  },
  {
    what: 'a file replaced by a directory',
    change: (d) => {
      unlinkSync(join(d, 'docs/new.txt'));
      put(d, 'docs/new.txt/inside', 'now a dir\n');
    },
  },
  {
    what: 'symlinks retargeted, a dangling one, a long target replaced by another',
    change: (d) => {
      unlinkSync(join(d, 'link-to-readme'));
      symlinkSync('photos/twenty-four/img1.jpg', join(d, 'link-to-readme'));
      symlinkSync('does/not/exist', join(d, 'dangling'));
      unlinkSync(join(d, 'long-link'));
      symlinkSync(`${longTarget}-v2`, join(d, 'long-link'));
    },
  },
  {
    what: 'mode changes on a file, a directory and a unicode name',
    change: (d) => {
      chmodSync(join(d, 'script.sh'), 0o700);
      chmodSync(join(d, 'docs'), 0o750);
      chmodSync(join(d, 'héllo wörld ✓.txt'), 0o600);
    },
  },
  {
    what: 'an empty directory removed, nested empty ones added',
    change: (d) => {
      rmSync(join(d, 'empty-dir'), { recursive: true });
      mkdirSync(join(d, 'another/empty/dir'), { recursive: true });
    },
  },
  {
    what: 'the directory becomes a file again; a unicode rename into another directory',
    change: (d) => {
      rmSync(join(d, 'docs/new.txt'), { recursive: true });
      put(d, 'docs/new.txt', 'a file again\n');
      renameSync(join(d, 'héllo wörld ✓.txt'), join(d, 'ünïcødé/renamed ✓.txt'));
    },
  },
  {
    what: 'two directories swap names; a symlink becomes a file and a file a symlink',
    change: (d) => {
      renameSync(join(d, 'left'), join(d, 'swap'));
      renameSync(join(d, 'right'), join(d, 'left'));
      renameSync(join(d, 'swap'), join(d, 'right'));
      unlinkSync(join(d, 'link-to-readme'));
      put(d, 'link-to-readme', 'a plain file now\n');
      unlinkSync(join(d, 'script.sh'));
      symlinkSync('docs/readme.txt', join(d, 'script.sh'));
    },
  },
  {
    what: 'a long-named file edited in place with its mtime kept; a whole subtree removed',
    change: (d) => {
      editKeepingMtime(join(d, `${longDir}/${longFile}`), 'DEEP AND LONG\n');
      rmSync(join(d, 'photos'), { recursive: true });
    },
  },
];

test('every step of a scripted history restores identically with GNU tar -G and with extractArchive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gnu-tar-compat-'));
  try {
    const data = join(dir, 'data');
    mkdirSync(data);
    const rolling = { gnu: join(dir, 'roll-gnu'), ours: join(dir, 'roll-ours') };
    mkdirSync(rolling.gnu);
    mkdirSync(rolling.ours);
    const archives: string[] = [];
    let previous: TreeEntry[] | null = null;

    for (const [i, step] of history.entries()) {
      step.change(data);
      const current = scanEntries(data);
      const plan = planTree(current, previous && new Map(previous.map((e) => [e.path, e])));
      const out = join(dir, `a${i}.tar.gz`);
      const written = await writeArchive(plan, { root: data, outPath: out, level: 6, blockSize: 64 * 1024 });
      assert.deepEqual(written.skipped, [], `step ${i}`);
      archives.push(out);
      previous = current;
      const expected = snapshotTree(data);

      // the whole chain into empty directories
      const gnu = join(dir, `gnu-${i}`);
      const ours = join(dir, `ours-${i}`);
      mkdirSync(gnu);
      for (const a of archives) execFileSync('tar', ['-G', '-xzf', a], { cwd: gnu });
      for (const a of archives) await extractArchive(createReadStream(a), ours);
      assert.deepEqual(snapshotTree(gnu), expected, `GNU tar, step ${i}: ${step.what}`);
      assert.deepEqual(snapshotTree(ours), expected, `extractArchive, step ${i}: ${step.what}`);

      // one more archive over the previous state, with strays to delete (at the root too)
      for (const target of [rolling.gnu, rolling.ours]) {
        if (i > 0) {
          put(target, `stray-${i}.txt`, 'not in the data directory\n');
          if (lstatSync(join(target, 'docs')).isDirectory()) put(target, `docs/stray-dir-${i}/x`, 'nor this\n');
        }
      }
      execFileSync('tar', ['-G', '-xzf', out], { cwd: rolling.gnu });
      await extractArchive(createReadStream(out), rolling.ours);
      assert.deepEqual(snapshotTree(rolling.gnu), expected, `GNU tar rolling, step ${i}: ${step.what}`);
      assert.deepEqual(snapshotTree(rolling.ours), expected, `extractArchive rolling, step ${i}: ${step.what}`);
      rmSync(gnu, { recursive: true });
      rmSync(ours, { recursive: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A .tar.gz of handmade members. */
function handmade(members: Array<{ name: string; typeflag: string; body?: Buffer; linkname?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = m.body ?? Buffer.alloc(0);
    const mode = m.typeflag === '2' ? 0o777 : m.typeflag === 'D' || m.typeflag === '5' ? 0o755 : 0o644;
    blocks.push(...encodeGnuHeader({ name: m.name, mode, uid: 0, gid: 0, size: body.length, mtime: 1_700_000_000, typeflag: m.typeflag, linkname: m.linkname }));
    blocks.push(body, Buffer.alloc(paddingFor(body.length)));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

test('hostile archives are refused without writing outside the target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gnu-tar-hostile-'));
  try {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious.txt'), 'must stay\n');
    const evil = Buffer.from('owned\n');
    const cases: Array<{ what: string; archive: Buffer; member: string }> = [
      { what: '../ path', archive: handmade([{ name: './../evil', typeflag: '0', body: evil }]), member: '../evil' },
      { what: 'nested ../ path', archive: handmade([{ name: './a/../../evil', typeflag: '0', body: evil }]), member: 'a/../../evil' },
      { what: 'absolute path', archive: handmade([{ name: join(dir, 'abs-evil'), typeflag: '0', body: evil }]), member: join(dir, 'abs-evil') },
      {
        what: 'a symlink to an absolute path, then a file through it',
        archive: handmade([
          { name: './link', typeflag: '2', linkname: outside },
          { name: './link/evil.txt', typeflag: '0', body: evil },
        ]),
        member: 'link/evil.txt',
      },
      {
        what: 'a relative symlink out of the target, then a file through it',
        archive: handmade([
          { name: './up', typeflag: '2', linkname: '../outside' },
          { name: './up/evil.txt', typeflag: '0', body: evil },
        ]),
        member: 'up/evil.txt',
      },
      {
        what: 'a directory, then a symlink in its place, then a file through it',
        archive: handmade([
          { name: './', typeflag: 'D', body: encodeDumpdir([{ name: 'd', flag: 'D' }]) },
          { name: './d/', typeflag: 'D', body: encodeDumpdir([]) },
          { name: './d', typeflag: '2', linkname: outside },
          { name: './d/evil.txt', typeflag: '0', body: evil },
        ]),
        member: 'd/evil.txt',
      },
      {
        what: 'a symlink, then a symlink through it',
        archive: handmade([
          { name: './link', typeflag: '2', linkname: outside },
          { name: './link/evil-link', typeflag: '2', linkname: '/etc/passwd' },
        ]),
        member: 'link/evil-link',
      },
    ];
    for (const c of cases) {
      const target = join(dir, 'target');
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target);
      await assert.rejects(
        extractArchive(Readable.from([c.archive]), target),
        (err) => isBackupError(err, 'ARCHIVE_UNSAFE_PATH') && err.subject === c.member && err.message.includes(c.member),
        c.what,
      );
      assert.ok(!existsSync(join(dir, 'evil')), c.what);
      assert.ok(!existsSync(join(dir, 'abs-evil')), c.what);
      assert.deepEqual(readdirSync(outside), ['precious.txt'], c.what);
    }

    // a dumpdir for a path that is a symlink to outside: the link is replaced, the outside is not purged
    const target = join(dir, 'target');
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
    const purge = handmade([
      { name: './', typeflag: 'D', body: encodeDumpdir([{ name: 'link', flag: 'D' }]) },
      { name: './link/', typeflag: 'D', body: encodeDumpdir([]) },
    ]);
    symlinkSync(outside, join(target, 'link'));
    await extractArchive(Readable.from([purge]), target);
    assert.ok(lstatSync(join(target, 'link')).isDirectory());
    assert.deepEqual(readdirSync(outside), ['precious.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
