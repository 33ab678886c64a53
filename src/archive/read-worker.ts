/**
 * A reader thread of the archive writer's ReadPool: reads each batch it is sent with
 * readSmallFiles and answers with the members (buffers handed over, not copied). A failure
 * (only a failing close) is that batch's answer; the thread keeps serving until the pool
 * ends it.
 */
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../threads/serve-requests.js';
import { readSmallFiles, type SmallFileBatch, type SmallFilesRead } from './read-small-files.js';

const { root } = workerData as { root: string };

serveRequests(
  (batch: SmallFileBatch) => readSmallFiles(root, batch),
  (read: SmallFilesRead) => [read.bytes.buffer as ArrayBuffer, read.results.buffer as ArrayBuffer],
);
