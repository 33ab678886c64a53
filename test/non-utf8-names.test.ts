/**
 * Issue 9: file, directory and symlink names (and symlink targets) that are not valid UTF-8
 * are backed up and restored byte-exact, by the catalog, from the archive files alone and
 * by GNU tar from our chain; a later incremental deletes one of them; `backup ls` shows the
 * bytes escaped. Before, such names were skipped with a warning (exit 3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/run-cli.js';

const b = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const at = (dir: string, ...names: Buffer[]) => Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from('/'), n])]);

/** Every entry under `root` by its raw path bytes (hex), with type and content or target bytes (hex). */
function bytesTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: Buffer, rel: Buffer | null) => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const p = Buffer.concat([dir, Buffer.from('/'), name]);
      const r = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r.toString('hex')] = `symlink ${readlinkSync(p, { encoding: 'buffer' }).toString('hex')}`;
      else if (st.isDirectory()) {
        out[r.toString('hex')] = 'dir';
        walk(p, r);
      } else out[r.toString('hex')] = `file ${readFileSync(p).toString('hex')}`;
    }
  };
  walk(Buffer.from(root), null);
  return out;
}

test('issue 9: names that are not valid UTF-8 are restored byte-exact by the catalog, --from-archives and GNU tar', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-bytes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  const latin1 = b('caf', [0xe9], '.txt');
  const dir = b('d', [0xff]);
  writeFileSync(at(data, latin1), 'latin-1 name\n');
  mkdirSync(at(data, dir));
  writeFileSync(at(data, dir, b('x', [0xfe, 0xc3])), 'inside a non-UTF-8 directory\n');
  symlinkSync(latin1, at(data, b('l', [0xfd])));
  writeFileSync(join(data, 'héllo ✓.txt'), 'valid unicode\n');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'bytes', stateDir: join(root, 'state') }));

  const run1 = await runCli(['run', '--config', config]);
  assert.equal(run1.code, 0, run1.stderr);
  const at1 = bytesTree(data);
  assert.equal(Object.keys(at1).length, 5);
  unlinkSync(at(data, latin1));
  writeFileSync(at(data, dir, b('new', [0xfa])), 'added later\n');
  await new Promise((r) => setTimeout(r, 20));
  const run2 = await runCli(['run', '--config', config]);
  assert.equal(run2.code, 0, run2.stderr);
  const at2 = bytesTree(data);

  for (const [seq, expected] of [[1, at1], [2, at2]] as const) {
    const to = join(root, `catalog-${seq}`);
    const r = await runCli(['restore', '--config', config, '--seq', String(seq), '--to', to]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bytesTree(to), expected, `catalog restore of ${seq}`);
  }
  const fa = join(root, 'from-archives');
  const r = await runCli(['restore', '--from-archives', join(root, 'state', 'archives'), '--to', fa]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(bytesTree(fa), at2, 'from-archives');

  const archives = (JSON.parse((await runCli(['list', '--json', '--config', config])).stdout) as { archives: Array<{ localPath: string }> }).archives;
  const gnu = join(root, 'gnu');
  mkdirSync(gnu);
  for (const a of archives) execFileSync('tar', ['--listed-incremental=/dev/null', '-xzf', a.localPath], { cwd: gnu });
  assert.deepEqual(bytesTree(gnu), at2, 'GNU tar restore of our chain');

  const ls = await runCli(['ls', '--config', config, '--seq', '1']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /caf\\xe9\.txt/);
  assert.match(ls.stdout, /d\\xff\/x\\xfe\\xc3/);
  assert.match(ls.stdout, /l\\xfd -> caf\\xe9\.txt/);
  assert.match(ls.stdout, /héllo ✓\.txt/);
});
