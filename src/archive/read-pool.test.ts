import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReadPool } from './read-pool.js';
import { READ_ELSEWHERE, READ_OK, READ_OPEN_FAILED, RESULT_FIELDS, SmallFileBatchBuilder, readSmallFiles } from './read-small-files.js';
import { scanEntries } from './testing/plan-tree.js';
import { withTmp } from '../../test/helpers/with-tmp.js';

test(
  'a batch read on reader threads comes back as it reads on this thread: members for the files as scanned, an error code for one that is gone, the general path for one changed since',
  withTmp('read-pool', async (dir) => {
    mkdirSync(join(dir, 'd'));
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'd', `f${i}`), `file ${i}\n`.repeat(i * 20));
    const files = scanEntries(dir).filter((e) => e.type === 'file');
    writeFileSync(join(dir, 'd', 'f1'), 'changed since the scan\n');
    const builder = new SmallFileBatchBuilder();
    const batchOf = () => {
      for (const e of files) builder.add(e);
      builder.add({ ...files[0], path: 'd/gone' });
      return builder.take().batch;
    };
    const here = readSmallFiles(dir, batchOf());
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => here.results[i * RESULT_FIELDS]),
      [READ_OK, READ_ELSEWHERE, READ_OK, READ_OK, READ_OK, READ_OPEN_FAILED],
    );
    assert.deepEqual(here.codes, { 5: 'ENOENT' });

    const pool = new ReadPool(dir, 2);
    try {
      const reads = await Promise.all([pool.read(batchOf()), pool.read(batchOf()), pool.read(batchOf())]);
      for (const r of reads) {
        assert.deepEqual(Buffer.from(r.bytes), Buffer.from(here.bytes));
        assert.deepEqual(r.results, here.results);
        assert.deepEqual(r.codes, here.codes);
      }
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.read(batchOf()), /closed/);
  }),
);
