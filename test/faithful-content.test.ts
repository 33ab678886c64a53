/**
 * Restores as faithful as GNU tar 1.34's: a tree with owners (as root: other ids, with and
 * without local names), hard links, a FIFO, device nodes (as root), a socket, a 64 MiB
 * sparse file, mtimes before 1970 and after 2262 and user.* extended attributes
 * (archive.xattrs; names with '=' and '%', empty values) is backed up by the real binary (a full,
 * then incrementals that add a new name for an old inode and drop the first name), and every
 * point is restored with `backup restore`, `backup restore --from-archives` and GNU tar
 * (`tar --listed-incremental=/dev/null -xzf` of the chain in order); each must equal the
 * data directory as it was: type, mode, owner, mtime, content, device numbers, which names
 * share an inode, sparseness and extended attributes (GNU tar with --xattrs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, closeSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseGetfattr, type Xattr } from '../src/archive/xattrs.js';
import { runCli } from './helpers/run-cli.js';

const asRoot = process.getuid?.() === 0;
const SPARSE_SIZE = 64 * 1024 * 1024;
const PAST = Date.UTC(1950, 5, 1) / 1000;
/** Node sets a negative number of seconds as "now": times before 1970 go as Dates. */
const at = (seconds: number) => new Date(seconds * 1000);
const FUTURE = Date.UTC(2300, 0, 1) / 1000;

/** What a faithful restore reproduces for one path. */
interface Faithful {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime?: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: number;
  /** user.* extended attributes (name=base64 value), when there are any. */
  xattrs?: string[];
  /** Every name of the inode, when it has more than one. */
  links?: string[];
  sparse?: boolean;
}

/** Reads a tree (root excluded) into path → what must be restored; directory mtimes are left out (writing inside changes them). */
function faithfulTree(root: string): Record<string, Faithful> {
  const out: Record<string, Faithful> = {};
  const byInode = new Map<bigint, string[]>();
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p, { bigint: true });
      const f: Faithful = { type: '?', mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
      if (st.isDirectory()) f.type = 'dir';
      else if (st.isSocket()) continue;
      else {
        f.mtime = Number(st.mtimeNs / 1_000_000_000n);
        if (st.isSymbolicLink()) Object.assign(f, { type: 'symlink', target: readlinkSync(p), mode: 0 });
        else if (st.isFIFO()) f.type = 'fifo';
        else if (st.isCharacterDevice() || st.isBlockDevice()) Object.assign(f, { type: st.isCharacterDevice() ? 'chardev' : 'blockdev', rdev: Number(st.rdev) });
        else {
          Object.assign(f, { type: 'file', size: Number(st.size), sha256: createHash('sha256').update(readFileSync(p)).digest('hex'), sparse: st.blocks * 512n < st.size / 2n });
          if (st.nlink > 1n) byInode.set(st.ino, [...(byInode.get(st.ino) ?? []), r]);
        }
      }
      out[r] = f;
      if (f.type === 'dir') walk(r);
    }
  };
  walk('');
  for (const names of byInode.values()) for (const n of names) out[n].links = [...names].sort();
  const xattrs = new Map<string, Xattr[]>();
  parseGetfattr(spawnSync('getfattr', ['-R', '-P', '-d', '-e', 'base64', '--absolute-names', root], { encoding: 'utf8' }).stdout, xattrs);
  for (const [abs, list] of xattrs) {
    const rel = relative(root, abs);
    if (out[rel]?.type === 'file') out[rel].xattrs = list.map((x) => `${x.name}=${x.value.toString('base64')}`).sort();
  }
  return out;
}

function put(root: string, rel: string, content: string | Buffer): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** A 64 MiB file with two small data extents and holes elsewhere. */
function makeSparse(p: string): void {
  const fd = openSync(p, 'w');
  writeSync(fd, Buffer.alloc(5000, 'a'), 0, 5000, 1024 * 1024);
  writeSync(fd, Buffer.alloc(3000, 'b'), 0, 3000, 40 * 1024 * 1024);
  ftruncateSync(fd, SPARSE_SIZE);
  closeSync(fd);
}

const steps: Array<{ what: string; change: (d: string) => void }> = [
  {
    what: 'owners, hard links, a FIFO, device nodes, a socket, a sparse file, times out of range',
    change: (d) => {
      put(d, 'owned/plain.txt', 'mine\n');
      const numeric = put(d, 'owned/numeric.txt', 'ids without names\n');
      const named = put(d, 'owned/named.txt', 'daemon owns this\n');
      symlinkSync('plain.txt', join(d, 'owned/link'));
      if (asRoot) {
        chownSync(numeric, 12345, 23456);
        chownSync(named, 1, 1);
        lchownSync(join(d, 'owned/link'), 4321, 4322);
        chownSync(join(d, 'owned'), 777, 888);
      }
      put(d, 'hard/a', 'one inode, several names\n');
      execFileSync('setfattr', ['-n', 'user.color', '-v', 'blue', join(d, 'hard/a')]);
      execFileSync('setfattr', ['-n', 'user.bytes', '-v', '0x00ff0a3d', join(d, 'owned/plain.txt')]);
      // GNU tar escapes '=' and '%' in a name (%3D, %25); an empty value is a value
      execFileSync('setfattr', ['-n', 'user.a=b%25', '-v', 'escaped name', join(d, 'owned/plain.txt')]);
      execFileSync('setfattr', ['-n', 'user.empty', join(d, 'owned/plain.txt')]);
      linkSync(join(d, 'hard/a'), join(d, 'hard/b'));
      mkdirSync(join(d, 'special'));
      execFileSync('mkfifo', ['-m', '0640', join(d, 'special/pipe')]);
      if (asRoot) {
        execFileSync('mknod', ['-m', '0620', join(d, 'special/null-like'), 'c', '1', '3']);
        execFileSync('mknod', ['-m', '0600', join(d, 'special/loop-like'), 'b', '7', '200']);
      }
      makeSparse(join(d, 'sparse.img'));
      utimesSync(put(d, 'times/past.txt', 'before 1970\n'), at(PAST), at(PAST));
      utimesSync(put(d, 'times/future.txt', 'after 2262\n'), FUTURE, FUTURE);
      symlinkSync('future.txt', join(d, 'times/future-link'));
      lutimesSync(join(d, 'times/future-link'), FUTURE, FUTURE);
    },
  },
  {
    what: 'a new name for an old inode, in another directory too; a second FIFO; an edited past file',
    change: (d) => {
      linkSync(join(d, 'hard/a'), join(d, 'hard/c'));
      mkdirSync(join(d, 'elsewhere'));
      linkSync(join(d, 'hard/a'), join(d, 'elsewhere/d'));
      execFileSync('mkfifo', [join(d, 'special/pipe2')]);
      utimesSync(put(d, 'times/past.txt', 'still before 1970\n'), at(PAST - 86400), at(PAST - 86400));
      execFileSync('setfattr', ['-n', 'user.note', '-v', 'edited', join(d, 'times/past.txt')]);
    },
  },
  {
    what: 'the first name removed; owners changed',
    change: (d) => {
      unlinkSync(join(d, 'hard/a'));
      if (asRoot) chownSync(join(d, 'owned/plain.txt'), 54321, 1);
      else utimesSync(join(d, 'owned/plain.txt'), at(PAST), at(PAST));
    },
  },
];

test('owners, hard links, FIFOs, devices, a sparse file and out-of-range times restore like GNU tar at every point', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-faithful-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const state = join(root, 'state');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'faithful', stateDir: state, archive: { blockSizeKiB: 64, xattrs: true } }));
  // a socket in the data directory is skipped without a warning, as GNU tar does
  const server = createServer();
  await new Promise<void>((res) => server.listen(join(data, 'sock'), res));
  t.after(() => server.close());

  const expected: Array<Record<string, Faithful>> = [];
  for (const [i, step] of steps.entries()) {
    step.change(data);
    // ctime granularity: the next step's changes land in a later tick
    await new Promise((r) => setTimeout(r, 20));
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 0, `run ${i + 1} (${step.what}): ${r.stderr}`);
    expected.push(faithfulTree(data));
  }
  assert.deepEqual(expected[0]['hard/a'].xattrs, [`user.color=${Buffer.from('blue').toString('base64')}`], 'the comparison sees extended attributes');
  const archives = (JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ seq: number; localPath: string; size: number }> }).archives;
  assert.deepEqual(archives.map((a) => a.seq), [1, 2, 3]);
  // 64 MiB with two small extents: the full archive is kilobytes
  assert.ok(archives[0].size < 64 * 1024, `full archive is ${archives[0].size} bytes`);
  // the catalog's member lists agree with what the archives hold
  const check = await runCli(['check', '--config', config]);
  assert.equal(check.code, 0, check.stdout + check.stderr);

  for (let k = 1; k <= steps.length; k++) {
    const want = expected[k - 1];
    const ours = join(root, `restore-${k}`);
    const r = await runCli(['restore', '--config', config, '--seq', String(k), '--to', ours]);
    assert.equal(r.code, 0, `restore ${k}: ${r.stderr}`);
    assert.deepEqual(faithfulTree(ours), want, `backup restore at point ${k}`);

    const gnu = join(root, `gnu-${k}`);
    mkdirSync(gnu);
    for (const a of archives.slice(0, k)) execFileSync('tar', ['--listed-incremental=/dev/null', '--xattrs', '--warning=no-timestamp', '-xzf', a.localPath], { cwd: gnu });
    assert.deepEqual(faithfulTree(gnu), want, `GNU tar restore at point ${k}`);

    const fa = join(root, `from-archives-${k}`);
    const r2 = await runCli(['restore', '--from-archives', join(state, 'archives'), '--seq', String(k), '--to', fa]);
    assert.equal(r2.code, 0, `restore --from-archives ${k}: ${r2.stderr}`);
    assert.deepEqual(faithfulTree(fa), want, `restore --from-archives at point ${k}`);
  }

  // one name of a linked file, its first name not selected: the content still comes back
  const part = join(root, 'partial');
  const r = await runCli(['restore', '--config', config, '--seq', '2', '--path', 'hard/c', '--to', part]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(part, 'hard/c'), 'utf8'), 'one inode, several names\n');
  assert.ok(!lstatSync(join(part, 'hard')).isFile());
  assert.deepEqual(readdirSync(join(part, 'hard')), ['c']);
});
