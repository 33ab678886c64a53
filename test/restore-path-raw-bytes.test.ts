/**
 * Issue 9: `restore --path` could not select a name that is not valid UTF-8: Node decodes
 * argv as UTF-8 and turns such bytes into U+FFFD. Now the argument's raw bytes (from
 * /proc/self/cmdline) select the name byte-exact, as a plain path, a directory, or inside a
 * glob, by the catalog and --from-archives; a Latin-1 "é" and a UTF-8 "é" stay two names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from './helpers/run-cli.js';

const at = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
const LATIN1 = Buffer.from('caf\xe9.txt', 'latin1');
const DIR = Buffer.from('d\xff', 'latin1');

/** Every path under `root` as hex of its raw bytes, sorted. */
function names(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: Buffer, rel: Buffer | null) => {
    for (const e of readdirSync(dir, { encoding: 'buffer', withFileTypes: true })) {
      const r = rel ? at(rel, '/', e.name) : e.name;
      out.push(r.toString('latin1'));
      if (e.isDirectory()) walk(at(dir, '/', e.name), r);
    }
  };
  walk(Buffer.from(root), null);
  return out.sort();
}

/** Runs the binary through bash so `--path` reaches it as raw bytes ($'\xNN' quoting). */
function restoreRaw(args: string, pathArg: string) {
  const r = spawnSync('bash', ['-c', `exec "$0" "$1" restore ${args} --path $'${pathArg}'`, process.execPath, BIN], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

test('restore --path selects names that are not valid UTF-8 by their raw bytes, by the catalog and --from-archives', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'backup-rawpath-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(at(data, '/', LATIN1), 'latin-1\n');
  writeFileSync(join(data, 'café.txt'), 'utf-8\n');
  writeFileSync(join(data, 'other.txt'), 'other\n');
  mkdirSync(at(data, '/', DIR));
  writeFileSync(at(data, '/', DIR, '/inner.txt'), 'inner\n');
  const archives = join(root, 'archives');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'raw', stateDir: join(root, 'state'), archive: { blockSizeKiB: 64, localDir: archives } }));
  const run = await runCli(['run', '--config', config]);
  assert.equal(run.code, 0, run.stderr);

  const cases: Array<[string, string, string[]]> = [
    ['plain', 'caf\\xe9.txt', ['caf\xe9.txt']],
    ['dir', 'd\\xff', ['d\xff', 'd\xff/inner.txt']],
    ['glob', '*\\xe9*', ['caf\xe9.txt']],
  ];
  for (const [label, pathArg, want] of cases) {
    const to = join(root, `catalog-${label}`);
    const r = restoreRaw(`--to '${to}' --config '${config}'`, pathArg);
    assert.equal(r.code, 0, `${label}: ${r.stderr}`);
    assert.deepEqual(names(to), want, label);
    const toFiles = join(root, `files-${label}`);
    const f = restoreRaw(`--from-archives '${archives}' --to '${toFiles}'`, pathArg);
    assert.equal(f.code, 0, `${label} --from-archives: ${f.stderr}`);
    assert.deepEqual(names(toFiles), want, `${label} --from-archives`);
  }
  const utf8 = join(root, 'utf8');
  const r = await runCli(['restore', '--to', utf8, '--config', config, '--path', 'café.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(utf8), [Buffer.from('café.txt').toString('latin1')], 'the UTF-8 name is another file');
});
