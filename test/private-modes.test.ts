/**
 * Issue 9: the catalog, logs, local copies, retrieved data and the state directory are
 * private (no group or other bits) whatever the umask the binary is started with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffsite } from './helpers/offsite.js';

/** Every path under `dir` (itself included) whose mode gives group or others any access. */
function loose(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push(`${p} ${(st.mode & 0o7777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return out;
}

test('issue 9: state, catalog, logs, local copies and retrieved data are private under umask 000', async (t) => {
  const old = process.umask(0);
  t.after(() => process.umask(old));
  const o = await startOffsite();
  t.after(() => o.close());
  const copies = join(o.root, 'copies');
  const config = JSON.parse(readFileSync(o.config, 'utf8')) as { archive: Record<string, unknown> };
  writeFileSync(o.config, JSON.stringify({ ...config, archive: { ...config.archive, localDir: copies } }));
  writeFileSync(join(o.data, 'secret.txt'), 'secret\n');

  assert.equal((await o.cli('vault', 'create')).code, 0);
  const run = await o.cli('run');
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(loose(o.stateDir), []);
  assert.deepEqual(loose(copies), []);

  // a catalog left readable by an older version becomes private at the next open
  chmodSync(join(o.stateDir, 'catalog.db'), 0o644);
  writeFileSync(join(o.data, 'more.txt'), 'more\n');
  assert.equal((await o.cli('run')).code, 0);
  assert.equal(statSync(join(o.stateDir, 'catalog.db')).mode & 0o777, 0o600);

  // without local copies the restore retrieves from the vault through stateDir/retrieved
  rmSync(copies, { recursive: true });
  const r = await o.cli('restore', '--to', join(o.root, 'restored'), '--wait');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(loose(o.stateDir), []);
  assert.equal(statSync(join(o.root, 'restored', 'secret.txt')).mode & 0o777, 0o666, 'restored files keep their archived mode');
});
