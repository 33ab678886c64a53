import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SHA256, sha256Hex, signature } from '../local-server/verify-sigv4.js';
import { AwsChunkedDecoder } from './aws-chunked-decoder.js';
import type { ChunkSigning } from './aws-chunked-decoder.js';
import { S3Error } from './s3-error.js';

const signing: ChunkSigning = { secretAccessKey: 'secret', longDate: '20261129T120000Z', scopeDate: '20261129', region: 'us-east-1', service: 's3', seedSignature: 'a'.repeat(64) };

function signedStream(chunks: Buffer[], trailer?: string): Buffer {
  let previous = signing.seedSignature;
  const scope = '20261129/us-east-1/s3/aws4_request';
  const out: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.longDate, scope, previous, EMPTY_SHA256, sha256Hex(data)].join('\n');
    previous = signature('secret', '20261129', 'us-east-1', 's3', toSign);
    out.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${previous}\r\n`), data, Buffer.from(data.length > 0 ? '\r\n' : ''));
  }
  if (trailer !== undefined) {
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', signing.longDate, scope, previous, sha256Hex(`${trailer}\n`)].join('\n');
    out.push(Buffer.from(`${trailer}\r\nx-amz-trailer-signature:${signature('secret', '20261129', 'us-east-1', 's3', toSign)}\r\n`));
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

function decode(wire: Buffer, pieceSize: number, sign: ChunkSigning | undefined): { data: Buffer; trailers: Map<string, string> } {
  const d = new AwsChunkedDecoder(sign);
  const parts: Buffer[] = [];
  for (let i = 0; i < wire.length; i += pieceSize) d.update(wire.subarray(i, i + pieceSize), (b) => parts.push(Buffer.from(b)));
  return { data: Buffer.concat(parts), trailers: d.end() };
}

test('unsigned aws-chunked with a trailer decodes whatever the network splits are', () => {
  const wire = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
  for (const piece of [1, 2, 3, 7, wire.length]) {
    const { data, trailers } = decode(wire, piece, undefined);
    assert.equal(data.toString(), 'hello world');
    assert.equal(trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  }
});

test('signed chunks and a signed trailer verify; a changed byte or a cut stream does not', () => {
  const chunks = [Buffer.from('first chunk '), Buffer.from('second')];
  const wire = signedStream(chunks, 'x-amz-checksum-crc32:AAAAAA==');
  for (const piece of [1, 5, wire.length]) assert.equal(decode(wire, piece, signing).data.toString(), 'first chunk second');
  const flipped = Buffer.from(wire);
  flipped[wire.indexOf('second')] ^= 1;
  assert.throws(() => decode(flipped, 64, signing), (e: unknown) => e instanceof S3Error && e.code === 'SignatureDoesNotMatch');
  const otherTrailer = Buffer.from(wire.toString('latin1').replace('AAAAAA==', 'AAAAAQ=='), 'latin1');
  assert.throws(() => decode(otherTrailer, 64, signing), (e: unknown) => e instanceof S3Error && e.code === 'SignatureDoesNotMatch');
  assert.throws(() => decode(wire.subarray(0, wire.length - 2), 64, signing), (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody');
  assert.throws(() => decode(Buffer.from('zz\r\n'), 64, undefined), (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody');
  assert.throws(() => decode(Buffer.from('5\r\nhello\r\n0\r\n\r\n'), 64, signing), (e: unknown) => e instanceof S3Error && e.code === 'SignatureDoesNotMatch', 'unsigned chunks in a signed stream');
});
