/**
 * Orphans (issue 9 §2): a crash right after an upload succeeded, before the catalog recorded
 * its archive ID, left an archive nothing cleaned up, and the resumed upload stored a second
 * copy. The next reconciliation (`inventory fetch`) recognises them by their descriptions:
 * the finished upload is adopted, a second copy is deleted, another chain's archives are
 * left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GlacierClient, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { startOffsite } from './helpers/offsite.js';

interface Listed {
  archives: Array<{ seq: number; archiveId: string | null; uploadState: string }>;
}

test('inventory fetch adopts an upload whose record a crash lost and deletes a second copy', async (t) => {
  const o = await startOffsite({ vault: { uploadCatalog: false } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(o.data, `f${i}.txt`), `v${i}\n`);
    assert.equal((await o.cli('run')).code, 0);
  }
  const before = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  const db = new Database(join(o.stateDir, 'catalog.db'));
  // the crash: archive 2's upload completed, but its ID was never recorded
  db.prepare("UPDATE archives SET archive_id = NULL, upload_state = 'pending' WHERE seq = 2").run();
  const description = db.prepare('SELECT description FROM archives WHERE seq = 1').pluck().get() as string;
  db.close();
  // and a second copy of archive 1, as a resumed single-request upload would leave
  const glacier = new GlacierClient({ endpoint: o.server.endpoint, region: o.server.region, credentials: o.server.credentials });
  await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'test-vault', archiveDescription: description, body: Buffer.from('second copy') }));
  glacier.destroy();

  assert.equal((await o.cli('inventory', 'request')).code, 0);
  const f = await o.cli('inventory', 'fetch', '--wait');
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /orphan adopted: archive 2 is in the vault/);
  assert.match(f.stdout, /orphan deleted: .*a second copy of archive 1/);
  assert.equal(o.server.stats().DeleteArchive, 1);

  const after = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(after.archives.map((a) => [a.seq, a.archiveId, a.uploadState]), before.archives.map((a) => [a.seq, a.archiveId, 'uploaded']));
  const check = await o.cli('check');
  assert.equal(check.code, 1, 'the listing still shows the deleted copy until the next one');
  assert.equal((await o.cli('inventory', 'request')).code, 0);
  assert.equal((await o.cli('inventory', 'fetch', '--wait')).code, 0);
  const clean = await o.cli('check');
  assert.equal(clean.code, 0, clean.stdout);
});
