import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange } from './object-operations.js';
import { routeS3Request } from './route-s3-request.js';

const route = (method: string, path: string, query = '', headers: string[] = []) => routeS3Request(method, path, new URLSearchParams(query), new Set(headers));

test('path-style routes: bucket and object operations by method and sub-resource, keys decoded with slashes kept', () => {
  assert.equal(route('GET', '/').operation, 'ListBuckets');
  assert.deepEqual(route('PUT', '/bkt/a/b%20c/..'), { operation: 'PutObject', supported: true, bucket: 'bkt', key: 'a/b c/..' });
  assert.equal(route('PUT', '/bkt/k', 'partNumber=1&uploadId=u').operation, 'UploadPart');
  assert.equal(route('POST', '/bkt/k', 'uploads').operation, 'CreateMultipartUpload');
  assert.equal(route('POST', '/bkt/k', 'restore').operation, 'RestoreObject');
  assert.equal(route('GET', '/bkt', 'list-type=2&prefix=a').operation, 'ListObjectsV2');
  assert.equal(route('POST', '/bkt', 'delete').operation, 'DeleteObjects');
  assert.equal(route('DELETE', '/bkt/k', 'uploadId=u').operation, 'AbortMultipartUpload');
  assert.equal(route('PUT', '/bkt/k', '', ['x-amz-copy-source']).supported, false);
  assert.equal(route('GET', '/bkt', 'versioning').supported, false);
  assert.equal(route('GET', '/bkt').supported, false, 'ListObjects version 1');
});

test('Range headers as S3 reads them', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=50-5000', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined, 'multiple ranges: the whole object');
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange('bytes=9-3', 100), undefined);
  assert.throws(() => parseRange('bytes=100-', 100), /not satisfiable/);
});
