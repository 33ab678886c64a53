/**
 * Issue 9 §2: a crash right after a single-request upload succeeded, before the catalog
 * recorded it, left an object only `inventory fetch` recognised. Now the upload journal
 * records the intent (the object's key) before the request, and the next run settles it:
 * the bucket's object is HEADed and adopted when its size and SHA-256 are the archive's,
 * without sending it again. The instant is made by the bundled server's `lostResponse`
 * fault: PutObject stores the object and the response never arrives (and HeadObject fails
 * while the run tries to resume, so the run ends there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBucket, startOffsite } from './helpers/offsite.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

interface Listed {
  archives: Array<{ seq: number; archiveId: string | null; uploadState: string }>;
}

test('an object S3 stored whose response was lost is adopted by the next run, not sent again, and nothing else is left in the bucket', async (t) => {
  const w = await startOffsite({ s3: { uploadCatalog: false, maxRetries: 1 }, archive: { keepLocalCopy: false }, faults: [
      { operation: 'PutObject', kind: 'lostResponse' },
      // and the run's own resume cannot look: the run ends with the object stored and unrecorded
      { operation: 'HeadObject', kind: 'error503' },
    ],
  });
  t.after(() => w.close());
  const { keys } = await openBucket(w, t);

  writeFileSync(join(w.data, 'a.txt'), 'alpha\n');
  const failed = await w.cli('run');
  assert.equal(failed.code, 1, failed.stderr);
  const stored = await keys();
  assert.equal(stored.length, 1, 'S3 holds the object the run never heard about');

  w.server.setFaults([]);
  const puts = w.server.stats().PutObject;
  const r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /adopted/);
  const list = JSON.parse((await w.cli('list', '--json')).stdout) as Listed;
  assert.equal(list.archives[0].archiveId, stored[0]);
  assert.ok(list.archives.every((a) => a.uploadState === 'uploaded'));
  assert.deepEqual(await keys(), list.archives.map((a) => a.archiveId).sort(), 'every object is an archive the catalog lists, once');
  assert.equal(w.server.stats().PutObject - puts, list.archives.length - 1, 'archive 1 was not sent again');
  const to = join(w.root, 'restored');
  const restored = await w.cli('restore', '--to', to, '--wait');
  assert.equal(restored.code, 0, restored.stderr);
  assert.deepEqual(snapshotTree(to), snapshotTree(w.data));
});
