/**
 * Regression (issue 9 §2): with the state directory lost and no local copies, a run on a
 * bucket that holds this set's archives started a new chain at sequence 1 over them. Now
 * the run lists what the bucket holds when the catalog knows no archive, refuses (exit 2)
 * with the recovery command and uploads nothing; after that command the next run continues
 * the chain with the next sequence number. A first run on an empty bucket is not refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBucket, startOffsite } from './helpers/offsite.js';
import { runCli } from './helpers/run-cli.js';

interface Listed {
  archives: Array<{ seq: number; level: number; chainSeq: number }>;
}

test('a lost state dir with archives only in the bucket: the run refuses with exit 2 and the rebuild command, after which the chain continues', async (t) => {
  const w = await startOffsite({ s3: {}, archive: { keepLocalCopy: false } });
  t.after(() => w.close());
  const { keys } = await openBucket(w, t);

  writeFileSync(join(w.data, 'a.txt'), 'alpha\n');
  let r = await w.cli('run');
  assert.equal(r.code, 0, 'a first run on an empty bucket goes ahead: ' + r.stderr);
  writeFileSync(join(w.data, 'b.txt'), 'beta\n');
  r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  const before = await keys();

  rmSync(w.stateDir, { recursive: true, force: true });
  const refused = await w.cli('run');
  assert.equal(refused.code, 2, refused.stderr);
  const lines = refused.stderr.split('\n').filter((l) => l.startsWith('backup:'));
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0], /knows no archive, but s3:\/\/backups\/pre\/ .* holds \d+ item\(s\) of set "offsite" \(newest: .*2.*\).*"backup catalog rebuild --from-inventory --wait --config .*backup\.json"/);
  assert.deepEqual(await keys(), before, 'nothing uploaded');

  const cmd = /"(backup catalog rebuild [^"]+)"/.exec(lines[0])![1].split(' ').slice(1);
  const rebuilt = await runCli(cmd, { env: w.env });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  writeFileSync(join(w.data, 'c.txt'), 'gamma\n');
  r = await w.cli('run');
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse((await w.cli('list', '--json')).stdout) as Listed;
  assert.deepEqual(list.archives.map((a) => [a.seq, a.level > 0, a.chainSeq]), [[1, false, 1], [2, true, 1], [3, true, 1]], 'the chain continues at 3, incremental');
  const data = (await keys()).filter((k) => /^pre\/offsite\/\d{6}-L\d-/.test(k));
  assert.deepEqual(data.map((k) => k.slice('pre/offsite/'.length, 'pre/offsite/'.length + 6)), ['000001', '000002', '000003']);
});
