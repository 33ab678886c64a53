/**
 * Regression (issue 9 §5): a full stateDir gave "internal error: database or disk is full".
 * Now a full device under stateDir gives the same one disk-full line and exit code whether
 * the archive's staging file or the catalog hit it, the run log says so too (no stack), and
 * the next run with space finishes and restores exactly. stateDir is a small tmpfs mounted
 * for the test (as root; without root the test fails under BACKUP_REQUIRE_PEERS=1, as CI
 * sets it, and is skipped otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

const required = !['', '0', undefined].includes(process.env.BACKUP_REQUIRE_PEERS);
const root = process.getuid?.() === 0;
const DISK_FULL = /^backup: no space left on the device holding .*state.*; free space or point stateDir elsewhere$/;

function mount(dir: string, size: string, remount = false): void {
  const r = spawnSync('mount', remount ? ['-o', `remount,size=${size}`, dir] : ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount ${dir}: ${r.stderr}`);
}

test('a full stateDir: the archive path and the catalog give the same disk-full line (exit 1), and the next run with space finishes', { skip: !root && !required ? 'not root: cannot mount a small tmpfs (set BACKUP_REQUIRE_PEERS=1 to make this a failure)' : false }, async (t) => {
  assert.ok(root, 'BACKUP_REQUIRE_PEERS is set but the tests do not run as root, which mounting a small tmpfs needs');
  const top = mkdtempSync(join(tmpdir(), 'backup-disk-full-'));
  const data = join(top, 'data');
  const state = join(top, 'state');
  mkdirSync(data);
  mkdirSync(state);
  mount(state, '768k');
  t.after(() => {
    spawnSync('umount', [state]);
    rmSync(top, { recursive: true, force: true });
  });
  const config = join(top, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'full', stateDir: state, archive: { blockSizeKiB: 64, localDir: join(top, 'archives') } }));
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  const lastLog = () => {
    const logs = join(state, 'logs');
    return readFileSync(join(logs, readdirSync(logs).sort().at(-1)!), 'utf8');
  };

  // the staging file fills the device: 3 MiB that do not compress
  writeFileSync(join(data, 'big.bin'), randomBytes(3 * 1024 * 1024));
  let r = await cli('run');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, DISK_FULL);
  rmSync(join(data, 'big.bin'));

  // the archive fits, the catalog's rows for 6000 names do not
  for (let d = 0; d < 12; d++) {
    mkdirSync(join(data, `dir${d}`));
    for (let i = 0; i < 500; i++) writeFileSync(join(data, `dir${d}`, `a-long-enough-name-to-fill-the-catalog-${i}.txt`), '');
  }
  r = await cli('run');
  assert.equal(r.code, 1, r.stderr);
  const last = r.stderr.trim().split('\n').at(-1)!;
  assert.match(last, DISK_FULL);
  assert.match(last, /the catalog could not be written/);
  assert.doesNotMatch(r.stderr, /internal error|SqliteError/);
  assert.doesNotMatch(lastLog(), /internal error|SqliteError/);

  mount(state, '64m', true);
  r = await cli('run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /the previous run was interrupted|level 0/);
  const to = join(top, 'restored');
  r = await cli('restore', '--to', to);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshotTree(to), snapshotTree(data));
});
