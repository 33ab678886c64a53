import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmod, link, lutimes, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isBackupError } from '../errors.js';
import { startWorker } from '../threads/start-worker.js';
import { excludingOwnDirs } from './own-dirs-excluder.js';
import { createExcludeMatcher } from './exclude-matcher.js';
import { walkTree } from './scan-tree.js';
import { BATCH_RECORDS, START_IN_FLIGHT, startWalkInWorker, walkOnWorker, walkTreeInWorker, type ExcludeRules } from './walk-tree-in-worker.js';
import type { TreeEntry } from './tree-entry.js';

async function tempTree(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'walk-worker-'));
  t.after(async () => {
    execFileSync('chmod', ['-R', 'u+rwx', dir]);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

const canDropPrivileges = () => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Both walks of `root` as ordered logs (entries, unreadable paths, warnings, progress), run
 * in a child process; as root, one without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
 * (setpriv), so that chmod 000 holds for it.
 */
function walkBoth(root: string, rules: ExcludeRules): { thread: unknown[]; worker: unknown[]; unprivileged: boolean } {
  const script = fileURLToPath(new URL('./testing/walk-both.ts', import.meta.url));
  const node = [process.execPath, '--import', 'tsx', script, root, JSON.stringify(rules)];
  const unprivileged = process.getuid?.() !== 0 || canDropPrivileges();
  const argv = process.getuid?.() === 0 && unprivileged ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...node] : node;
  const out = execFileSync(argv[0], argv.slice(1), { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { ...(JSON.parse(out) as { thread: unknown[]; worker: unknown[] }), unprivileged };
}

test('the worker walk reports exactly what the in-thread walk does, in the same order, on an awkward tree', async (t) => {
  const root = await tempTree(t);
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  // "a-b" and "a.b" sort between "a" and "a/x"; "a0" after the whole of a/
  await mkdir(join(root, 'a'));
  await writeFile(join(root, 'a/x'), 'x');
  for (const name of ['a-b', 'a.b', 'é', '\uffff', '😀']) await writeFile(join(root, name), name);
  await mkdir(join(root, 'a0'));
  // names and a link target that are not valid UTF-8, a directory among them
  const badDir = bytes(`${root}/bad-`, [0xff, 0xfe]);
  await mkdir(badDir);
  await writeFile(Buffer.concat([badDir, bytes('/in', [0x80], 'side')]), 'b');
  await symlink(bytes('tar', [0xc3], 'get'), Buffer.concat([badDir, Buffer.from('/ln')]));
  await symlink('../a/x', join(root, 'a0/to-x'));
  await symlink('nowhere', join(root, 'dangling'));
  await link(join(root, 'a/x'), join(root, 'a0/hard-x'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  // times in the year 2300: more nanoseconds than an int64 holds
  await writeFile(join(root, 'future.txt'), 'f');
  await utimes(join(root, 'future.txt'), 10_413_792_000, 10_413_792_000);
  await symlink('future.txt', join(root, 'future-link'));
  await lutimes(join(root, 'future-link'), 10_413_792_000, 10_413_792_000);
  const server = createServer();
  await new Promise<void>((res) => server.listen(join(root, 'sock'), res));
  t.after(() => server.close());
  try {
    execFileSync('mknod', [join(root, 'null'), 'c', '1', '3'], { stdio: 'ignore' });
  } catch {
    // not allowed here: the tree goes without a device node
  }
  // excluded: a pattern at any depth, a directory-only pattern, the tool's own directory
  await mkdir(join(root, 'a0/node_modules/pkg'), { recursive: true });
  await writeFile(join(root, 'a0/node_modules/pkg/i.js'), '');
  await writeFile(join(root, 'debug.log'), '');
  await mkdir(join(root, 'cache'));
  await writeFile(join(root, 'cache.txt'), '');
  await mkdir(join(root, 'state/staging'), { recursive: true });
  // more records than one batch holds, so batches and progress calls cross boundaries
  await mkdir(join(root, 'many'));
  for (let i = 0; i < 2500; i++) await writeFile(join(root, 'many', `f${i}`), '');
  // a directory that cannot be listed, and one that can be listed but not searched
  await mkdir(join(root, 'locked/inner'), { recursive: true });
  await mkdir(join(root, 'noexec'));
  await writeFile(join(root, 'noexec/f'), '');
  await chmod(join(root, 'locked'), 0o000);
  await chmod(join(root, 'noexec'), 0o444);

  const { thread, worker, unprivileged } = walkBoth(root, { patterns: ['node_modules', '*.log', 'cache/'], own: [{ key: 'stateDir', rel: 'state' }] });
  assert.deepEqual(worker, thread);

  // and the log is the awkward tree's, not an empty one
  const paths = thread.filter((r) => (r as [string])[0] === 'entry').map((r) => (r as [string, TreeEntry])[1].path);
  assert.deepEqual(paths.slice(0, 6), ['', 'a', 'a-b', 'a.b', 'a/x', 'a0']);
  assert.ok(paths.includes('bad-\udcff\udcfe/in\udc80side'));
  const ln = thread.find((r) => (r as [string, TreeEntry])[1]?.path === 'bad-\udcff\udcfe/ln') as [string, TreeEntry];
  assert.equal(ln[1].linkTarget, 'tar\udcc3get');
  for (const p of ['future.txt', 'future-link']) {
    const e = thread.find((r) => (r as [string, TreeEntry])[1]?.path === p) as [string, string | TreeEntry];
    assert.equal((e[1] as { mtimeNs: unknown }).mtimeNs, '10413792000000000000n', p);
  }
  assert.ok(paths.includes('pipe') && paths.includes('a0/hard-x') && paths.includes('cache.txt'));
  assert.ok(!paths.some((p) => p.includes('node_modules') || p === 'debug.log' || p === 'cache' || p.startsWith('state') || p === 'sock'));
  assert.equal(paths.filter((p) => p.startsWith('many/')).length, 2500);
  assert.deepEqual(thread.at(-1), ['progress', paths.length]);
  if (unprivileged) {
    assert.deepEqual(thread.filter((r) => (r as [string])[0] === 'unreadable'), [['unreadable', 'locked'], ['unreadable', 'noexec']]);
    assert.ok(paths.includes('locked') && !paths.includes('locked/inner') && !paths.includes('noexec/f'));
  }
});

test('a worker walk fails as the in-thread walk does: DATA_DIR_MISSING, CONFIG_INVALID for a bad pattern, ABORTED on abort', async (t) => {
  const root = await tempTree(t);
  const none = () => undefined;
  await assert.rejects(walkTreeInWorker(join(root, 'nope'), {}, none, none), (err) => isBackupError(err, 'DATA_DIR_MISSING') && /does not exist/.test(err.message));
  await assert.rejects(walkTreeInWorker(root, { exclude: { patterns: ['!x'], own: [] } }, none, none), (err) => isBackupError(err, 'CONFIG_INVALID'));
  for (let i = 0; i < 3000; i++) await writeFile(join(root, `f${i}`), '');
  const ac = new AbortController();
  let seen = 0;
  await assert.rejects(
    walkTreeInWorker(root, { signal: ac.signal }, () => ++seen === 10 && ac.abort(), none),
    (err) => isBackupError(err, 'ABORTED'),
  );
  assert.ok(seen < 3001, 'the walk stopped at the abort');
  const already = new AbortController();
  already.abort();
  await assert.rejects(walkTreeInWorker(root, { signal: already.signal }, none, none), (err) => isBackupError(err, 'ABORTED'));
});

test('a walk worker that throws or stops before saying the walk is complete is an INTERNAL error, never a short scan, also when it did so before the walk was received', async () => {
  for (const how of ['throw', 'exit']) {
    for (const receiveAfterMs of [0, 300]) {
      const worker = startWorker(import.meta.url, 'testing/failing-walk-worker', { how });
      const walk = walkOnWorker(worker, new SharedArrayBuffer(4), { patterns: [], own: [] });
      if (receiveAfterMs) await sleep(receiveAfterMs);
      await assert.rejects(
        walk.receive({}, () => undefined, () => undefined),
        (err) => isBackupError(err, 'INTERNAL') && /worker thread/.test(err.message),
        `${how} ${receiveAfterMs}`,
      );
    }
  }
});

/** `dirs` × 1000 empty files under `root` (d1/1 … d<dirs>/1000). */
function manyFiles(root: string, dirs: number): void {
  execFileSync('sh', ['-c', `cd "$1" && for d in $(seq ${dirs}); do mkdir d$d && (cd d$d && seq 1000 | xargs touch); done`, 'sh', root]);
}

test('a walk started before its findings are wanted loses none of what it posted meanwhile, in order: the same as the in-thread walk', async (t) => {
  const root = await tempTree(t);
  manyFiles(root, 5);
  const rules: ExcludeRules = { patterns: ['d3/1*'], own: [{ key: 'stateDir', rel: 'd4' }] };
  const log = () => {
    const entries: unknown[] = [];
    return { entries, opts: { onProgress: (n: number) => entries.push(n) }, onEntry: (e: TreeEntry) => entries.push(e), onUnreadable: (p: string) => entries.push(['unreadable', p]) };
  };
  const thread = log();
  await walkTree(root, { exclude: excludingOwnDirs(createExcludeMatcher(rules.patterns), rules.own), ...thread.opts }, thread.onEntry, thread.onUnreadable);
  const walk = startWalkInWorker(root, { exclude: rules });
  // the worker walks the whole tree (5 batches, then `done`) and stops before anything takes it
  await sleep(500);
  const worker = log();
  await walk.receive(worker.opts, worker.onEntry, worker.onUnreadable);
  assert.deepEqual(worker.entries, thread.entries);
  assert.equal(thread.entries.filter((e) => typeof e === 'object' && (e as TreeEntry).type === 'file').length, 5000 - 1000 - 112);
  await walk.end();
  await assert.rejects(walk.receive({}, () => undefined, () => undefined), (err) => isBackupError(err, 'INTERNAL'), 'a walk is received once');
});

test('a started walk ended without being received stops its worker, also one waiting for its findings to be taken', async (t) => {
  const root = await tempTree(t);
  // more than START_IN_FLIGHT batches: the worker waits for the taker that never comes
  manyFiles(root, Math.ceil(((START_IN_FLIGHT + 2) * BATCH_RECORDS) / 1000));
  const walk = startWalkInWorker(root, {});
  await sleep(500);
  await walk.end();
  await walk.end();
  await assert.rejects(walk.receive({}, () => undefined, () => undefined), (err) => isBackupError(err, 'INTERNAL'), 'an ended walk is not received');
  // and one aborted before it is received: ABORTED, the worker ended
  const ac = new AbortController();
  const aborted = startWalkInWorker(root, {});
  ac.abort();
  await assert.rejects(aborted.receive({ signal: ac.signal }, () => undefined, () => undefined), (err) => isBackupError(err, 'ABORTED'));
  await aborted.end();
});
