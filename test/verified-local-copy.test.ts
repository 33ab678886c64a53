/**
 * Local copies are verified against the catalog's per-block SHA-256 before anything from
 * them is written (issue 9 §2): a flipped byte, or one whose gzip CRC was fixed up so gzip
 * and tar see a valid file, is refused in one line naming the archive when there is no
 * vault (nothing written), and replaced by a retrieval from the vault when there is one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { startOffsite } from './helpers/offsite.js';
import { snapshotTree } from './helpers/tree-snapshot.js';
import { blockExtents, tamperStoredByte } from './helpers/tamper.js';

interface Listed {
  archives: Array<{ seq: number; fileName: string; localPath: string }>;
}

for (const fixCrc of [false, true]) {
  test(`without a vault, a local copy with ${fixCrc ? 'a changed byte and a fixed-up gzip CRC' : 'a flipped byte'} is refused in one line naming the archive; nothing is written`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'backup-verify-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const data = join(root, 'data');
    mkdirSync(data);
    const noise = randomBytes(600 * 1024);
    writeFileSync(join(data, 'a.txt'), 'first\n');
    writeFileSync(join(data, 'noise.bin'), noise);
    const config = join(root, 'backup.json');
    writeFileSync(config, JSON.stringify({ data, set: 'verify', stateDir: join(root, 'state'), archive: { blockSizeKiB: 128 } }));
    assert.equal((await runCli(['run', '--config', config])).code, 0);
    const list = JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as Listed;
    const copy = list.archives[0].localPath;
    tamperStoredByte(copy, noise.subarray(300 * 1024, 300 * 1024 + 64), blockExtents(join(root, 'state', 'catalog.db'), 1), fixCrc);
    if (fixCrc) execFileSync('gzip', ['-t', copy]); // gzip itself sees nothing wrong

    const to = join(root, 'restore');
    const r = await runCli(['restore', '--config', config, '--to', to]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /local copy .* of archive 1 is damaged \(gzip block \d+ .*differs from the catalog\)/);
    assert.ok(!existsSync(to) || readdirSync(to).length === 0, 'nothing was written');
  });
}

test('with a vault, a damaged local copy is replaced by a retrieval and the restore is exact', async (t) => {
  const o = await startOffsite({ archive: { blockSizeKiB: 128 }, vault: { uploadCatalog: false } });
  t.after(() => o.close());
  assert.equal((await o.cli('vault', 'create')).code, 0);
  const noise = randomBytes(600 * 1024);
  writeFileSync(join(o.data, 'noise.bin'), noise);
  writeFileSync(join(o.data, 'a.txt'), 'first\n');
  const run = await o.cli('run');
  assert.equal(run.code, 0, run.stderr);
  const list = JSON.parse((await o.cli('list', '--json')).stdout) as Listed;
  tamperStoredByte(list.archives[0].localPath, noise.subarray(100 * 1024, 100 * 1024 + 64), blockExtents(join(o.stateDir, 'catalog.db'), 1), true);

  const to = join(o.root, 'restore');
  const r = await o.cli('restore', '--to', to, '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /local copy .* of archive 1 is damaged .*retrieving the archive from offsite storage instead/);
  assert.deepEqual(snapshotTree(to), snapshotTree(o.data));
});
