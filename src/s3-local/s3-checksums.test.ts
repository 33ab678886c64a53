import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { compositeChecksum, crc32c, isWellFormedChecksum, multipartEtag, newChecksummer } from './s3-checksums.js';

test('CRC32 and CRC32C match their check values, also when fed in pieces', () => {
  const check = Buffer.from('123456789');
  for (const [algorithm, value] of [['CRC32', 0xcbf43926], ['CRC32C', 0xe3069283]] as const) {
    const whole = newChecksummer(algorithm);
    whole.update(check);
    const expected = Buffer.from([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]).toString('base64');
    assert.equal(whole.digest(), expected, algorithm);
    const pieces = newChecksummer(algorithm);
    pieces.update(check.subarray(0, 4));
    pieces.update(check.subarray(4));
    assert.equal(pieces.digest(), expected, `${algorithm} in pieces`);
  }
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa, 'RFC 3720 B.4: 32 bytes of zeros');
});

test('SHA-256 composite is the digest of the raw part digests with -N; the multipart ETag likewise over MD5s', () => {
  const parts = [Buffer.from('part one'), Buffer.from('part two')];
  const sums = parts.map((p) => createHash('sha256').update(p).digest('base64'));
  const expected = createHash('sha256').update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest()))).digest('base64');
  assert.equal(compositeChecksum('SHA256', sums), `${expected}-2`);
  const md5s = parts.map((p) => createHash('md5').update(p).digest('hex'));
  const etag = createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex');
  assert.equal(multipartEtag(md5s), `${etag}-2`);
});

test('checksum values must be base64 of the digest length', () => {
  assert.ok(isWellFormedChecksum('CRC32', 'AAAAAA=='));
  assert.ok(!isWellFormedChecksum('CRC32', 'AAAAAAAA'));
  assert.ok(isWellFormedChecksum('SHA256', createHash('sha256').digest('base64')));
  assert.ok(!isWellFormedChecksum('SHA256', 'not base64!'));
});
