/**
 * Regression (issue 9 §2): a file deleted or rewritten while a run was reading it came back,
 * torn, at every later point of the catalog's chain, while GNU tar's chain omitted it. The
 * run is driven in-process so the change lands at an exact point of the read: the progress
 * callback fires after each chunk the writer reads, and deletes or rewrites a file there.
 * Every point is then restored with `backup restore` and with GNU tar, which must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree, type PathState } from './helpers/tree-snapshot.js';
import { loadConfig } from '../src/config/load-config.js';
import { catalogPath, openCatalog } from '../src/catalog/open-catalog.js';
import { startRun } from '../src/catalog/run-store.js';
import { runBackup } from '../src/backup/run-backup.js';

const MiB = 1024 * 1024;

test('a file deleted or rewritten while read is never restored torn at a later point; catalog and GNU tar agree at every point', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-torn-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'torn', stateDir: join(root, 'state'), archive: { blockSizeKiB: 256, level: 1 } }));
  writeFileSync(join(data, 'a.bin'), randomBytes(2 * MiB));
  writeFileSync(join(data, 'b.bin'), randomBytes(2 * MiB));
  writeFileSync(join(data, 'keep.txt'), 'kept\n');

  const expected: Array<Record<string, PathState> | null> = [];
  const tick = () => new Promise((r) => setTimeout(r, 20));
  const run = async () => {
    await tick();
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    expected.push(snapshotTree(data));
  };
  await run();

  // run 2: both files changed, so both are read; a.bin is deleted after its first chunk, b.bin rewritten after its first
  await tick();
  writeFileSync(join(data, 'a.bin'), randomBytes(2 * MiB));
  writeFileSync(join(data, 'b.bin'), randomBytes(2 * MiB));
  const cfg = loadConfig({ path: config });
  const db = openCatalog(catalogPath(cfg.stateDir));
  let acted = 0;
  const warnings: string[] = [];
  const outcome = await runBackup(
    {
      config: cfg,
      db,
      runId: startRun(db, 'run', new Date().toISOString()),
      signal: new AbortController().signal,
      log: { info: () => undefined, warn: (l) => warnings.push(l), error: () => undefined },
      progress: {
        start: () => undefined,
        stop: () => undefined,
        update: (rawDone) => {
          // members: the two dumpdirs, then a.bin (from about 1.5 KiB), then b.bin (from about 2 MiB)
          if (acted === 0 && rawDone > 0.5 * MiB) {
            unlinkSync(join(data, 'a.bin'));
            acted = 1;
          } else if (acted === 1 && rawDone > 2.5 * MiB) {
            writeFileSync(join(data, 'b.bin'), randomBytes(2 * MiB));
            acted = 2;
          }
        },
      },
    },
    { full: false, dryRun: false },
  );
  db.close();
  assert.equal(acted, 2, 'both changes happened during the read');
  assert.equal(outcome.status, 'warnings');
  assert.ok(warnings.some((w) => w.startsWith('a.bin: changed while it was being read')), warnings.join('\n'));
  assert.ok(warnings.some((w) => w.startsWith('b.bin: changed while it was being read')), warnings.join('\n'));
  expected.push(null); // the torn point: whatever it holds, catalog and GNU tar must agree

  await run(); // run 3: records a.bin's deletion and stores b.bin again
  writeFileSync(join(data, 'keep.txt'), 'changed\n');
  await run();

  const list = JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ seq: number; localPath: string }> };
  assert.equal(list.archives.length, 4);
  for (let k = 1; k <= 4; k++) {
    const to = join(root, `restore-${k}`);
    const r = await runCli(['restore', '--config', config, '--seq', String(k), '--to', to]);
    assert.equal(r.code, 0, `restore ${k}: ${r.stderr}`);
    const gnu = join(root, `gnu-${k}`);
    mkdirSync(gnu);
    for (const a of list.archives.slice(0, k)) execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', a.localPath], { cwd: gnu });
    assert.deepEqual(snapshotTree(to), snapshotTree(gnu), `catalog restore and GNU tar agree at point ${k}`);
    if (expected[k - 1]) assert.deepEqual(snapshotTree(to), expected[k - 1], `point ${k} is the data directory as it was`);
  }
  const ls3 = JSON.parse((await runCli(['ls', '--json', '--seq', '3', '--config', config])).stdout) as { entries: Array<{ path: string }> };
  assert.ok(!ls3.entries.some((e) => e.path === 'a.bin'), 'a.bin is gone from the catalog tree after the run that saw it deleted');
});

test('stateDir and archive.localDir inside the data directory are never archived', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-owndirs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(join(data, 'docs'), { recursive: true });
  writeFileSync(join(data, 'docs', 'note.txt'), 'note\n');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'own', stateDir: join(data, '.backup-state'), archive: { localDir: join(data, 'docs', 'copies') } }));
  for (let i = 0; i < 2; i++) {
    const r = await runCli(['run', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 20));
  }
  const ls = JSON.parse((await runCli(['ls', '--json', '--config', config])).stdout) as { entries: Array<{ path: string }> };
  assert.deepEqual(ls.entries.map((e) => e.path).sort(), ['docs', 'docs/note.txt']);
  const listed = execFileSync('tar', ['-tzf', join(data, 'docs', 'copies', (JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ fileName: string }> }).archives[1].fileName)], { encoding: 'utf8' });
  assert.ok(!/backup-state|copies/.test(listed), listed);
});
