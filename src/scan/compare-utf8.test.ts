import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareUtf8 } from './compare-utf8.js';

const sign = (n: number) => Math.sign(n);
const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

test('compareUtf8 orders like Buffer.compare on the UTF-8 bytes', () => {
  const cases = ['', 'a', 'B', 'é', 'a/b', 'a-b', 'a.b', 'ab', 'a', '\uffff', '\ue000', '😀', '\u{10000}', 'z😀', 'z\uffff', 'zz'];
  for (const a of cases) for (const b of cases) assert.equal(sign(compareUtf8(a, b)), bytes(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

test('characters above U+FFFF sort after U+E000–U+FFFF, unlike JavaScript string order', () => {
  assert.ok('😀' < '\uffff'); // UTF-16 code unit order
  assert.ok(compareUtf8('😀', '\uffff') > 0);
  assert.ok(compareUtf8('B', 'a') < 0 && compareUtf8('a', 'é') < 0);
});

test('compareUtf8 agrees with Buffer.compare on random strings', () => {
  const alphabet = ['a', 'b', '/', '-', 'é', 'ß', '中', '\ud7ff', '\ue000', '\uffff', '😀', '\u{10ffff}', '\u{1f600}'];
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const word = () => Array.from({ length: rnd(6) }, () => alphabet[rnd(alphabet.length)]).join('');
  for (let i = 0; i < 5000; i++) {
    const a = word();
    const b = rnd(4) === 0 ? a + word() : word();
    assert.equal(sign(compareUtf8(a, b)), bytes(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});
