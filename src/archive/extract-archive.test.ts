import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isBackupError } from '../errors.js';
import type { TreeEntry } from '../scan/tree-entry.js';
import { extractArchive } from './extract-archive.js';
import { planTree, scanEntries } from './testing/plan-tree.js';
import { writeArchive } from './write-archive.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

/** Archives the data directory against the previous scan (level 0 when there is none); returns the new scan. */
async function step(data: string, out: string, previous: TreeEntry[] | null): Promise<TreeEntry[]> {
  const current = scanEntries(data);
  await writeArchive(planTree(current, previous ? new Map(previous.map((e) => [e.path, e])) : null), { root: data, outPath: out, level: 6, blockSize: 65536 });
  return current;
}

function write(root: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}

test(
  'a level-1 archive extracted over a tree with extra files removes everything its listings do not name',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'keep.txt': 'k', 'docs/a.txt': 'a', 'docs/old.txt': 'o', 'gone/x.txt': 'x' });
    const s0 = await step(data, join(dir, 'a0.tar.gz'), null);
    unlinkSync(join(data, 'docs/old.txt'));
    rmSync(join(data, 'gone'), { recursive: true });
    writeFileSync(join(data, 'docs/new.txt'), 'n');
    await step(data, join(dir, 'a1.tar.gz'), s0);

    const to = join(dir, 'to');
    await extractArchive(createReadStream(join(dir, 'a0.tar.gz')), to);
    write(to, { 'stray.txt': 's', 'docs/stray/deep.txt': 'd' });
    const r = await extractArchive(createReadStream(join(dir, 'a1.tar.gz')), to);
    // unchanged keep.txt and docs/a.txt come from a0; a1 holds only docs/new.txt
    assert.deepEqual(r, { files: 1, dirs: 1, symlinks: 0, others: 0, deleted: 4 });
    assert.deepEqual(readdirSync(to).sort(), ['docs', 'keep.txt']);
    assert.deepEqual(readdirSync(join(to, 'docs')).sort(), ['a.txt', 'new.txt']);
    assert.equal(readFileSync(join(to, 'keep.txt'), 'utf8'), 'k');
  }),
);

test(
  'with a filter only matching files are written and only matching paths are removed',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'docs/a.txt': 'a', 'docs/b.md': 'b', 'src/c.txt': 'c' });
    await step(data, join(dir, 'a0.tar.gz'), null);
    const to = join(dir, 'to');
    write(to, { 'docs/stray.txt': 'removed: matches', 'docs/stray.bin': 'kept: does not match', 'other/x.txt': 'kept: outside docs' });
    const r = await extractArchive(createReadStream(join(dir, 'a0.tar.gz')), to, { filter: (p) => p.startsWith('docs/') && p.endsWith('.txt') });
    assert.equal(r.files, 1);
    assert.equal(r.deleted, 1);
    assert.deepEqual(readdirSync(join(to, 'docs')).sort(), ['a.txt', 'stray.bin']);
    assert.ok(existsSync(join(to, 'other/x.txt')));
    assert.ok(!existsSync(join(to, 'src')));
  }),
);

test(
  'a filter that names a directory restores it with its contents, creating the directories on the way',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'a/b/c/file.txt': 'deep', 'a/other.txt': 'no' });
    chmodSync(join(data, 'a/b'), 0o750);
    utimesSync(join(data, 'a/b'), 1_000_000_000, 1_000_000_000);
    await step(data, join(dir, 'a0.tar.gz'), null);
    const to = join(dir, 'to');
    await extractArchive(createReadStream(join(dir, 'a0.tar.gz')), to, { filter: (p) => p === 'a/b' || p.startsWith('a/b/') });
    assert.equal(readFileSync(join(to, 'a/b/c/file.txt'), 'utf8'), 'deep');
    assert.ok(!existsSync(join(to, 'a/other.txt')));
    assert.equal(statSync(join(to, 'a/b')).mode & 0o7777, 0o750);
    assert.equal(statSync(join(to, 'a/b')).mtimeMs, 1_000_000_000_000);
  }),
);

test(
  'directory modes and mtimes are set after their contents; read-only directories are restored too',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'ro/inner/f.txt': 'f' });
    utimesSync(join(data, 'ro/inner'), 1_100_000_000, 1_100_000_000);
    utimesSync(join(data, 'ro'), 1_200_000_000, 1_200_000_000);
    chmodSync(join(data, 'ro'), 0o555);
    const s0 = await step(data, join(dir, 'a0.tar.gz'), null);
    chmodSync(join(data, 'ro'), 0o755);
    writeFileSync(join(data, 'ro/inner/g.txt'), 'g');
    utimesSync(join(data, 'ro'), 1_200_000_000, 1_200_000_000);
    chmodSync(join(data, 'ro'), 0o555);
    await step(data, join(dir, 'a1.tar.gz'), s0);
    const to = join(dir, 'to');
    await extractArchive(createReadStream(join(dir, 'a0.tar.gz')), to);
    assert.equal(statSync(join(to, 'ro')).mode & 0o7777, 0o555);
    await extractArchive(createReadStream(join(dir, 'a1.tar.gz')), to);
    assert.equal(readFileSync(join(to, 'ro/inner/g.txt'), 'utf8'), 'g');
    assert.equal(statSync(join(to, 'ro')).mode & 0o7777, 0o555);
    assert.equal(statSync(join(to, 'ro')).mtimeMs, 1_200_000_000_000);
    assert.equal(statSync(join(to, 'ro/inner')).mtimeMs, statSync(join(data, 'ro/inner')).mtimeMs - (statSync(join(data, 'ro/inner')).mtimeMs % 1000));
    chmodSync(join(data, 'ro'), 0o755);
  }),
);

test(
  'a symlink in the target where a directory belongs is replaced, not followed',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'd/f.txt': 'inside' });
    await step(data, join(dir, 'a0.tar.gz'), null);
    const outside = join(dir, 'outside');
    write(outside, { 'precious.txt': 'must stay' });
    const to = join(dir, 'to');
    mkdirSync(to);
    symlinkSync(outside, join(to, 'd'));
    await extractArchive(createReadStream(join(dir, 'a0.tar.gz')), to);
    assert.ok(lstatSync(join(to, 'd')).isDirectory());
    assert.equal(readFileSync(join(to, 'd/f.txt'), 'utf8'), 'inside');
    assert.deepEqual(readdirSync(outside), ['precious.txt']);
  }),
);

test(
  'a file cut short by a damaged archive never appears under its real name',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'big.bin'), Buffer.alloc(400_000, 5));
    await step(data, join(dir, 'a0.tar.gz'), null);
    const gz = readFileSync(join(dir, 'a0.tar.gz'));
    const to = join(dir, 'to');
    await assert.rejects(extractArchive(Readable.from([gz.subarray(0, Math.floor(gz.length / 2))]), to), (err) => isBackupError(err, 'ARCHIVE_CORRUPT'));
    assert.deepEqual(readdirSync(to), []);
  }),
);

test(
  'an abort stops the extraction with ABORTED',
  withTmp('extract-archive', async (dir) => {
    const data = join(dir, 'data');
    write(data, { 'a.txt': 'a' });
    await step(data, join(dir, 'a0.tar.gz'), null);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(extractArchive(createReadStream(join(dir, 'a0.tar.gz')), join(dir, 'to'), { signal: ac.signal }), (err) => isBackupError(err, 'ABORTED'));
  }),
);
