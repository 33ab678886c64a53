import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpareBuffers } from './spare-buffers.js';

test('a buffer given back is handed out again, whole, once; buffers made elsewhere and second gives are ignored', () => {
  const spare = new SpareBuffers(1024, 4);
  const a = spare.take(100);
  assert.equal(a.length, 100);
  assert.equal(a.buffer.byteLength, 1024, 'at least minSize, so that one fits the usual requests');
  spare.give(a.subarray(10, 20));
  // given twice: two takers would share its bytes
  spare.give(a);
  spare.give(Buffer.allocUnsafeSlow(2048));
  const b = spare.take(1000);
  assert.equal(b.buffer, a.buffer, 'the whole buffer comes back, whatever part was given');
  assert.notEqual(spare.take(1000).buffer, a.buffer, 'it was free once, not twice');
  assert.equal(spare.take(4096).length, 4096, 'a request larger than any free buffer gets a new one');
});

test('at most `keep` free buffers are kept, and clear drops them', () => {
  const spare = new SpareBuffers(16, 2);
  const taken = [spare.take(16), spare.take(16), spare.take(16)];
  for (const b of taken) spare.give(b);
  const again = [spare.take(16), spare.take(16), spare.take(16)].map((b) => b.buffer);
  assert.deepEqual(again.slice(0, 2), [taken[0].buffer, taken[1].buffer]);
  assert.ok(!taken.some((b) => b.buffer === again[2]));
  spare.give(Buffer.from(again[0]));
  spare.clear();
  assert.notEqual(spare.take(16).buffer, again[0]);
});
