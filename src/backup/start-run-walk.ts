/**
 * The walk a backup run scans, started on its own: it needs only the config, so `backup run`
 * starts it as soon as the config is loaded, and the walk goes on while the rest of the run
 * loads and sets up (lock, catalog, recovery, the level). runBackup takes it, or starts it
 * itself when given none.
 */
import type { Config } from '../config/load-config.js';
import { ownDirsInside } from '../scan/own-dirs-excluder.js';
import { startWalkInWorker, type StartedWalk } from '../scan/walk-tree-in-worker.js';

/** Starts walking the data directory of `config` on a worker thread, leaving out the exclude patterns and the tool's own directories inside it. */
export function startRunWalk(config: Config): StartedWalk {
  const own = ownDirsInside(config.data, { stateDir: config.stateDir, 'archive.localDir': config.archive.localDir });
  return startWalkInWorker(config.data, { exclude: { patterns: config.exclude, own }, oneFileSystem: config.archive.oneFileSystem });
}
