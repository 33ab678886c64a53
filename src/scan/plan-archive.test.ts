/**
 * The planner against real scans: each test changes a temp tree with real filesystem
 * operations, scans it, and plans against the snapshot of the step before, as a chain of
 * nightly runs would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, chmod, link, mkdir, mkdtemp, rename, rm, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { planArchive, snapshotEntryEqual } from './plan-archive.js';
import { scanTree, type ScanResult } from './scan-tree.js';
import { snapshotMap } from './snapshot-map.js';
import type { ArchivePlan, DumpdirFlag } from './archive-plan.js';
import type { TreeEntry } from './tree-entry.js';

const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A data directory and the snapshot chain built from it, one plan per step. */
class Chain {
  previous: Map<string, TreeEntry> | null = null;
  level = 0;
  constructor(readonly root: string) {}

  path(rel: string): string {
    return join(this.root, rel);
  }

  /** Scans, plans the next archive of the chain, checks the plan's invariants, keeps its snapshot. */
  async step(scanned?: (s: ScanResult) => ScanResult): Promise<ArchivePlan> {
    let scan = await scanTree(this.root);
    if (scanned) scan = scanned(scan);
    const plan = planArchive({ current: scan, previous: this.previous, level: this.level });
    checkPlan(plan, this.level === 0 ? null : this.previous);
    this.previous = snapshotMap(plan.snapshot);
    this.level++;
    // let the coarse kernel clock move on, so that changes after this step get a new ctime
    await sleep(25);
    return plan;
  }
}

async function chain(t: { after(fn: () => Promise<void>): void }, files: Record<string, string | null> = {}): Promise<Chain> {
  const root = await mkdtemp(join(tmpdir(), 'plan-archive-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    if (content === null) await mkdir(join(root, rel), { recursive: true });
    else {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(join(root, rel), content);
    }
  }
  return new Chain(root);
}

/** The dumpdir flag of a path in its parent's listing (undefined when not listed). */
function flagOf(plan: ArchivePlan, path: string): DumpdirFlag | undefined {
  const slash = path.lastIndexOf('/');
  const parent = slash === -1 ? '' : path.slice(0, slash);
  const dir = plan.dirs.find((d) => d.entry.path === parent);
  return dir?.listing.find((l) => l.name === path.slice(slash + 1))?.flag;
}

const stored = (plan: ArchivePlan) => plan.files.map((f) => f.path);

/** What every plan must satisfy for the archive writer and GNU tar. */
function checkPlan(plan: ArchivePlan, previous: ReadonlyMap<string, TreeEntry> | null): void {
  const snap = snapshotMap(plan.snapshot);
  const paths = plan.snapshot.map((e) => e.path);
  assert.equal(paths[0], '');
  for (let i = 1; i < paths.length; i++) assert.ok(bytes(paths[i - 1], paths[i]) < 0, `snapshot order: ${paths[i - 1]} / ${paths[i]}`);
  // every directory is a dumpdir member, in full-path byte order
  assert.deepEqual(
    plan.dirs.map((d) => d.entry.path),
    plan.snapshot.filter((e) => e.type === 'dir').map((e) => e.path),
  );
  const listed = new Set<string>();
  for (const d of plan.dirs) {
    const names = d.listing.map((l) => l.name);
    assert.deepEqual(names, [...names].sort(bytes), `listing of ${d.entry.path || '.'} is byte-sorted`);
    for (const l of d.listing) {
      const p = d.entry.path === '' ? l.name : `${d.entry.path}/${l.name}`;
      const e = snap.get(p);
      assert.ok(e, `${p} listed but not in the snapshot`);
      assert.equal(l.flag === 'D', e.type === 'dir', `${p}: D exactly for directories`);
      if (l.flag === 'N') {
        const prev = previous?.get(p);
        assert.ok(prev && snapshotEntryEqual(prev, e), `${p} is N only when unchanged since the previous snapshot`);
      }
      listed.add(p);
    }
  }
  assert.equal(listed.size, plan.snapshot.length - 1, 'every entry but the root is listed once');
  // the stored files are the Y entries, in the same order
  assert.deepEqual(
    stored(plan),
    plan.snapshot.filter((e) => e.type !== 'dir' && flagOf(plan, e.path) === 'Y').map((e) => e.path),
  );
  assert.deepEqual(plan.deleted, [...plan.deleted].sort(bytes));
  const c = plan.counts;
  assert.equal(c.added + c.changed + c.unchanged, plan.snapshot.length - 1);
  assert.equal(c.deleted, plan.deleted.length);
  assert.equal(c.bytes, plan.files.reduce((n, f) => n + f.size, 0));
}

test('level 0 stores every non-directory and lists every directory', async (t) => {
  const c = await chain(t, { 'a.txt': 'aaa', 'docs/b.md': 'bb', 'docs/empty': null, 'z/y/x': 'x' });
  await symlink('docs/b.md', c.path('ln'));
  const plan = await c.step();
  assert.equal(plan.level, 0);
  assert.deepEqual(stored(plan), ['a.txt', 'docs/b.md', 'ln', 'z/y/x']);
  assert.deepEqual(plan.dirs.map((d) => d.entry.path), ['', 'docs', 'docs/empty', 'z', 'z/y']);
  assert.deepEqual(plan.dirs[0].listing, [
    { name: 'a.txt', flag: 'Y' },
    { name: 'docs', flag: 'D' },
    { name: 'ln', flag: 'Y' },
    { name: 'z', flag: 'D' },
  ]);
  assert.deepEqual(plan.dirs[2].listing, []);
  assert.deepEqual(plan.deleted, []);
  assert.deepEqual(plan.counts, { added: 8, changed: 0, unchanged: 0, deleted: 0, bytes: 3 + 2 + 1 });
});

test('a level-0 plan ignores a previous snapshot', async (t) => {
  const c = await chain(t, { 'a.txt': 'a' });
  await c.step();
  await unlink(c.path('a.txt'));
  await writeFile(c.path('b.txt'), 'b');
  const scan = await scanTree(c.root);
  const plan = planArchive({ current: scan, previous: c.previous, level: 0 });
  assert.deepEqual(stored(plan), ['b.txt']);
  assert.deepEqual(plan.deleted, []);
  assert.equal(plan.counts.added, 1);
});

test('an unchanged tree plans nothing to store: all N, every directory still listed', async (t) => {
  const c = await chain(t, { 'a.txt': 'aaa', 'd/e/f': 'f', 'd/empty': null });
  await symlink('a.txt', c.path('d/ln'));
  await c.step();
  const plan = await c.step();
  assert.equal(plan.level, 1);
  assert.deepEqual(stored(plan), []);
  assert.deepEqual(plan.dirs.map((d) => d.entry.path), ['', 'd', 'd/e', 'd/empty']);
  assert.equal(flagOf(plan, 'a.txt'), 'N');
  assert.equal(flagOf(plan, 'd/e/f'), 'N');
  assert.equal(flagOf(plan, 'd/ln'), 'N');
  assert.deepEqual(plan.counts, { added: 0, changed: 0, unchanged: 6, deleted: 0, bytes: 0 });
});

test('an edit that puts the old mtime back is stored: the ctime changed', async (t) => {
  const c = await chain(t, { 'doc.txt': 'version 1', 'other.txt': 'o' });
  const old = new Date('2020-01-02T03:04:05Z');
  await utimes(c.path('doc.txt'), old, old);
  await c.step();
  const before = c.previous!.get('doc.txt')!;
  await writeFile(c.path('doc.txt'), 'version 2'); // same size, same inode
  await utimes(c.path('doc.txt'), old, old);
  const plan = await c.step();
  const after = plan.snapshot.find((e) => e.path === 'doc.txt')!;
  assert.equal(after.mtimeNs, before.mtimeNs);
  assert.equal(after.size, before.size);
  assert.equal(after.ino, before.ino);
  assert.notEqual(after.ctimeNs, before.ctimeNs);
  assert.deepEqual(stored(plan), ['doc.txt']);
  assert.equal(flagOf(plan, 'other.txt'), 'N');
  assert.deepEqual(plan.counts, { added: 0, changed: 1, unchanged: 1, deleted: 0, bytes: 9 });
});

test('a file copied in with an old preserved mtime is stored, at a new path and over an existing one', async (t) => {
  const c = await chain(t, { 'keep.txt': 'k', 'target.txt': 'same size!' });
  const outside = await mkdtemp(join(tmpdir(), 'plan-archive-src-'));
  t.after(() => rm(outside, { recursive: true, force: true }));
  await writeFile(join(outside, 'old.txt'), 'ancient');
  await writeFile(join(outside, 'twin.txt'), 'SAME SIZE!');
  const old = new Date('2001-01-01T00:00:00Z');
  await utimes(join(outside, 'old.txt'), old, old);
  await c.step();
  const t0 = c.previous!.get('target.txt')!;
  await utimes(join(outside, 'twin.txt'), new Date(Number(t0.mtimeNs / 1_000_000n)), new Date(Number(t0.mtimeNs / 1_000_000n)));
  execFileSync('cp', ['-p', join(outside, 'old.txt'), c.path('old.txt')]);
  execFileSync('cp', ['-p', join(outside, 'twin.txt'), c.path('target.txt')]);
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['old.txt', 'target.txt']);
  assert.equal(plan.snapshot.find((e) => e.path === 'old.txt')!.mtimeNs, BigInt(old.getTime()) * 1_000_000n);
  assert.equal(flagOf(plan, 'keep.txt'), 'N');
  assert.deepEqual(plan.counts, { added: 1, changed: 1, unchanged: 1, deleted: 0, bytes: 7 + 10 });
});

test('a touch alone is stored', async (t) => {
  const c = await chain(t, { 'a.txt': 'a', 'b.txt': 'b' });
  await c.step();
  const later = new Date(Date.now() + 60_000);
  await utimes(c.path('a.txt'), later, later);
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['a.txt']);
  assert.equal(flagOf(plan, 'b.txt'), 'N');
});

test('a chmod is stored', async (t) => {
  const c = await chain(t, { 'run.sh': '#!/bin/sh\n', 'b.txt': 'b' });
  await c.step();
  await chmod(c.path('run.sh'), 0o755);
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['run.sh']);
  assert.equal(plan.files[0].mode, 0o755);
  assert.equal(flagOf(plan, 'b.txt'), 'N');
});

test('a renamed file: the old path is deleted and the new one stored', async (t) => {
  const c = await chain(t, { 'd/old-name.txt': 'content', 'd/stay.txt': 's' });
  await c.step();
  await rename(c.path('d/old-name.txt'), c.path('d/new-name.txt'));
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['d/new-name.txt']);
  assert.deepEqual(plan.deleted, ['d/old-name.txt']);
  assert.equal(flagOf(plan, 'd/old-name.txt'), undefined);
  assert.equal(flagOf(plan, 'd/stay.txt'), 'N');
  assert.deepEqual(plan.counts, { added: 1, changed: 0, unchanged: 2, deleted: 1, bytes: 7 });
});

test('a renamed directory: everything under the new name is stored, the old name and all its contents deleted', async (t) => {
  const c = await chain(t, { 'photos/2019/a.jpg': 'AAAA', 'photos/2019/b.jpg': 'BB', 'photos/top.txt': 't', 'photos/empty': null, 'x.txt': 'x' });
  await c.step();
  await rename(c.path('photos'), c.path('pictures'));
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['pictures/2019/a.jpg', 'pictures/2019/b.jpg', 'pictures/top.txt']);
  assert.deepEqual(plan.deleted, ['photos', 'photos/2019', 'photos/2019/a.jpg', 'photos/2019/b.jpg', 'photos/empty', 'photos/top.txt']);
  assert.deepEqual(plan.dirs[0].listing, [
    { name: 'pictures', flag: 'D' },
    { name: 'x.txt', flag: 'N' },
  ]);
  assert.deepEqual(plan.dirs.map((d) => d.entry.path), ['', 'pictures', 'pictures/2019', 'pictures/empty']);
  assert.deepEqual(plan.counts, { added: 6, changed: 0, unchanged: 1, deleted: 6, bytes: 7 });
  // and the chain goes on from the new name
  const next = await c.step();
  assert.deepEqual(stored(next), []);
  assert.deepEqual(next.deleted, []);
});

test('two directories swapping names: nothing under either is N', async (t) => {
  const c = await chain(t, { 'a/f': 'from a', 'b/f': 'from b' });
  await c.step();
  await rename(c.path('a'), c.path('tmp'));
  await rename(c.path('b'), c.path('a'));
  await rename(c.path('tmp'), c.path('b'));
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['a/f', 'b/f']);
  assert.deepEqual(plan.deleted, []);
});

test('a file replaced by a directory, and a directory by a file', async (t) => {
  const c = await chain(t, { 'thing': 'a file', 'box/inner/deep.txt': 'd', 'box/f.txt': 'f' });
  await c.step();
  await unlink(c.path('thing'));
  await mkdir(c.path('thing'));
  await writeFile(c.path('thing/child.txt'), 'child');
  await rm(c.path('box'), { recursive: true });
  await writeFile(c.path('box'), 'now a file');
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['box', 'thing/child.txt']);
  assert.deepEqual(plan.deleted, ['box', 'box/f.txt', 'box/inner', 'box/inner/deep.txt', 'thing']);
  assert.equal(flagOf(plan, 'thing'), 'D');
  assert.equal(flagOf(plan, 'box'), 'Y');
  assert.deepEqual(plan.counts, { added: 1, changed: 2, unchanged: 0, deleted: 5, bytes: 10 + 5 });
  // and back again
  await rm(c.path('thing'), { recursive: true });
  await writeFile(c.path('thing'), 'a file again');
  const back = await c.step();
  assert.deepEqual(stored(back), ['thing']);
  assert.deepEqual(back.deleted, ['thing', 'thing/child.txt']);
});

test('a retargeted symlink is stored with its new target', async (t) => {
  const c = await chain(t, { 'v1/x': '1', 'v2/x': '2' });
  await symlink('v1', c.path('current'));
  await symlink('v1/x', c.path('stable'));
  await c.step();
  execFileSync('ln', ['-sfn', 'v2', c.path('current')]);
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['current']);
  assert.equal(plan.files[0].linkTarget, 'v2');
  assert.equal(flagOf(plan, 'stable'), 'N');
  // a symlink replaced by a file is a type change
  await unlink(c.path('stable'));
  await writeFile(c.path('stable'), 'plain');
  const next = await c.step();
  assert.deepEqual(stored(next), ['stable']);
  assert.deepEqual(next.deleted, ['stable']);
});

test('hardlinked files: a change through one name stores both; a new link re-stores the original', async (t) => {
  const c = await chain(t, { 'one': 'shared', 'solo': 's' });
  await link(c.path('one'), c.path('two'));
  await c.step();
  await appendFile(c.path('two'), '!');
  const plan = await c.step();
  assert.deepEqual(stored(plan), ['one', 'two']);
  assert.equal(plan.files[0].size, 7);
  // linking changes the shared inode's ctime (link count), so both names are stored again
  await link(c.path('solo'), c.path('solo-link'));
  const next = await c.step();
  assert.deepEqual(stored(next), ['solo', 'solo-link']);
  assert.equal(next.counts.added, 1);
  assert.equal(next.counts.changed, 1);
});

test('deletions list every path removed, nested ones included, and only once', async (t) => {
  const c = await chain(t, { 'gone/a/b/c.txt': 'c', 'gone/a/x.txt': 'x', 'gone/top.txt': 't', 'file.txt': 'f', 'keep/k.txt': 'k' });
  await c.step();
  await rm(c.path('gone'), { recursive: true });
  await unlink(c.path('file.txt'));
  await unlink(c.path('keep/k.txt'));
  const plan = await c.step();
  assert.deepEqual(plan.deleted, ['file.txt', 'gone', 'gone/a', 'gone/a/b', 'gone/a/b/c.txt', 'gone/a/x.txt', 'gone/top.txt', 'keep/k.txt']);
  assert.deepEqual(plan.dirs.find((d) => d.entry.path === 'keep')!.listing, []);
  assert.deepEqual(plan.counts, { added: 0, changed: 0, unchanged: 1, deleted: 8, bytes: 0 });
  const next = await c.step();
  assert.deepEqual(next.deleted, []);
});

test('an unreadable directory keeps its previous contents as N/D and nothing under it is deleted', async (t) => {
  const c = await chain(t, { 'locked/a.txt': 'a', 'locked/sub/b.txt': 'b', 'locked/sub/empty': null, 'open.txt': 'o' });
  await c.step();
  await writeFile(c.path('open.txt'), 'changed');
  await writeFile(c.path('locked/new.txt'), 'not seen: the directory cannot be read');
  // what scanTree reports when 'locked' cannot be listed (scan-tree.test.ts proves it on a real unreadable directory)
  const unreadable = (s: ScanResult): ScanResult => ({
    entries: s.entries.filter((e) => !e.path.startsWith('locked/')),
    unreadableDirs: ['locked'],
  });
  const plan = await c.step(unreadable);
  assert.deepEqual(stored(plan), ['open.txt']);
  assert.deepEqual(plan.deleted, []);
  assert.deepEqual(plan.dirs.map((d) => d.entry.path), ['', 'locked', 'locked/sub', 'locked/sub/empty']);
  assert.deepEqual(plan.dirs[1].listing, [
    { name: 'a.txt', flag: 'N' },
    { name: 'sub', flag: 'D' },
  ]);
  assert.equal(flagOf(plan, 'locked/sub/b.txt'), 'N');
  assert.ok(plan.snapshot.some((e) => e.path === 'locked/sub/b.txt'));
  assert.deepEqual(plan.counts, { added: 0, changed: 1, unchanged: 5, deleted: 0, bytes: 7 });
  // still unreadable on the next run: still kept
  const again = await c.step(unreadable);
  assert.deepEqual(again.deleted, []);
  assert.equal(flagOf(again, 'locked/a.txt'), 'N');
  // readable again: old files are unchanged (N), the new one is stored
  const readable = await c.step();
  assert.deepEqual(stored(readable), ['locked/new.txt']);
  assert.equal(flagOf(readable, 'locked/sub/b.txt'), 'N');
  assert.deepEqual(readable.deleted, []);
});

test('an unreadable data directory keeps the whole previous snapshot', async (t) => {
  const c = await chain(t, { 'a/b.txt': 'b', 'c.txt': 'c' });
  await c.step();
  const plan = await c.step((s) => ({ entries: s.entries.filter((e) => e.path === ''), unreadableDirs: [''] }));
  assert.deepEqual(stored(plan), []);
  assert.deepEqual(plan.deleted, []);
  assert.deepEqual(plan.snapshot.map((e) => e.path), ['', 'a', 'a/b.txt', 'c.txt']);
});

test('at level 0 an unreadable directory has nothing earlier to point to, so its old contents are absent', async (t) => {
  const c = await chain(t, { 'locked/a.txt': 'a', 'open.txt': 'o' });
  const scan = await scanTree(c.root);
  const plan = planArchive({
    current: { entries: scan.entries.filter((e) => !e.path.startsWith('locked/')), unreadableDirs: ['locked'] },
    previous: snapshotMap(scan.entries),
    level: 0,
  });
  checkPlan(plan, null);
  assert.deepEqual(plan.snapshot.map((e) => e.path), ['', 'locked', 'open.txt']);
  assert.deepEqual(plan.dirs[1].listing, []);
});

test('unicode and long names keep byte order in listings and member order', async (t) => {
  const long = 'n'.repeat(200);
  const c = await chain(t, { 'é/x': '1', 'B': '2', 'a': '3', 'a-b': '4', 'a.b/c': '5', [`${long}/${long}.txt`]: '6', '😀': '7', '\uffff': '8' });
  const plan = await c.step();
  assert.deepEqual(plan.dirs[0].listing.map((l) => l.name), ['B', 'a', 'a-b', 'a.b', long, 'é', '\uffff', '😀']);
  assert.deepEqual(stored(plan), ['B', 'a', 'a-b', 'a.b/c', `${long}/${long}.txt`, 'é/x', '\uffff', '😀']);
  await writeFile(c.path('é/y'), 'new');
  const next = await c.step();
  assert.deepEqual(stored(next), ['é/y']);
  assert.deepEqual(next.dirs.find((d) => d.entry.path === 'é')!.listing, [
    { name: 'x', flag: 'N' },
    { name: 'y', flag: 'Y' },
  ]);
});

test('a path newly excluded from the scan is deleted from the snapshot', async (t) => {
  const c = await chain(t, { 'app.log': 'l', 'keep.txt': 'k' });
  await c.step();
  const plan = await c.step((s) => ({ ...s, entries: s.entries.filter((e) => !e.path.endsWith('.log')) }));
  assert.deepEqual(plan.deleted, ['app.log']);
});

test('snapshotEntryEqual compares identity, times, size, mode, owner and link target', async () => {
  const base: TreeEntry = { path: 'p', type: 'file', mode: 0o644, size: 1, mtimeNs: 10n, ctimeNs: 20n, dev: 1, ino: 2, uid: 0, gid: 0 };
  assert.ok(snapshotEntryEqual(base, { ...base }));
  for (const change of [{ type: 'symlink' as const }, { mode: 0o600 }, { size: 2 }, { mtimeNs: 11n }, { ctimeNs: 21n }, { dev: 9 }, { ino: 9 }, { uid: 1 }, { gid: 1 }, { linkTarget: 'x' }]) {
    assert.ok(!snapshotEntryEqual(base, { ...base, ...change }), JSON.stringify(Object.keys(change)));
  }
  // the snapshot store reads back what the scan stored
  const dir = await mkdtemp(join(tmpdir(), 'plan-archive-eq-'));
  try {
    await writeFile(join(dir, 'f'), 'x');
    const a = (await scanTree(dir)).entries[1];
    const b = (await scanTree(dir)).entries[1];
    assert.ok(snapshotEntryEqual(a, b));
    assert.equal((await stat(join(dir, 'f'))).size, a.size);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
