import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldSendEmail } from './email-policy.js';
import type { RunSummary } from './run-summary.js';

const runs = (...s: Array<RunSummary['status']>) => s.map((status) => ({ status }));

test('nothing unsent: no mail', () => {
  assert.deepEqual(shouldSendEmail({ unsent: [], every: 1, onFailure: true }), { send: false, reason: 'none' });
});

test('every N: waits for the Nth finished run', () => {
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok', 'ok'), every: 3, onFailure: true }), { send: false, reason: 'none' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok', 'ok', 'ok'), every: 3, onFailure: true }), { send: true, reason: 'every' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok', 'ok', 'ok', 'ok'), every: 3, onFailure: false }), { send: true, reason: 'every' }, 'a backlog left by a failed send goes out');
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok'), every: 1, onFailure: false }), { send: true, reason: 'every' });
});

test('a failed or warning run sends at once with onFailure, and waits its turn without', () => {
  assert.deepEqual(shouldSendEmail({ unsent: runs('failed'), every: 7, onFailure: true }), { send: true, reason: 'failure' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok', 'warnings'), every: 7, onFailure: true }), { send: true, reason: 'failure' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('failed'), every: 7, onFailure: false }), { send: false, reason: 'none' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('failed', 'ok'), every: 2, onFailure: false }), { send: true, reason: 'every' });
});

test('a run still going is not counted', () => {
  assert.deepEqual(shouldSendEmail({ unsent: runs('ok', 'running'), every: 2, onFailure: true }), { send: false, reason: 'none' });
  assert.deepEqual(shouldSendEmail({ unsent: runs('running'), every: 1, onFailure: true }), { send: false, reason: 'none' });
});
