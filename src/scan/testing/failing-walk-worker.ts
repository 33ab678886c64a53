/** A walk worker that posts one batch of one entry and then fails as workerData.how says: throws, or exits without `done`. */
import { parentPort, workerData } from 'node:worker_threads';
import { WalkBatchWriter } from '../walk-batch.js';

const writer = new WalkBatchWriter(4);
writer.entry({ path: '', type: 'dir', mode: 0o755, size: 0, mtimeNs: 1n, ctimeNs: 1n, dev: 1, ino: 1, uid: 0, gid: 0 });
const { batch, transfer } = writer.take();
parentPort!.postMessage({ kind: 'batch', batch }, transfer);
if ((workerData as { how: string }).how === 'throw') throw new Error('walker fell over');
process.exit(0);
