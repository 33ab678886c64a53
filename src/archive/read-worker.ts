/**
 * A reader thread of the archive writer's ReadPool: reads each batch it is sent with
 * readSmallFiles and posts the members back (buffers transferred, not copied), one reply
 * per batch, in the order received. A failure (only a failing close) is posted as the
 * batch's error; the thread keeps serving until the pool terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readSmallFiles, type SmallFileBatch } from './read-small-files.js';

const { root } = workerData as { root: string };

parentPort!.on('message', ({ id, batch }: { id: number; batch: SmallFileBatch }) => {
  try {
    const read = readSmallFiles(root, batch);
    parentPort!.postMessage({ id, read }, [read.bytes.buffer as ArrayBuffer, read.results.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: { message: (err as Error)?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code } });
  }
});
