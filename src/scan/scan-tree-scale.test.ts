/**
 * A 50,000-file tree: the scan and the planner stay correct at size, and the time and heap
 * they take are printed (measured, not asserted) for the README and the benchmark notes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { planArchive } from './plan-archive.js';
import { scanTree } from './scan-tree.js';
import { snapshotMap } from './snapshot-map.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heapMiB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

test('a 50,000-file tree scans and plans correctly (time and heap printed)', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'scan-scale-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const [tops, subs, perDir] = [50, 10, 100];
  const made = performance.now();
  for (let i = 0; i < tops; i++) {
    for (let j = 0; j < subs; j++) {
      const dir = join(root, `top-${i}`, `sub-${j}`);
      mkdirSync(dir, { recursive: true });
      for (let k = 0; k < perDir; k++) writeFileSync(join(dir, `file-${k}.txt`), `${i}/${j}/${k}`);
    }
  }
  const files = tops * subs * perDir;
  const dirs = 1 + tops + tops * subs;
  const makeMs = performance.now() - made;

  const heapBefore = heapMiB();
  const t0 = performance.now();
  const scan = await scanTree(root);
  const scanMs = performance.now() - t0;
  const heapScan = heapMiB() - heapBefore;
  assert.equal(scan.entries.length, files + dirs);
  assert.deepEqual(scan.unreadableDirs, []);

  const t1 = performance.now();
  const full = planArchive({ current: scan, previous: null, level: 0 });
  const fullMs = performance.now() - t1;
  assert.equal(full.files.length, files);
  assert.equal(full.dirs.length, dirs);

  const previous = snapshotMap(full.snapshot);
  const rescan = await scanTree(root);
  const t2 = performance.now();
  const inc = planArchive({ current: rescan, previous, level: 1 });
  const incMs = performance.now() - t2;
  assert.equal(inc.files.length, 0);
  assert.equal(inc.counts.unchanged, files + dirs - 1);

  const perEntryBytes = (heapScan * 2 ** 20) / scan.entries.length;
  console.log(
    `scan scale: ${files} files in ${dirs} dirs (made in ${(makeMs / 1000).toFixed(1)} s): ` +
      `scan ${scanMs.toFixed(0)} ms (${Math.round(scan.entries.length / (scanMs / 1000))} entries/s), ` +
      `scan result heap ${heapScan.toFixed(1)} MiB (${perEntryBytes.toFixed(0)} B/entry); ` +
      `plan level 0 ${fullMs.toFixed(0)} ms, plan level 1 (all unchanged) ${incMs.toFixed(0)} ms`,
  );
});
