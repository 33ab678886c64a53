import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
import { isBackupError } from '../errors.js';

function setup(config: unknown, raw?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'backup-config-'));
  mkdirSync(join(dir, 'data'));
  const path = join(dir, 'backup.config.json');
  writeFileSync(path, raw ?? JSON.stringify(config));
  return { dir, path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function rejects(config: unknown, code: string, pattern: RegExp, raw?: string) {
  const s = setup(config, raw);
  try {
    assert.throws(() => loadConfig({ path: s.path }), (err: unknown) => {
      assert.ok(isBackupError(err), String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  } finally {
    s.done();
  }
}

test('a valid config resolves paths against its own directory and fills defaults', () => {
  const s = setup({ data: 'data', stateDir: 'state', vault: { name: 'v' } });
  try {
    const c = loadConfig({ path: s.path });
    assert.equal(c.data, join(s.dir, 'data'));
    assert.equal(c.stateDir, join(s.dir, 'state'));
    assert.equal(c.archive.localDir, join(s.dir, 'state', 'archives'));
    assert.equal(c.set, 'data');
    assert.equal(c.vault?.partSizeMiB, 32);
    assert.ok(Object.isFrozen(c.archive));
  } finally {
    s.done();
  }
});

test('comment keys starting with // are ignored at any depth', () => {
  const s = setup({ '//': 'x', data: 'data', stateDir: 'state', archive: { '//level': 'y', level: 3 } });
  try {
    assert.equal(loadConfig({ path: s.path }).archive.level, 3);
  } finally {
    s.done();
  }
});

test('an unknown key names the key and says what to do', () => rejects({ data: 'data', stateDir: 's', archive: { levle: 3 } }, 'CONFIG_INVALID', /unknown key "levle" in archive; remove it/));
test('a wrong type names the key', () => rejects({ data: 'data', stateDir: 's', archive: { level: 'fast' } }, 'CONFIG_INVALID', /archive\.level: expected number/));
test('an out-of-range value names the key', () => rejects({ data: 'data', stateDir: 's', vault: { name: 'v', partSizeMiB: 3 } }, 'CONFIG_INVALID', /vault\.partSizeMiB: must be a power of two/));
test('a missing data key is reported', () => rejects({ stateDir: 's' }, 'CONFIG_INVALID', /data is required/));
test('invalid JSON is reported with the file', () => rejects(null, 'CONFIG_INVALID', /is not valid JSON/, '{ "data": '));
test('a missing data directory is reported', () => rejects({ data: 'nope', stateDir: 's' }, 'DATA_DIR_MISSING', /data directory .*nope does not exist/));
test('no vault and no local copy is refused', () => rejects({ data: 'data', stateDir: 's', archive: { keepLocalCopy: false } }, 'CONFIG_INVALID', /kept nowhere/));

test('a missing config file is reported with where it was looked for', () => {
  assert.throws(() => loadConfig({ path: '/nonexistent/backup.json' }), /config file \/nonexistent\/backup.json does not exist/);
  const empty = mkdtempSync(join(tmpdir(), 'backup-noconfig-'));
  try {
    assert.throws(() => loadConfig({ cwd: empty, env: { HOME: empty } }), /no config file: pass --config FILE/);
  } finally {
    rmSync(empty, { recursive: true });
  }
});

test('a state directory under a regular file is reported as unwritable', () => {
  const s = setup({ data: 'data', stateDir: 'file/state' });
  try {
    writeFileSync(join(s.dir, 'file'), 'x');
    assert.throws(() => loadConfig({ path: s.path }), /stateDir .*file\/state is not writable \(ENOTDIR\)/);
  } finally {
    s.done();
  }
});

test('encryption recipients are checked: a bad age1 checksum or a non-key is refused naming the key; identityFile resolves with ~', () => {
  rejects({ data: 'data', encryption: { recipients: ['age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'] } }, 'CONFIG_INVALID', /encryption\.recipients\.0: .*not a valid age1/);
  rejects({ data: 'data', encryption: { recipients: ['hunter2'] } }, 'CONFIG_INVALID', /encryption\.recipients\.0: .*must be an age1/);
  rejects({ data: 'data', encryption: { recipients: [] } }, 'CONFIG_INVALID', /encryption\.recipients/);
  const s = setup({ data: 'data', encryption: { recipients: ['age17gwf7c9x5uvnf5278rz5xzzupd8zzkm052krkqvtgedxmx5xm98qtd2je2'], identityFile: '~/k.txt' } });
  try {
    const c = loadConfig({ path: s.path, env: { HOME: '/home/someone' } });
    assert.equal(c.encryption?.identityFile, '/home/someone/k.txt');
  } finally {
    s.done();
  }
});
