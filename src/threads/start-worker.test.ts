import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startWorker } from './start-worker.js';

test('a worker module started from its TypeScript source under tsx runs, imports included, and gets its data', async () => {
  const w = startWorker(import.meta.url, 'testing/echo-worker', { n: 1n });
  const [msg] = await once(w, 'message');
  assert.deepEqual(msg, { got: { n: 1n }, order: -1 });
  await once(w, 'exit');
});
