/**
 * The streaming scan: a run walks the tree in path order, merges it with the snapshot read
 * from the catalog a page at a time and records the archive's directories, files, members and
 * deletions in batches. These tests pin that what it records is what the in-memory planner
 * (the same decisions collected into arrays) says, row by row, through the scripted history,
 * and that a tree many batches long restores exactly, with `backup restore` and with GNU tar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree } from './helpers/tree-snapshot.js';
import { historySteps } from './helpers/history-steps.js';
import { loadConfig } from '../src/config/load-config.js';
import { catalogPath, openCatalog, type Db } from '../src/catalog/open-catalog.js';
import { startRun, updateRun } from '../src/catalog/run-store.js';
import { archiveDeletions, archiveMembers, listArchives } from '../src/catalog/archive-store.js';
import { snapshotInOrder } from '../src/catalog/scan-store.js';
import { runBackup } from '../src/backup/run-backup.js';
import { scanTree } from '../src/scan/scan-tree.js';
import { planArchive } from '../src/scan/plan-archive.js';
import { snapshotMap } from '../src/scan/snapshot-map.js';
import type { TreeEntry } from '../src/scan/tree-entry.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

/** The snapshot as the catalog holds it, in path order. */
function catalogSnapshot(db: Db): TreeEntry[] {
  return [...snapshotInOrder(db)];
}

/** What a snapshot row compares (the scan also carries nlink, blocks and device numbers, which the snapshot does not keep). */
const row = (e: TreeEntry) => ({ path: e.path, type: e.type, mode: e.mode, size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, dev: e.dev, ino: e.ino, uid: e.uid, gid: e.gid, linkTarget: e.linkTarget });

test('the streaming run records the snapshot, members and deletions the in-memory planner gives, at every step of the history', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-stream-history-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'hist', stateDir: join(root, 'state'), archive: { fullEvery: 5, blockSizeKiB: 64 } }));
  let previous: Map<string, TreeEntry> | null = null;
  for (const [i, step] of historySteps.entries()) {
    step(data);
    await tick();
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 0, `run ${i + 1}: ${r.stderr}`);
    const db = openCatalog(catalogPath(join(root, 'state')), { readonly: true });
    try {
      const archive = listArchives(db).at(-1)!;
      const plan = planArchive({ current: await scanTree(data), previous, level: archive.level });
      assert.deepEqual(catalogSnapshot(db).map(row), plan.snapshot.map(row), `snapshot after run ${i + 1}`);
      const members = archiveMembers(db, archive.seq);
      assert.deepEqual(
        members.map((m) => [m.path, m.type]),
        [...plan.dirs.map((d) => [d.entry.path, 'dir']), ...plan.files.map((f) => [f.path, f.type])],
        `members of archive ${archive.seq}, in tar order`,
      );
      assert.deepEqual(archiveDeletions(db, archive.seq).sort(), [...plan.deleted].sort(), `deletions of archive ${archive.seq}`);
      previous = snapshotMap(plan.snapshot);
    } finally {
      db.close();
    }
  }
});

test('a tree many catalog batches long (3 rows a batch) restores exactly, with backup restore and with GNU tar, through full and incrementals', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-stream-batches-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  const state = join(root, 'state');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'batches', stateDir: state, archive: { blockSizeKiB: 64 } }));
  // names whose full-path order is not depth-first order: "a", "a-b", "a.c", "a/…", "a0"
  for (const d of ['a', 'a-b', 'a.c', 'a0', 'a/deep/er', 'z/empty']) mkdirSync(join(data, d), { recursive: true });
  for (const d of ['a', 'a-b', 'a.c', 'a0', 'a/deep', 'a/deep/er']) {
    for (let k = 0; k < 7; k++) writeFileSync(join(data, d, `f${k}.txt`), `${d} ${k}\n`.repeat(k * 40 + 1));
  }
  writeFileSync(join(data, 'a-'), 'a file sorting between a and a-b\n');
  linkSync(join(data, 'a/f1.txt'), join(data, 'a0/hard-link-to-a-f1'));

  const run = async () => {
    await tick();
    const cfg = loadConfig({ path: config });
    const db = openCatalog(catalogPath(cfg.stateDir));
    try {
      const warnings: string[] = [];
      const runId = startRun(db, 'run', new Date().toISOString());
      const outcome = await runBackup(
        {
          config: cfg,
          db,
          runId,
          signal: new AbortController().signal,
          log: { info: () => undefined, warn: (l) => warnings.push(l), error: () => undefined },
          progress: { start: () => undefined, stop: () => undefined, update: () => undefined },
          batchRows: 3,
        },
        { full: false, dryRun: false },
      );
      updateRun(db, runId, { status: outcome.status, endedAt: new Date().toISOString() });
      assert.deepEqual(warnings, []);
      assert.equal(outcome.status, 'ok');
      // the snapshot is the tree as a fresh scan sees it
      assert.deepEqual(catalogSnapshot(db).map(row), (await scanTree(data)).entries.map(row));
    } finally {
      db.close();
    }
  };
  const expected = [] as Array<ReturnType<typeof snapshotTree>>;
  await run();
  expected.push(snapshotTree(data));
  // changed, deleted, added, a directory renamed, one emptied
  writeFileSync(join(data, 'a/deep/f3.txt'), 'changed\n');
  unlinkSync(join(data, 'a-b/f0.txt'));
  writeFileSync(join(data, 'a0/new.txt'), 'new\n');
  renameSync(join(data, 'a.c'), join(data, 'a.c-renamed'));
  for (let k = 0; k < 7; k++) unlinkSync(join(data, 'a/deep/er', `f${k}.txt`));
  await run();
  expected.push(snapshotTree(data));
  rmSync(join(data, 'a'), { recursive: true });
  writeFileSync(join(data, 'a'), 'a is a file now\n');
  await run();
  expected.push(snapshotTree(data));

  const list = JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ seq: number; localPath: string }> };
  assert.equal(list.archives.length, 3);
  for (let k = 1; k <= 3; k++) {
    const to = join(root, `restore-${k}`);
    const r = await runCli(['restore', '--config', config, '--seq', String(k), '--to', to]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshotTree(to), expected[k - 1], `backup restore of archive ${k}`);
    const gnu = join(root, `gnu-${k}`);
    mkdirSync(gnu);
    for (const a of list.archives.slice(0, k)) execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', a.localPath], { cwd: gnu });
    assert.deepEqual(snapshotTree(gnu), expected[k - 1], `GNU tar restore of the chain up to archive ${k}`);
  }
});
