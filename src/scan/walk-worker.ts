/**
 * The worker thread of walkTreeInWorker: walks the tree synchronously and posts what it
 * finds in batches, waiting while IN_FLIGHT batches (START_IN_FLIGHT before the first is
 * taken) are not yet taken; then `done`, or `error` with what stopped the walk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { excludingOwnDirs } from './own-dirs-excluder.js';
import { createExcludeMatcher } from './exclude-matcher.js';
import { walkTreeSync, type ScanWarning } from './scan-tree.js';
import { WalkBatchWriter } from './walk-batch.js';
import { BATCH_RECORDS, IN_FLIGHT, START_IN_FLIGHT, type WalkMessage, type WalkWorkerData } from './walk-tree-in-worker.js';
import type { TreeEntry } from './tree-entry.js';

const data = workerData as WalkWorkerData;
const port = parentPort!;
const taken = new Int32Array(data.taken);
const writer = new WalkBatchWriter(BATCH_RECORDS);
let posted = 0;

const post = (m: WalkMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function flush(): void {
  for (;;) {
    const t = Atomics.load(taken, 0);
    if (posted - t < (t === 0 ? START_IN_FLIGHT : IN_FLIGHT)) break;
    Atomics.wait(taken, 0, t);
  }
  const { batch, transfer } = writer.take();
  post({ kind: 'batch', batch }, transfer);
  posted++;
}

try {
  const exclude = excludingOwnDirs(createExcludeMatcher(data.exclude.patterns), data.exclude.own);
  walkTreeSync(
    data.root,
    { exclude, oneFileSystem: data.oneFileSystem },
    {
      entry(e: TreeEntry) {
        writer.entry(e);
        if (writer.full) flush();
      },
      unreadable(path: string) {
        writer.unreadable(path);
        if (writer.full) flush();
      },
      warning(w: ScanWarning) {
        writer.warning(w);
        if (writer.full) flush();
      },
    },
  );
  if (!writer.empty) flush();
  post({ kind: 'done' });
} catch (err) {
  if (err instanceof BackupError) post({ kind: 'error', code: err.code, message: err.message, subject: err.subject });
  else post({ kind: 'error', message: (err as Error).message ?? String(err), stack: (err as Error).stack });
}
