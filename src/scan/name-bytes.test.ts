import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasEscapedBytes, nameFromBytes, nameToBytes, showName } from './name-bytes.js';

test('every byte string survives nameFromBytes then nameToBytes exactly', () => {
  const samples = [
    Buffer.from('plain.txt'),
    Buffer.from('héllo wörld ✓ 😀.txt'),
    Buffer.from([0x66, 0xff, 0x6f]),
    Buffer.from([0xe9, 0x74, 0xe9]), // Latin-1 "été"
    Buffer.from([0xc3]), // truncated sequence
    Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate is not valid UTF-8
    Buffer.from([0xc0, 0xaf]), // overlong "/"
    Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0x80, 0xf4, 0x90, 0x80, 0x80]),
  ];
  for (let b = 0; b < 256; b++) samples.push(Buffer.from([0x61, b, 0x62]));
  for (const s of samples) assert.deepEqual(nameToBytes(nameFromBytes(s)), s, s.toString('hex'));
});

test('valid UTF-8 names are their plain strings; only invalid bytes are escaped', () => {
  assert.equal(nameFromBytes(Buffer.from('héllo ✓ 😀')), 'héllo ✓ 😀');
  assert.equal(hasEscapedBytes('héllo ✓ 😀'), false);
  // U+100FF ends in a low surrogate inside the escape range, yet is a real character
  assert.equal(hasEscapedBytes(String.fromCodePoint(0x100ff)), false);
  assert.deepEqual(nameToBytes(String.fromCodePoint(0x100ff)), Buffer.from(String.fromCodePoint(0x100ff)));
  const latin1 = nameFromBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  assert.equal(latin1, 'caf\udce9');
  assert.equal(hasEscapedBytes(latin1), true);
  assert.equal(showName(latin1), 'caf\\xe9');
  assert.equal(showName('back\\slash'), 'back\\\\slash');
});

test('showName shows control characters as escapes: a name with a newline or a terminal escape sequence is one line of plain text (backup ls printed them raw)', () => {
  assert.equal(showName('evil\x1b[31mRED\x1b[0m'), 'evil\\x1b[31mRED\\x1b[0m');
  assert.equal(showName('new\nline\ttab\x7f'), 'new\\x0aline\\x09tab\\x7f');
  assert.equal(showName('c1\u009b'), 'c1\\u009b');
  assert.equal(showName('plain ünïcødé'), 'plain ünïcødé');
});
