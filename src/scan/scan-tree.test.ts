import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmod, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBackupError } from '../errors.js';
import { createExcludeMatcher } from './exclude-matcher.js';
import { scanTree, type ScanResult, type ScanWarning } from './scan-tree.js';
import type { TreeEntry } from './tree-entry.js';

async function tempTree(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scan-tree-'));
  t.after(async () => {
    await chmodAll(dir);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Gives every directory back its permissions so the temp tree can be removed. */
async function chmodAll(dir: string): Promise<void> {
  execFileSync('chmod', ['-R', 'u+rwx', dir]);
}

async function scanWithWarnings(root: string, opts: Parameters<typeof scanTree>[1] = {}): Promise<ScanResult & { warnings: ScanWarning[] }> {
  const warnings: ScanWarning[] = [];
  const r = await scanTree(root, { ...opts, onWarning: (w) => warnings.push(w) });
  return { ...r, warnings };
}

const byPath = (entries: TreeEntry[]) => new Map(entries.map((e) => [e.path, e]));

test('scan records files, empty directories, symlinks (dangling too) and the root as ""', async (t) => {
  const root = await tempTree(t);
  await mkdir(join(root, 'docs/empty'), { recursive: true });
  await writeFile(join(root, 'docs/a.txt'), 'hello');
  await chmod(join(root, 'docs/a.txt'), 0o640);
  await symlink('a.txt', join(root, 'docs/link'));
  await symlink('../nowhere/at/all', join(root, 'dangling'));
  await writeFile(join(root, 'big.bin'), Buffer.alloc(100_000, 7));

  const { entries, unreadableDirs, warnings } = await scanWithWarnings(root);
  assert.deepEqual(warnings, []);
  assert.deepEqual(unreadableDirs, []);
  assert.deepEqual(
    entries.map((e) => [e.path, e.type]),
    [
      ['', 'dir'],
      ['big.bin', 'file'],
      ['dangling', 'symlink'],
      ['docs', 'dir'],
      ['docs/a.txt', 'file'],
      ['docs/empty', 'dir'],
      ['docs/link', 'symlink'],
    ],
  );
  const m = byPath(entries);
  const a = m.get('docs/a.txt')!;
  const st = lstatSync(join(root, 'docs/a.txt'), { bigint: true });
  assert.equal(a.size, 5);
  assert.equal(a.mode, 0o640);
  assert.equal(a.mtimeNs, st.mtimeNs);
  assert.equal(a.ctimeNs, st.ctimeNs);
  assert.equal(a.ino, Number(st.ino));
  assert.equal(a.dev, Number(st.dev));
  assert.equal(a.uid, Number(st.uid));
  assert.equal(a.gid, Number(st.gid));
  assert.equal(a.linkTarget, undefined);
  assert.equal(m.get('big.bin')!.size, 100_000);
  assert.equal(m.get('docs/link')!.linkTarget, 'a.txt');
  assert.equal(m.get('dangling')!.linkTarget, '../nowhere/at/all');
  assert.equal(m.get('dangling')!.size, 0);
  assert.equal(m.get('docs')!.size, 0);
  assert.equal(m.get('')!.type, 'dir');
});

test('scan keeps nanosecond mtimes', async (t) => {
  const root = await tempTree(t);
  const f = join(root, 'f');
  await writeFile(f, 'x');
  await utimes(f, 1_600_000_000.123456, 1_600_000_000.123456);
  const { entries } = await scanWithWarnings(root);
  const e = byPath(entries).get('f')!;
  assert.equal(e.mtimeNs, lstatSync(f, { bigint: true }).mtimeNs);
  assert.equal(e.mtimeNs / 1_000_000_000n, 1_600_000_000n);
  assert.notEqual(e.mtimeNs % 1_000_000_000n, 0n);
});

test('a FIFO is recorded and a socket skipped without a warning, as GNU tar does', async (t) => {
  const root = await tempTree(t);
  await mkdir(join(root, 'd'));
  execFileSync('mkfifo', [join(root, 'd/pipe')]);
  await writeFile(join(root, 'd/f'), 'x');
  const server = createServer();
  await new Promise<void>((res) => server.listen(join(root, 'd/sock'), res));
  t.after(() => server.close());
  const { entries, warnings } = await scanWithWarnings(root);
  assert.deepEqual(entries.map((e) => `${e.path}:${e.type}`), [':dir', 'd:dir', 'd/f:file', 'd/pipe:fifo']);
  assert.deepEqual(warnings, []);
});

test('entries are sorted by full path in UTF-8 byte order', async (t) => {
  const root = await tempTree(t);
  for (const name of ['é', 'B', 'a-b', 'a.b', '😀', '\uffff', 'Z']) await writeFile(join(root, name), name);
  await mkdir(join(root, 'a'));
  await writeFile(join(root, 'a/b'), '');
  await mkdir(join(root, 'a0'));
  const { entries, warnings } = await scanWithWarnings(root);
  assert.deepEqual(warnings, []);
  const paths = entries.map((e) => e.path);
  const sorted = [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(paths, sorted);
  assert.deepEqual(paths, ['', 'B', 'Z', 'a', 'a-b', 'a.b', 'a/b', 'a0', 'é', '\uffff', '😀']);
});

test('unicode names, names of 255 bytes and paths over 1000 bytes are scanned as they are', async (t) => {
  const root = await tempTree(t);
  const long = 'L'.repeat(255);
  const uni = 'ü'.repeat(127); // 254 bytes
  let deep = '';
  for (let i = 0; i < 8; i++) deep = join(deep, `${i}-${'d'.repeat(150)}`);
  await mkdir(join(root, deep), { recursive: true });
  await writeFile(join(root, deep, long), 'deep');
  await writeFile(join(root, uni), 'u');
  await writeFile(join(root, 'Ünïcödé 文件 🗂.txt'), 'x');
  const { entries, warnings } = await scanWithWarnings(root);
  assert.deepEqual(warnings, []);
  const m = byPath(entries);
  assert.ok(m.has(uni));
  assert.ok(m.has('Ünïcödé 文件 🗂.txt'));
  const deepFile = `${deep}/${long}`;
  assert.ok(Buffer.byteLength(deepFile) > 1000);
  assert.equal(m.get(deepFile)?.size, 4);
});

test('a name that is not valid UTF-8 is scanned with its bytes escaped, and excludes still match it', async (t) => {
  const root = await tempTree(t);
  const bad = Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
  await writeFile(bad, 'x');
  await writeFile(join(root, 'good.txt'), 'y');
  const { entries, warnings } = await scanWithWarnings(root);
  assert.deepEqual(warnings, []);
  assert.deepEqual(entries.map((e) => e.path).sort(), ['', 'bad-\udcff\udcfe.txt', 'good.txt']);
  assert.equal(entries.find((e) => e.path.startsWith('bad-'))?.size, 1);
  const excluded = await scanWithWarnings(root, { exclude: createExcludeMatcher(['bad-*']) });
  assert.deepEqual(excluded.entries.map((e) => e.path), ['', 'good.txt']);
});

test('hardlinked files are two entries with the same inode', async (t) => {
  const root = await tempTree(t);
  await writeFile(join(root, 'one'), 'shared');
  await link(join(root, 'one'), join(root, 'two'));
  const { entries } = await scanWithWarnings(root);
  const m = byPath(entries);
  assert.equal(m.get('one')!.ino, m.get('two')!.ino);
  assert.equal(m.get('two')!.size, 6);
});

test('excluded paths are skipped silently and excluded directories are not entered', async (t) => {
  const root = await tempTree(t);
  await mkdir(join(root, 'src/node_modules/pkg'), { recursive: true });
  await writeFile(join(root, 'src/node_modules/pkg/index.js'), '');
  execFileSync('mkfifo', [join(root, 'src/node_modules/pipe')]);
  await writeFile(join(root, 'src/main.ts'), '');
  await writeFile(join(root, 'src/debug.log'), '');
  await mkdir(join(root, 'cache'));
  await writeFile(join(root, 'cache.txt'), '');
  await writeFile(join(root, 'cache/x'), '');
  const { entries, warnings } = await scanWithWarnings(root, { exclude: createExcludeMatcher(['node_modules', '*.log', 'cache/']) });
  assert.deepEqual(warnings, []);
  assert.deepEqual(entries.map((e) => e.path), ['', 'cache.txt', 'src', 'src/main.ts']);
});

test('a tree 1500 directories deep is scanned without exhausting the stack', async (t) => {
  const root = await tempTree(t);
  const depth = 1500;
  const rel = Array.from({ length: depth }, () => 'd').join('/');
  await mkdir(join(root, rel), { recursive: true });
  await writeFile(join(root, rel, 'leaf'), 'x');
  const { entries, warnings } = await scanWithWarnings(root);
  assert.deepEqual(warnings, []);
  assert.equal(entries.length, depth + 2);
  assert.equal(entries.at(-1)!.path, `${rel}/leaf`);
});

test('a data directory that is missing or not a directory is DATA_DIR_MISSING; a symlink to one is followed', async (t) => {
  const root = await tempTree(t);
  await assert.rejects(scanTree(join(root, 'nope')), (err) => isBackupError(err, 'DATA_DIR_MISSING') && /does not exist/.test(err.message));
  await writeFile(join(root, 'file'), '');
  await assert.rejects(scanTree(join(root, 'file')), (err) => isBackupError(err, 'DATA_DIR_MISSING') && /not a directory/.test(err.message));
  await mkdir(join(root, 'real'));
  await writeFile(join(root, 'real/x'), '');
  await symlink('real', join(root, 'via-link'));
  const { entries } = await scanWithWarnings(join(root, 'via-link'));
  assert.deepEqual(entries.map((e) => [e.path, e.type]), [['', 'dir'], ['x', 'file']]);
});

test('an aborted scan rejects with ABORTED', async (t) => {
  const root = await tempTree(t);
  for (let i = 0; i < 50; i++) await mkdir(join(root, `d${i}/e`), { recursive: true });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(scanTree(root, { signal: ac.signal }), (err) => isBackupError(err, 'ABORTED'));
  const late = new AbortController();
  let seen = 0;
  await assert.rejects(
    scanTree(root, { signal: late.signal, onWarning: () => undefined, exclude: () => (++seen === 10 && late.abort(), false) }),
    (err) => isBackupError(err, 'ABORTED'),
  );
});

test('entries removed while the scan runs are skipped with "vanished" warnings', async (t) => {
  const root = await tempTree(t);
  await mkdir(join(root, 'dir/sub'), { recursive: true });
  await writeFile(join(root, 'dir/sub/f'), '');
  await symlink('target', join(root, 'link'));
  for (let i = 0; i < 100; i++) await writeFile(join(root, `f${String(i).padStart(3, '0')}`), '');
  // The exclude callback runs right after an entry's lstat: it removes things the scan has
  // listed but not yet examined (the directory's listing, the link's target, queued siblings).
  let removedSiblings = false;
  const exclude = (rel: string, isDir: boolean) => {
    if (rel === 'dir' && isDir) rmSync(join(root, 'dir'), { recursive: true });
    if (rel === 'link') rmSync(join(root, 'link'));
    if (/^f\d+$/.test(rel) && !removedSiblings) {
      removedSiblings = true;
      for (let i = 0; i < 100; i++) rmSync(join(root, `f${String(i).padStart(3, '0')}`), { force: true });
    }
    return false;
  };
  const { entries, warnings } = await scanWithWarnings(root, { exclude });
  assert.ok(warnings.every((w) => w.code === 'vanished'), JSON.stringify(warnings));
  const warned = new Set(warnings.map((w) => w.path));
  assert.ok(warned.has('dir') && warned.has('link'));
  assert.ok(warned.size > 2, 'queued siblings removed before their lstat are reported');
  assert.ok(!entries.some((e) => e.path === 'dir' || e.path === 'link' || e.path.startsWith('dir/')));
  // every file is either recorded (examined before the removal) or reported, never both
  for (let i = 0; i < 100; i++) {
    const p = `f${String(i).padStart(3, '0')}`;
    assert.notEqual(entries.some((e) => e.path === p), warned.has(p), p);
  }
});

test('onProgress reports the number of entries recorded', async (t) => {
  const root = await tempTree(t);
  for (let i = 0; i < 2500; i++) await writeFile(join(root, `f${i}`), '');
  const seen: number[] = [];
  const { entries } = await scanTree(root, { onProgress: (n) => seen.push(n) });
  assert.ok(seen.length >= 3);
  assert.equal(seen.at(-1), entries.length);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen);
});

/**
 * Runs the scan where permissions apply. Root reads any directory, so as root the scan runs
 * in a child process whose capability bounding set lacks CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH (setpriv), which makes chmod 000 effective for it.
 */
async function scanAsUnprivileged(t: { skip(msg: string): void }, root: string): Promise<(ScanResult & { warnings: ScanWarning[] }) | undefined> {
  if (process.getuid?.() !== 0) return scanWithWarnings(root);
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    t.skip('running as root without setpriv: root reads any directory, so an unreadable one cannot be made');
    return undefined;
  }
  const moduleUrl = new URL('./scan-tree.ts', import.meta.url).href;
  const script = `
    import { scanTree } from ${JSON.stringify(moduleUrl)};
    const warnings = [];
    const r = await scanTree(${JSON.stringify(root)}, { onWarning: (w) => warnings.push(w) });
    process.stdout.write(JSON.stringify({ ...r, warnings }, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  `;
  const out = execFileSync(
    'setpriv',
    ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' },
  );
  return JSON.parse(out) as ScanResult & { warnings: ScanWarning[] };
}

test('a directory that cannot be listed is kept, warned about and reported in unreadableDirs', async (t) => {
  const root = await tempTree(t);
  await mkdir(join(root, 'locked/inner'), { recursive: true });
  await writeFile(join(root, 'locked/secret'), 's');
  await mkdir(join(root, 'noexec'));
  await writeFile(join(root, 'noexec/f'), 'f');
  await writeFile(join(root, 'open.txt'), 'o');
  await chmod(join(root, 'locked'), 0o000);
  await chmod(join(root, 'noexec'), 0o444); // listable, but its entries cannot be examined
  const r = await scanAsUnprivileged(t, root);
  if (!r) return;
  assert.deepEqual(r.entries.map((e) => e.path), ['', 'locked', 'noexec', 'open.txt']);
  assert.equal(r.entries[1].mode, 0);
  assert.deepEqual(r.unreadableDirs, ['locked', 'noexec']);
  assert.deepEqual(
    r.warnings.map((w) => [w.path, w.code]).sort(),
    [
      ['locked', 'unreadable-dir'],
      ['noexec', 'unreadable-dir'],
    ],
  );
  assert.match(r.warnings.find((w) => w.path === 'locked')!.message, /EACCES.*previous backup is kept/);
});

test('with oneFileSystem a directory on another filesystem is recorded without its contents, like tar --one-file-system', { skip: process.getuid?.() !== 0 && 'mounting needs root' }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'scan-tree-'));
  await mkdir(join(root, 'mnt'));
  await writeFile(join(root, 'here.txt'), 'x');
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(root, 'mnt')]);
  t.after(async () => {
    execFileSync('umount', [join(root, 'mnt')]);
    await rm(root, { recursive: true, force: true });
  });
  await writeFile(join(root, 'mnt/elsewhere.txt'), 'y');
  const one = await scanTree(root, { oneFileSystem: true });
  assert.deepEqual(one.entries.map((e) => e.path), ['', 'here.txt', 'mnt']);
  const all = await scanTree(root);
  assert.deepEqual(all.entries.map((e) => e.path), ['', 'here.txt', 'mnt', 'mnt/elsewhere.txt']);
});
