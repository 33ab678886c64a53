/**
 * Bad input through the real binary: each gets one clear line naming the thing and what
 * to do, the documented exit code, and nothing lost or written where it should not be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from './helpers/run-cli.js';
import { snapshotTree } from './helpers/tree-snapshot.js';

function world() {
  const root = mkdtempSync(join(tmpdir(), 'backup-errors-'));
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'keep.txt'), 'keep\n');
  return { root, data, done: () => rmSync(root, { recursive: true, force: true }) };
}

/** Writes a GNU-format tar.gz at `file` with Python's tarfile: `body` is indented code adding members to the open archive `t`. */
function pythonTarGz(file: string, body: string): void {
  execFileSync('python3', ['-c', `import tarfile, io\nwith tarfile.open(${JSON.stringify(file)}, 'w:gz', format=tarfile.GNU_FORMAT) as t:${body}`]);
}

function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${stderr}`);
  assert.match(lines[0], pattern);
}

test('no config file anywhere: exit 2 and where it was looked for', async (t) => {
  const w = world();
  t.after(w.done);
  const r = await runCli(['run'], { cwd: w.root, env: { HOME: w.root, XDG_CONFIG_HOME: '' } });
  assert.equal(r.code, 2);
  oneLine(r.stderr, /^backup: no config file: pass --config FILE or create .*backup\.config\.json/);
});

test('an unknown key: exit 2 naming it, and nothing written', async (t) => {
  const w = world();
  t.after(w.done);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: 'data', stateDir: 'state', archive: { levl: 5 } }));
  const r = await runCli(['run', '--config', config]);
  assert.equal(r.code, 2);
  oneLine(r.stderr, /unknown key "levl" in archive/);
  assert.equal(existsSync(join(w.root, 'state')), false, 'no state directory was created');
});

test('a missing data directory: exit 2 naming it', async (t) => {
  const w = world();
  t.after(w.done);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: 'nowhere', stateDir: 'state' }));
  const r = await runCli(['run', '--config', config]);
  assert.equal(r.code, 2);
  oneLine(r.stderr, /data directory .*nowhere does not exist; fix "data"/);
});

test('an unwritable state directory: exit 2 naming it, before anything is written', async (t) => {
  const w = world();
  t.after(w.done);
  mkdirSync(join(w.root, 'ro'));
  chmodSync(join(w.root, 'ro'), 0o500);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: 'data', stateDir: 'ro/state' }));
  const asRoot = process.getuid?.() === 0;
  if (asRoot && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('running as root without setpriv');
  const cmd = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, BIN] : [process.execPath, BIN];
  const r = spawnSync(cmd[0], [...cmd.slice(1), 'run', '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  oneLine(r.stderr, /stateDir .*ro\/state is not writable \(EACCES\); fix its permissions or change "stateDir"/);
});

test('bad option values and unknown commands: exit 2', async (t) => {
  const w = world();
  t.after(w.done);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: 'data', stateDir: 'state' }));
  const at = await runCli(['restore', '--to', join(w.root, 'r'), '--at', 'yesterday-ish', '--config', config]);
  assert.equal(at.code, 2);
  oneLine(at.stderr, /--at "yesterday-ish" is not a date\/time/);
  const tier = await runCli(['restore', '--to', join(w.root, 'r'), '--tier', 'fast', '--config', config]);
  assert.equal(tier.code, 2);
  assert.equal((await runCli(['frobnicate'])).code, 2);
});

test('an unreadable file: the run completes with warnings (exit 3), and the next run picks the file up', async (t) => {
  const w = world();
  t.after(w.done);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: w.data, stateDir: join(w.root, 'state') }));
  writeFileSync(join(w.data, 'secret.txt'), 'top secret\n');
  chmodSync(join(w.data, 'secret.txt'), 0o000);
  // root reads anything: drop the capabilities that let it, so the mode applies
  const asRoot = process.getuid?.() === 0;
  if (asRoot && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('running as root without setpriv');
  const cmd = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, BIN] : [process.execPath, BIN];
  const r = spawnSync(cmd[0], [...cmd.slice(1), 'run', '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /secret\.txt/);
  chmodSync(join(w.data, 'secret.txt'), 0o644);
  const again = await runCli(['run', '--config', config]);
  assert.equal(again.code, 0, again.stderr);
  const to = join(w.root, 'restored');
  assert.equal((await runCli(['restore', '--to', to, '--config', config])).code, 0);
  assert.deepEqual(snapshotTree(to), snapshotTree(w.data));
});

test('restoring into a non-empty directory is refused (exit 2) unless --force', async (t) => {
  const w = world();
  t.after(w.done);
  const config = join(w.root, 'c.json');
  writeFileSync(config, JSON.stringify({ data: w.data, stateDir: join(w.root, 'state') }));
  assert.equal((await runCli(['run', '--config', config])).code, 0);
  const to = join(w.root, 'busy');
  mkdirSync(to);
  writeFileSync(join(to, 'mine.txt'), 'do not lose me\n');
  const r = await runCli(['restore', '--to', to, '--config', config]);
  assert.equal(r.code, 2);
  oneLine(r.stderr, /restore target .*busy is not empty; choose an empty directory or add --force/);
  const forced = await runCli(['restore', '--to', to, '--force', '--config', config]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(existsSync(join(to, 'keep.txt')) && existsSync(join(to, 'mine.txt')));
});

test('an archive whose members try to escape the target is rejected and writes nothing outside it', async (t) => {
  const w = world();
  t.after(w.done);
  const dir = join(w.root, 'archives');
  mkdirSync(dir);
  // a hostile archive named like one of ours: "../escaped.txt", an absolute path, and a file through a symlink
  pythonTarGz(
    join(dir, 'evil-000001-L0-20260101T000000Z.tar.gz'),
    `
    def add(name, data=b'x', **kw):
        i = tarfile.TarInfo(name); i.size = len(data)
        for k, v in kw.items(): setattr(i, k, v)
        t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
    add('./ok.txt', b'fine')
    add('../escaped.txt', b'evil')
    add(${JSON.stringify(join(w.root, 'absolute.txt'))}, b'evil')
    add('./link', type=tarfile.SYMTYPE, linkname=${JSON.stringify(w.root)}, size=0)
    add('./link/through-link.txt', b'evil')
`,
  );
  const to = join(w.root, 'target');
  const r = await runCli(['restore', '--from-archives', dir, '--to', to]);
  assert.equal(r.code, 1, r.stderr);
  oneLine(r.stderr, /unsafe|outside|escape/i);
  assert.equal(existsSync(join(w.root, 'escaped.txt')), false);
  assert.equal(existsSync(join(w.root, 'absolute.txt')), false);
  assert.equal(existsSync(join(w.root, 'through-link.txt')), false);
});

test('restore --from-archives of an archive with members it does not restore: a line each and exit 3, not 0 (the lines were printed, the exit was 0)', async (t) => {
  const w = world();
  t.after(w.done);
  const dir = join(w.root, 'archives');
  mkdirSync(dir);
  pythonTarGz(
    join(dir, 'odd-000001-L0-20260101T000000Z.tar.gz'),
    `
    i = tarfile.TarInfo('./ok.txt'); i.size = 4
    t.addfile(i, io.BytesIO(b'fine'))
    v = tarfile.TarInfo('./label'); v.type = b'V'
    t.addfile(v)
`,
  );
  const r = await runCli(['restore', '--quiet', '--from-archives', dir, '--to', join(w.root, 'target')]);
  assert.equal(r.code, 3, r.stderr);
  oneLine(r.stderr, /^warning: label: skipped: tar member type "V"/);
  assert.equal(existsSync(join(w.root, 'target', 'ok.txt')), true);
});
