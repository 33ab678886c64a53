/**
 * Issue 9's restore findings, through the real binary: `--force` only replaces what is in
 * the way (it never deletes what was never in the backup, by the catalog or from the
 * archive files alone); a restore that refuses creates nothing, not even --to; and a rerun
 * after a killed restore leaves none of its temporary files behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { snapshotTree, writeTree } from './helpers/tree-snapshot.js';

/** A two-archive chain: the level 1 deletes gone.txt and docs/old.txt and adds docs/new.txt. */
async function chain(t: { after(fn: () => void): void }): Promise<{ root: string; config: string; archives: string; expected: ReturnType<typeof snapshotTree> }> {
  const root = mkdtempSync(join(tmpdir(), 'backup-force-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  writeTree(data, { 'a.txt': 'from the backup\n', 'gone.txt': 'deleted later\n', 'docs/old.txt': 'old\n', 'docs/keep.txt': 'keep\n', '.backup-restore-7-7.tmp': 'a real file with a temporary-looking name\n' });
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'force', stateDir: join(root, 'state') }));
  assert.equal((await runCli(['run', '--config', config])).code, 0);
  unlinkSync(join(data, 'gone.txt'));
  unlinkSync(join(data, 'docs/old.txt'));
  writeFileSync(join(data, 'docs/new.txt'), 'new\n');
  await new Promise((r) => setTimeout(r, 20));
  const r = await runCli(['run', '--config', config]);
  assert.equal(r.code, 0, r.stderr);
  return { root, config, archives: join(root, 'state', 'archives'), expected: snapshotTree(data) };
}

test('issue 9: restore --force (catalog and --from-archives) never deletes files that were never in the backup', async (t) => {
  const { root, config, archives, expected } = await chain(t);
  const routes: Array<[string, string[]]> = [
    ['catalog', ['restore', '--config', config]],
    ['from-archives', ['restore', '--from-archives', archives]],
  ];
  for (const [route, args] of routes) {
    const to = join(root, `to-${route}`);
    // the user's own files, one of them in the way of a backed-up file, one where a backed-up directory goes
    writeTree(to, { 'mine.txt': 'not in any backup\n', 'docs/mine.txt': 'mine too\n', 'a.txt': 'in the way\n' });
    const refused = await runCli([...args, '--to', to]);
    assert.equal(refused.code, 2, `${route}: a non-empty target needs --force`);
    const r = await runCli([...args, '--to', to, '--force']);
    assert.equal(r.code, 0, `${route}: ${r.stderr}`);
    const got = snapshotTree(to);
    assert.equal(readFileSync(join(to, 'mine.txt'), 'utf8'), 'not in any backup\n', route);
    assert.equal(readFileSync(join(to, 'docs/mine.txt'), 'utf8'), 'mine too\n', route);
    assert.equal(readFileSync(join(to, 'a.txt'), 'utf8'), 'from the backup\n', `${route}: what was in the way is replaced`);
    for (const [p, state] of Object.entries(expected)) assert.deepEqual(got[p], state, `${route}: ${p}`);
    assert.deepEqual(Object.keys(got).sort(), [...Object.keys(expected), 'mine.txt', 'docs/mine.txt'].sort(), route);
  }
});

test('issue 9: a refused restore (unknown --seq, no --path match, bad --at) creates nothing, not even --to', async (t) => {
  const { root, config, archives } = await chain(t);
  const to = join(root, 'never-made', 'to');
  const cases: string[][] = [
    ['restore', '--config', config, '--seq', '99'],
    ['restore', '--config', config, '--path', 'no/such/thing'],
    ['restore', '--config', config, '--at', 'yesterday-ish'],
    ['restore', '--from-archives', archives, '--seq', '99'],
    ['restore', '--from-archives', archives, '--path', 'no/such/thing'],
    ['restore', '--from-archives', join(root, 'no-archives-here')],
  ];
  for (const args of cases) {
    const r = await runCli([...args, '--to', to]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(join(root, 'never-made')), `${args.join(' ')} created ${to}`);
  }
});

test('issue 9: the rerun after a killed restore leaves none of its temporary files in the target', async (t) => {
  const { root, config, archives, expected } = await chain(t);
  for (const [route, args] of [
    ['catalog', ['restore', '--config', config]],
    ['from-archives', ['restore', '--from-archives', archives]],
  ] as const) {
    const to = join(root, `rerun-${route}`);
    // what a restore killed mid-file leaves: its directories and a temporary file in each
    mkdirSync(join(to, 'docs'), { recursive: true });
    writeFileSync(join(to, '.backup-restore-4242-1.tmp'), 'half a file');
    writeFileSync(join(to, 'docs', '.backup-restore-4242-2.tmp'), 'half another');
    const r = await runCli([...args, '--to', to, '--force']);
    assert.equal(r.code, 0, `${route}: ${r.stderr}`);
    assert.deepEqual(readdirSync(to).sort(), ['.backup-restore-7-7.tmp', 'a.txt', 'docs'], route);
    assert.deepEqual(snapshotTree(to), expected, route);
  }
});
