/**
 * Issue 9, the worst finding: a root restore into a target another user can write followed
 * a directory swapped for a symlink mid-restore and wrote outside the target. Here another
 * user (nobody, when the test runs as root) keeps renaming every directory the restore makes
 * and putting a symlink to an outside directory in its place while the real binary restores
 * hundreds of files, by the catalog and from the archive files alone. Whatever the restore
 * then does (finish, or stop with one clear line), nothing outside the target changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';

const SWAPPER = `
import os, sys
target, outside = sys.argv[1], sys.argv[2]
n = 0
print('ready', flush=True)
while True:
    try:
        names = os.listdir(target)
    except OSError:
        continue
    for name in names:
        p = os.path.join(target, name)
        try:
            if name.startswith('moved-') or os.path.islink(p) or not os.path.isdir(p):
                continue
            n += 1
            os.rename(p, os.path.join(target, 'moved-%d' % n))
            os.symlink(outside, p)
        except OSError:
            pass
`;

/** Starts the swapper on `target` as another user; resolves once it is looping. */
function startSwapper(target: string, outside: string): Promise<{ stop: () => Promise<void> }> {
  const asRoot = process.getuid?.() === 0;
  const child = spawn('python3', ['-c', SWAPPER, target, outside], { stdio: ['ignore', 'pipe', 'inherit'], ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', () =>
      resolve({
        stop: () =>
          new Promise<void>((done) => {
            child.on('close', () => done());
            child.kill('SIGKILL');
          }),
      }),
    );
  });
}

/** Every path under `dir` with its content ("<dir>" for directories), for before/after comparison. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    out[p] = e.isDirectory() ? '<dir>' : e.isSymbolicLink() ? '<link>' : readFileSync(p, 'utf8');
  }
  return out;
}

test('issue 9: a directory swapped for a symlink during a restore never makes it write outside the target', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-swap-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // the other user reaches the target, and only the target
  chmodSync(root, 0o711);
  const data = join(root, 'data');
  for (let d = 0; d < 200; d++) {
    for (let f = 0; f < 3; f++) {
      mkdirSync(join(data, `d${d}`, 'sub'), { recursive: true });
      writeFileSync(join(data, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
    }
    writeFileSync(join(data, `d${d}`, 'sub', 'deep.txt'), `deep ${d}\n`);
  }
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'swap', stateDir: join(root, 'state') }));
  const run = await runCli(['run', '--config', config]);
  assert.equal(run.code, 0, run.stderr);

  // what a restore following the symlinks would overwrite or add to
  const outside = join(root, 'outside');
  mkdirSync(join(outside, 'sub'), { recursive: true });
  writeFileSync(join(outside, 'f0.txt'), 'precious\n');
  writeFileSync(join(outside, 'sub', 'deep.txt'), 'precious too\n');
  const before = listing(outside);

  const routes: Array<[string, string[]]> = [
    ['catalog', ['restore', '--config', config]],
    ['from-archives', ['restore', '--from-archives', join(root, 'state', 'archives')]],
  ];
  for (const [route, args] of routes) {
    const target = join(root, `target-${route}`);
    mkdirSync(target);
    chmodSync(target, 0o777);
    const swapper = await startSwapper(target, outside);
    const r = await runCli([...args, '--to', target, '--force']);
    await swapper.stop();
    assert.deepEqual(listing(outside), before, `${route}: nothing outside the target changed`);
    assert.ok(readdirSync(target).some((n) => n.startsWith('moved-')), `${route}: the swapper swapped directories during the restore`);
    // finishing is fine, and so is stopping with one line that names what happened
    if (r.code !== 0) {
      assert.equal(r.code, 1, `${route}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${route}: ${r.stderr}`);
      assert.match(r.stderr, /symlink|replaced/, route);
    }
  }
});
