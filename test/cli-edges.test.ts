/**
 * The CLI's edges through the real binary: config errors caught before any work for every
 * command, BACKUP_CONFIG, errors as JSON with --json, a closed stdout pipe, `--at 1`,
 * `status --check --max-age` for monitoring, and a build for another Node.js version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, runCli } from './helpers/run-cli.js';
import { localWorld } from './helpers/local-world.js';
import { peersRequired } from './helpers/peers.js';

/** Every leaf command that reads the config, with the arguments it needs to get that far. */
const configCommands: string[][] = [
  ['run'],
  ['run', '--dry-run'],
  ['list'],
  ['ls'],
  ['restore', '--to', '/nonexistent-restore-target'],
  ['status'],
  ['inventory', 'request'],
  ['inventory', 'status'],
  ['inventory', 'fetch'],
  ['catalog', 'rebuild', '--from-inventory'],
  ['vault', 'create'],
  ['vault', 'describe'],
  ['vault', 'list'],
  ['uploads', 'list'],
  ['uploads', 'abort'],
  ['archive', 'delete', 'some-archive-id'],
  ['upload'],
  ['prune'],
  ['cost'],
  ['check'],
  ['schedule', 'print'],
  ['daemon'],
  ['email', 'test'],
];

for (const [what, patch, pattern] of [
  ['an invalid endpoint URL', { vault: { name: 'v', endpoint: 'htp:/nowhere' } }, /vault\.endpoint: must be "local" or an http\(s\) URL/],
  ['an invalid schedule', { schedule: '61 25 * * *' }, /schedule: "61 25 \* \* \*" is not a valid cron expression/],
] as const) {
  test(`${what} is a config error for every command: exit 2, one line, nothing written`, async (t) => {
    const w = localWorld({ ...patch, email: { to: 'a@b.c', from: 'b@b.c', smtp: { host: '127.0.0.1' } } });
    t.after(w.done);
    for (const args of configCommands) {
      const r = await w.cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
      assert.match(lines[0], pattern, args.join(' '));
      assert.equal(existsSync(w.stateDir), false, `${args.join(' ')} wrote nothing`);
    }
  });
}

test('BACKUP_CONFIG names the config when --config is not given; --config wins over it', async (t) => {
  const w = localWorld();
  t.after(w.done);
  const other = localWorld({ set: 'other' });
  t.after(other.done);
  const viaEnv = await runCli(['status', '--json'], { cwd: w.root, env: { BACKUP_CONFIG: w.config } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal((JSON.parse(viaEnv.stdout) as { set: string }).set, 'nightly');
  const viaFlag = await runCli(['status', '--json', '--config', other.config], { env: { BACKUP_CONFIG: w.config } });
  assert.equal((JSON.parse(viaFlag.stdout) as { set: string }).set, 'other');
  const missing = await runCli(['status'], { cwd: w.root, env: { BACKUP_CONFIG: join(w.root, 'nope.json') } });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^backup: config file .*nope\.json \(from BACKUP_CONFIG\) does not exist/);
});

test('with --json an error is one JSON object on stderr with code, message and exit code', async (t) => {
  const w = localWorld();
  t.after(w.done);
  const bad = await w.cli('restore', '--to', join(w.root, 'r'), '--seq', 'x', '--json');
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.deepEqual(JSON.parse(bad.stderr), { error: { code: 'USAGE', message: '--seq "x" must be a positive whole number', exitCode: 2 } });
  const usage = await w.cli('status', '--no-such-flag', '--json');
  assert.equal(usage.code, 2);
  const e = JSON.parse(usage.stderr) as { error: { code: string; message: string; exitCode: number } };
  assert.equal(e.error.code, 'USAGE');
  assert.match(e.error.message, /unknown option '--no-such-flag'/);
  const noConfig = await runCli(['list', '--json'], { cwd: w.root, env: { HOME: w.root, XDG_CONFIG_HOME: '', BACKUP_CONFIG: '' } });
  assert.equal((JSON.parse(noConfig.stderr) as { error: { code: string; exitCode: number } }).error.code, 'CONFIG_NOT_FOUND');
});

test('--at 1 is rejected as not a date (it was read as the year 2001)', async (t) => {
  const w = localWorld();
  t.after(w.done);
  assert.equal((await w.cli('run')).code, 0);
  const r = await w.cli('restore', '--to', join(w.root, 'r'), '--at', '1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^backup: --at "1" is not a date\/time/);
});

test('a closed stdout pipe ends status, ls, list and help quietly: no EPIPE trace', async (t) => {
  const w = localWorld({}, Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`d/file-${i}.txt`, 'x'])));
  t.after(w.done);
  assert.equal((await w.cli('run', '--quiet')).code, 0);
  for (const args of [['status'], ['ls'], ['list'], ['help'], ['ls', '--json']]) {
    // `backup ls | head -1`: the reader takes one line and closes the pipe
    const child = spawn(process.execPath, [BIN, ...args, '--config', w.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '', `${args.join(' ')}: nothing on stderr`);
    assert.equal(code, 0, args.join(' '));
  }
});

test('status --check --max-age exits 1 when the last successful run is older, 0 when it is recent', async (t) => {
  const w = localWorld();
  t.after(w.done);
  const none = await w.cli('status', '--check');
  assert.equal(none.code, 1);
  assert.match(none.stdout, /^STALE: no successful run yet/);
  assert.equal((await w.cli('run')).code, 0);
  const fresh = await w.cli('status', '--check', '--max-age', '36h');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /^ok: last successful run #1 ended \d+ min ago \(within 36h\)/);
  // the run ended 40 hours ago, as far as the catalog knows
  const db = new Database(join(w.stateDir, 'catalog.db'));
  db.prepare('UPDATE runs SET ended_at = ?').run(new Date(Date.now() - 40 * 3_600_000).toISOString());
  db.close();
  const stale = await w.cli('status', '--check', '--max-age', '36h');
  assert.equal(stale.code, 1);
  assert.match(stale.stdout, /^STALE: last successful run #1 ended 40 h 00 min ago, more than 36h/);
  const json = await w.cli('status', '--check', '--max-age', '2d', '--json');
  assert.equal(json.code, 0);
  assert.equal((JSON.parse(json.stdout) as { check: { ok: boolean } }).check.ok, true);
  assert.equal((await w.cli('status', '--check', '--max-age', 'soon')).code, 2);
});

test('a build for another Node.js version gives one line telling the user to run npm rebuild', { skip: !process.env.BACKUP_OTHER_NODE && !peersRequired() ? 'BACKUP_OTHER_NODE is not set (CI sets it to the other Node)' : false }, (t) => {
  const other = process.env.BACKUP_OTHER_NODE;
  assert.ok(other, 'BACKUP_OTHER_NODE must name the other Node.js binary (BACKUP_REQUIRE_PEERS=1)');
  const w = localWorld();
  t.after(w.done);
  const r = spawnSync(other, [BIN, 'status', '--config', w.config], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^backup: the SQLite module was built for another Node\.js version \(module version \d+; Node v\d+\.\d+\.\d+ needs \d+\); run "npm rebuild" in the backup installation directory\n$/);
});

test('help names the global options on subcommands', async () => {
  const r = await runCli(['restore', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Global Options:[\s\S]*--config <file>[\s\S]*--json/);
});

test('every leaf command has an example in its help', async () => {
  const leaves = [
    ['run'], ['list'], ['ls'], ['restore'], ['status'], ['check'], ['inventory', 'request'], ['inventory', 'status'], ['inventory', 'fetch'],
    ['catalog', 'rebuild'], ['vault', 'create'], ['vault', 'describe'], ['vault', 'list'], ['uploads', 'list'], ['uploads', 'abort'],
    ['archive', 'delete'], ['upload'], ['prune'], ['cost'], ['schedule', 'print'], ['daemon'], ['email', 'test'], ['glacier-local', 'serve'],
  ];
  for (const leaf of leaves) {
    const r = await runCli([...leaf, '--help']);
    assert.equal(r.code, 0, leaf.join(' '));
    assert.match(r.stdout, /^Examples?( \(.*\))?:\n {2}(\S+=\S+ )?backup /m, `${leaf.join(' ')} --help has an example`);
  }
});
