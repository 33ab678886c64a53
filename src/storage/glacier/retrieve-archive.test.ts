import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MiB } from '../../treehash/tree-hash.js';
import { jobOutputSize, toJobStatus, validateRetrievalRange } from './retrieve-archive.js';

test('retrieval ranges must start on a MiB and end before a MiB or at the archive end', () => {
  validateRetrievalRange({ start: 0, end: MiB - 1 });
  validateRetrievalRange({ start: 2 * MiB, end: 4 * MiB - 1 }, 10 * MiB);
  validateRetrievalRange({ start: 2 * MiB, end: 3 * MiB + 10 }, 3 * MiB + 11);
  assert.throws(() => validateRetrievalRange({ start: 1, end: MiB - 1 }), /start on a multiple of 1 MiB/);
  assert.throws(() => validateRetrievalRange({ start: 0, end: MiB }, 5 * MiB), /end one byte before/);
  assert.throws(() => validateRetrievalRange({ start: 0, end: 3 * MiB + 10 }, 3 * MiB + 12), /end one byte before/);
  validateRetrievalRange({ start: 0, end: 3 * MiB + 10 }); // may be the archive's end: left to the service
  assert.throws(() => validateRetrievalRange({ start: 0, end: 4 * MiB - 1 }, 3 * MiB), /past the archive's end/);
  assert.throws(() => validateRetrievalRange({ start: 5, end: 1 }), /not a byte range/);
});

test('job descriptions normalize and the output size follows the job kind and range', () => {
  const ranged = toJobStatus({ JobId: 'j', Action: 'ArchiveRetrieval', StatusCode: 'Succeeded', Completed: true, ArchiveSizeInBytes: 10 * MiB, RetrievalByteRange: `${MiB}-${3 * MiB - 1}` }, 'j');
  assert.deepEqual(ranged.retrievalByteRange, { start: MiB, end: 3 * MiB - 1 });
  assert.equal(jobOutputSize(ranged), 2 * MiB);
  assert.equal(jobOutputSize(toJobStatus({ Action: 'ArchiveRetrieval', ArchiveSizeInBytes: 7 }, 'j')), 7);
  assert.equal(jobOutputSize(toJobStatus({ Action: 'InventoryRetrieval', InventorySizeInBytes: 42 }, 'j')), 42);
  assert.equal(toJobStatus({}, 'fallback').jobId, 'fallback');
});
