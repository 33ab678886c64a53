/**
 * Restoring a few files from a large archive with no local copy retrieves only the gzip
 * blocks that hold them, rounded out to whole megabytes (Glacier's RetrievalByteRange
 * rule), not the whole archive; and retrieval jobs are reused, not paid for twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';

const MiB = 1024 * 1024;

test('a single-file restore from a 24 MiB archive retrieves at most the file\'s blocks rounded to megabytes', async (t) => {
  const o = await startOffsite({ archive: { keepLocalCopy: false, blockSizeKiB: 1024 }, vault: { uploadCatalog: false } });
  t.after(() => o.close());
  mkdirSync(join(o.data, 'photos'));
  for (let i = 0; i < 12; i++) writeFileSync(join(o.data, 'photos', `img-${String(i).padStart(2, '0')}.jpg`), randomBytes(2 * MiB));
  const wanted = randomBytes(300_000);
  writeFileSync(join(o.data, 'photos', 'img-05.jpg'), wanted);
  assert.equal((await o.cli('vault', 'create')).code, 0);
  assert.equal((await o.cli('run')).code, 0);
  const archive = (JSON.parse((await o.cli('list', '--json')).stdout) as { archives: Array<{ size: number }> }).archives[0];
  assert.ok(archive.size > 20 * MiB);

  const before = o.server.stats()['GetJobOutput.bytesSent'] ?? 0;
  const to = join(o.root, 'one-file');
  const r = await o.cli('restore', '--to', to, '--path', 'photos/img-05.jpg', '--wait', '--json');
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { files: number; retrievedBytes: number; chainBytes: number };
  assert.equal(result.files, 1);
  assert.deepEqual(readFileSync(join(to, 'photos', 'img-05.jpg')), wanted);
  // the file's blocks span at most 1 MiB of compressed bytes: with MiB rounding on both ends, ≤ 2 MiB
  assert.ok(result.retrievedBytes <= 2 * MiB, `retrieved ${result.retrievedBytes} bytes`);
  const served = (o.server.stats()['GetJobOutput.bytesSent'] ?? 0) - before;
  assert.ok(served <= 2 * MiB, `the vault served ${served} bytes for one 300 KB file out of ${archive.size}`);

  // issue 9: the retrieved data does not stay in the state directory once restored
  assert.deepEqual(readdirSync(join(o.stateDir, 'retrieved')), []);

  // a second restore of the same file reuses the finished job (its output is downloaded again)
  const jobsBefore = o.server.stats().InitiateJob ?? 0;
  const r2 = await o.cli('restore', '--to', join(o.root, 'again'), '--path', 'photos/img-05.jpg', '--wait');
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(o.server.stats().InitiateJob ?? 0, jobsBefore, 'no new retrieval job');
  assert.deepEqual(readFileSync(join(o.root, 'again', 'photos', 'img-05.jpg')), wanted);
  assert.deepEqual(readdirSync(join(o.stateDir, 'retrieved')), []);
});

test('without --wait a restore that needs retrievals starts every job at once and exits 4; the next call picks them up', async (t) => {
  const o = await startOffsite({ archive: { keepLocalCopy: false }, vault: { uploadCatalog: false }, jobDelaysMs: { Standard: 1500, Expedited: 1500 } });
  t.after(() => o.close());
  writeFileSync(join(o.data, 'a.txt'), 'one\n');
  assert.equal((await o.cli('vault', 'create')).code, 0);
  assert.equal((await o.cli('run')).code, 0);
  writeFileSync(join(o.data, 'b.txt'), 'two\n');
  assert.equal((await o.cli('run')).code, 0);

  const to = join(o.root, 'r');
  const first = await o.cli('restore', '--to', to);
  assert.equal(first.code, 4, first.stderr);
  assert.match(first.stderr, /2 retrieval job\(s\) in progress .*run the same command again later, or add --wait/);
  assert.ok(!existsSync(to), 'a restore that waits on jobs creates nothing yet, not even --to');
  assert.equal(o.server.stats().InitiateJob, 2);
  await new Promise((r) => setTimeout(r, 1600));
  const second = await o.cli('restore', '--to', to);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(o.server.stats().InitiateJob, 2, 'the recorded jobs were reused');
  assert.equal(readFileSync(join(to, 'b.txt'), 'utf8'), 'two\n');
});
