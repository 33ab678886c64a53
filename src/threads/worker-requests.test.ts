import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout } from 'node:timers/promises';
import { BackupError } from '../errors.js';
import { startWorker } from './start-worker.js';
import type { TestRequest } from './testing/answer-worker.js';
import { WorkerRequests } from './worker-requests.js';

type Answer = { echo: number; bytes: number };

const testThread = () =>
  new WorkerRequests<TestRequest, Answer>(startWorker(import.meta.url, 'testing/answer-worker'), {
    thread: 'the test thread',
    failed: (f) => new BackupError('IO', `answering failed: ${f.message}`, { cause: f }),
  });

test('requests sent before any answer is awaited are answered each with its own answer, in order, with transferred buffers handed over', async () => {
  const t = testThread();
  try {
    const bytes = new ArrayBuffer(1000);
    const answers = Array.from({ length: 50 }, (_, i) => t.ask({ echo: i, bytes: i === 7 ? bytes : undefined }, i === 7 ? [bytes] : undefined));
    assert.equal(bytes.byteLength, 0, 'handed over, not copied');
    assert.deepEqual(await Promise.all(answers), Array.from({ length: 50 }, (_, i) => ({ echo: i, bytes: i === 7 ? 1000 : 0 })));
    assert.equal(t.ready, true);
  } finally {
    await t.close();
  }
});

test('a request whose answer fails rejects with the error made of the failure, and the thread goes on serving the next', async () => {
  const t = testThread();
  try {
    const failing = t.ask({ fail: 'no such file', code: 'ENOENT' });
    const next = t.ask({ echo: 2 });
    await assert.rejects(failing, (err: BackupError) => err.code === 'IO' && err.message === 'answering failed: no such file' && (err.cause as { code: string }).code === 'ENOENT');
    assert.deepEqual(await next, { echo: 2, bytes: 0 });
  } finally {
    await t.close();
  }
});

test('after the thread stops, the pending and every later request reject with one error naming the thread and its exit code', async () => {
  const t = testThread();
  try {
    const stopping = t.ask({ exit: 3 });
    const pending = t.ask({ echo: 1 });
    for (const p of [stopping, pending]) await assert.rejects(p, { code: 'INTERNAL', message: 'the test thread stopped (exit code 3)' });
    await assert.rejects(t.ask({ echo: 2 }), { message: 'the test thread stopped (exit code 3)' });
    assert.equal(t.ready, false);
  } finally {
    await t.close();
  }
});

test('close rejects the requests still pending, raising no unhandled rejection, and every later request', async () => {
  const t = testThread();
  // asked while the thread still loads its modules: they cannot be answered before close
  const left = [t.ask({ echo: 1 }), t.ask({ echo: 2 })];
  await t.close();
  await t.close();
  await setTimeout(10);
  for (const p of left) await assert.rejects(p, { message: 'the test thread was closed' });
  await assert.rejects(t.ask({ echo: 3 }), { message: 'the test thread was closed' });
});

test('an idle thread does not keep the process alive; one with a request waiting does, and so does one being closed while its last answer arrives (a restore exited 0 half-way, closing its hashing thread)', () => {
  const script = (body: string) => `
    import { startWorker } from ${JSON.stringify(new URL('./start-worker.ts', import.meta.url).href)};
    import { WorkerRequests } from ${JSON.stringify(new URL('./worker-requests.ts', import.meta.url).href)};
    const t = new WorkerRequests(startWorker(${JSON.stringify(import.meta.url)}, 'testing/answer-worker'), { thread: 't', failed: (f) => new Error(f.message) });
    ${body}
  `;
  const run = (body: string) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(body)], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run(''), '');
  assert.equal(run("console.log('answered', (await t.ask({ echo: 5 })).echo);"), 'answered 5\n');
  // the answer is on its way while the thread is ended: settling it must not let the process go
  const closing = "while (!t.ready) await new Promise((r) => setTimeout(r, 5)); t.ask({ echo: 1 }); await t.close(); console.log('closed');";
  for (let i = 0; i < 5; i++) assert.equal(run(closing), 'closed\n');
});
