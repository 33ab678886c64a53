/**
 * `backup run` starts its walk as soon as the config is loaded (src/backup/start-run-walk.ts),
 * before the lock, the catalog and the run's checks. A run that stops before its scan must
 * end that walk: its worker, waiting for a taker once its first batches are posted, would
 * otherwise keep the process alive. Through the real binary, on a tree larger than what the
 * worker posts before anything takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { acquireRunLock } from '../src/state/run-lock.js';
import { BATCH_RECORDS, START_IN_FLIGHT } from '../src/scan/walk-tree-in-worker.js';
import { localWorld } from './helpers/local-world.js';
import { runCli } from './helpers/run-cli.js';

test('a run refused before its scan (the lock held, then the lost-catalog guard) exits with its own error and leaves no walk worker running', async (t) => {
  const w = localWorld();
  t.after(w.done);
  const dirs = START_IN_FLIGHT + 2;
  execFileSync('sh', ['-c', `cd "$1" && for d in $(seq ${dirs}); do mkdir d$d && (cd d$d && seq ${BATCH_RECORDS} | xargs touch); done`, 'sh', w.data]);
  // a worker left waiting would keep the process alive until runCli kills it: code null
  const run = () => runCli(['run', '--config', w.config], { timeoutMs: 60_000 });

  const lock = await acquireRunLock(w.stateDir, 'run');
  const locked = await run();
  await lock.release();
  assert.equal(locked.code, 5, locked.stderr);
  assert.match(locked.stderr, new RegExp(`^backup: another backup run \\(PID ${process.pid}`));

  assert.equal((await run()).code, 0);
  for (const f of readdirSync(w.stateDir)) if (f.startsWith('catalog.db')) rmSync(join(w.stateDir, f));
  const guarded = await run();
  assert.equal(guarded.code, 2, guarded.stderr);
  assert.match(guarded.stderr, /^backup: .*does not know 1 archive file/m);
});
