import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultInjector } from './fault-injector.js';

test('nth rules fire on those occurrences of their operation only', () => {
  const f = new FaultInjector([{ operation: 'UploadMultipartPart', kind: 'error500', nth: [2, 4] }]);
  const fired = [1, 2, 3, 4, 5].map(() => f.next('UploadMultipartPart')?.kind ?? null);
  assert.deepEqual(fired, [null, 'error500', null, 'error500', null]);
  assert.equal(f.next('ListParts'), undefined);
});

test("'*' rules count every request", () => {
  const f = new FaultInjector([{ operation: '*', kind: 'throttle', nth: [3] }]);
  assert.deepEqual(['A', 'B', 'C', 'D'].map((op) => f.next(op)?.kind ?? null), [null, null, 'throttle', null]);
});

test('rate rules are deterministic for a seed and roughly honour the fraction', () => {
  const run = (seed: number) => {
    const f = new FaultInjector([{ operation: 'GetJobOutput', kind: 'reset', rate: 0.3, seed }]);
    return Array.from({ length: 1000 }, () => (f.next('GetJobOutput') ? 1 : 0));
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  const hits = run(7).reduce<number>((a, b) => a + b, 0);
  assert.ok(hits > 230 && hits < 370, `hits ${hits}`);
});

test('set() replaces the rules and restarts counting; invalid rules are refused', () => {
  const f = new FaultInjector([{ operation: 'X', kind: 'error503', nth: [1] }]);
  assert.equal(f.next('X')?.kind, 'error503');
  f.set([{ operation: 'X', kind: 'timeout408', nth: [1] }]);
  assert.equal(f.next('X')?.kind, 'timeout408');
  assert.throws(() => f.set([{ operation: 'X', kind: 'explode' as never }]), RangeError);
  assert.throws(() => f.set([{ operation: 'X', kind: 'delay' }]), RangeError);
  assert.throws(() => f.set([{ operation: 'X', kind: 'reset', rate: 2 }]), RangeError);
  assert.throws(() => f.set([{ operation: 'X', kind: 'reset', nth: [0] }]), RangeError);
});
