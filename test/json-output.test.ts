/**
 * Every command's `--json` output against its JSON Schema (docs/json-schemas/, documented in
 * docs/json.md): each leaf command has a schema, and one small world on the bundled server
 * runs every command through the real binary and validates what it prints — one object on
 * one line of stdout — with ajv. Errors with --json are validated against error.schema.json.
 * With BACKUP_JSON_EXAMPLES=DIR the outputs are also written there, one file per command,
 * which is where the examples in docs/json.md come from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { SMTPServer } from 'smtp-server';
import { registerCommands } from '../src/cli/commands/index.js';
import { BIN, runCli } from './helpers/run-cli.js';
import { startOffsite } from './helpers/offsite.js';
import { jsonSchemas, schemaFile, SCHEMA_DIR, validatorFor } from './helpers/json-schemas.js';

/** Commands that print no JSON object: with --json they refuse with a JSON error (checked below). */
const NO_JSON = new Set(['daemon']);

/** The leaf commands of the program, as the words one types ("inventory fetch"). */
function leafCommands(): string[] {
  const program = new Command('backup');
  registerCommands(program);
  const out: string[] = [];
  const walk = (c: Command, words: string[]) => {
    if (c.commands.length === 0) out.push(words.join(' '));
    for (const sub of c.commands) walk(sub, [...words, sub.name()]);
  };
  for (const c of program.commands) walk(c, [c.name()]);
  return out.sort();
}

test('every command that prints JSON has a schema, and every schema a command', () => {
  const commands = leafCommands().filter((c) => !NO_JSON.has(c));
  const missing = commands.filter((c) => !jsonSchemas().has(schemaFile(c)));
  assert.deepEqual(missing, [], `commands with --json but no schema in ${SCHEMA_DIR}: add one per command (and its section in docs/json.md)`);
  const known = new Set([...commands.map(schemaFile), 'error.schema.json', 'values.schema.json']);
  assert.deepEqual(readdirSync(SCHEMA_DIR).filter((f) => !known.has(f)), [], 'schemas for no command');
});

test('every example in docs/json.md is valid against its command\'s schema', () => {
  const doc = readFileSync(new URL('../docs/json.md', import.meta.url), 'utf8');
  const documented = new Set<string>();
  for (const section of doc.split(/^## /m).slice(1)) {
    const heading = section.slice(0, section.indexOf('\n'));
    const command = /^`backup ([a-z][a-z -]*?)(?= [A-Z[-]|`)/.exec(heading)?.[1] ?? (heading === 'Errors' ? 'error' : undefined);
    const examples = [...section.matchAll(/^```json\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
    if (!command || examples.length === 0) continue;
    for (const example of examples) validatorFor(command)(JSON.parse(example), `docs/json.md example for ${command}`);
    documented.add(command);
  }
  const undocumented = [...leafCommands().filter((c) => !NO_JSON.has(c)), 'error'].filter((c) => !documented.has(c));
  assert.deepEqual(undocumented, [], 'commands without an example in docs/json.md');
});

test('every command prints one JSON object its schema accepts, through the real binary', async (t) => {
  const smtp = new SMTPServer({ disabledCommands: ['STARTTLS', 'AUTH'], logger: false, onData: (s, _session, cb) => s.on('end', () => cb()).resume() });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  const o = await startOffsite({
    vault: { uploadCatalog: true },
    extra: { retention: { keepChains: 1, minChains: 1 }, email: { to: 'ops@example.org', from: 'backup@example.org', smtp: { host: '127.0.0.1', port: smtpPort, secure: false } } },
  });
  t.after(async () => {
    await o.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });
  const examples = process.env.BACKUP_JSON_EXAMPLES;
  if (examples) mkdirSync(examples, { recursive: true });
  const seen = new Set<string>();

  /** Runs `backup <words> <args> --json`, checks the exit code and the one-line object, and validates it. */
  const json = async (words: string, args: string[] = [], code = 0, tag = '') => {
    // the config through BACKUP_CONFIG, so arguments after "--" stay last
    const r = await runCli([...words.split(' '), '--json', ...args], { env: { ...o.env, BACKUP_CONFIG: o.config } });
    assert.equal(r.code, code, `${words}: ${r.stderr}`);
    assert.match(r.stdout, /^\{.*\}\n$/, `${words} prints one object on one line`);
    const value = JSON.parse(r.stdout) as Record<string, unknown>;
    validatorFor(words)(value, `backup ${words} ${args.join(' ')}`);
    seen.add(words);
    if (examples) writeFileSync(join(examples, `${words.replaceAll(' ', '-')}${tag}.json`), r.stdout);
    return value;
  };

  writeFileSync(join(o.data, 'notes.txt'), 'hello\n');
  mkdirSync(join(o.data, 'photos'));
  writeFileSync(join(o.data, 'photos', 'a.jpg'), Buffer.alloc(3000, 7));
  await json('vault create');
  await json('vault describe');
  await json('vault list');
  await json('key generate', ['--out', join(o.root, 'age.key')]);
  const dry = await json('run', ['--dry-run'], 0, '-dry-run');
  assert.deepEqual(dry.added, ['notes.txt', 'photos', 'photos/a.jpg']);
  await json('run');
  writeFileSync(join(o.data, 'notes.txt'), 'hello again\n');
  writeFileSync(join(o.data, 'new.txt'), 'new\n');
  const inc = await json('run', [], 0, '-incremental');
  assert.equal(inc.level, 1);
  const list = (await json('list')) as { archives: Array<{ archiveId: string; seq: number }> };
  const ls = (await json('ls')) as { entries: Array<{ path: string; mode: string; mtime: string }> };
  assert.ok(ls.entries.some((e) => e.path === 'notes.txt' && /^0[0-7]{3}$/.test(e.mode)));
  await json('status');
  await json('status', ['--check', '--max-age', '1h'], 0, '-check');
  await json('check');
  await json('check', ['--read-data', '--wait'], 0, '-read-data');
  const cost = (await json('cost')) as { monthlyStorage: { currency: string } };
  assert.equal(cost.monthlyStorage.currency, 'USD');
  await json('restore', ['--to', join(o.root, 'restored')]);
  await json('restore', ['--from-archives', join(o.stateDir, 'archives'), '--to', join(o.root, 'restored-from-files')], 0, '-from-archives');
  await json('inventory request');
  await json('inventory status');
  await json('inventory fetch', ['--wait']);
  await json('uploads list');
  await json('uploads abort', ['--older-than', '7d']);
  await json('upload');
  await json('schedule print');
  await json('email test');
  await json('archive get', ['--to', join(o.root, 'got.tar.gz'), '--wait', '--', list.archives[0].archiveId]);
  // the newest incremental has no dependents: deleting it alone is allowed
  await json('archive delete', ['--allow-early-delete', '--', list.archives.at(-1)!.archiveId]);
  // a second chain, so the first is what retention (keepChains 1) deletes
  await json('run', ['--full'], 0, '-full');
  await json('prune', ['--dry-run', '--allow-early-delete'], 0, '-dry-run');
  const pruned = (await json('prune', ['--allow-early-delete'])) as { deleted: number[] };
  assert.deepEqual(pruned.deleted, [1]);

  // moving the vault to a bucket on the same server
  const s3 = new S3Client({ endpoint: o.server.endpoint, region: 'us-east-1', credentials: o.server.credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'moved' }));
  s3.destroy();
  const config = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
  writeFileSync(o.config, JSON.stringify({ ...config, vault: undefined, migrate: { fromVault: config.vault }, s3: { bucket: 'moved', endpoint: o.server.endpoint } }));
  await json('migrate', ['--to-s3', '--dry-run'], 0, '-dry-run');
  const moved = (await json('migrate', ['--to-s3', '--wait'])) as { complete: boolean };
  assert.equal(moved.complete, true);
  writeFileSync(o.config, JSON.stringify({ ...config, vault: undefined, s3: { bucket: 'moved', endpoint: o.server.endpoint } }));
  // a bucket lists at once: no job
  assert.deepEqual(await json('inventory request', [], 0, '-s3'), { jobId: null });
  await json('catalog rebuild', ['--from-inventory', '--force', '--wait']);

  // the bundled server standalone: one object once it listens, then it runs until interrupted
  const serve = spawn(process.execPath, [BIN, 'glacier-local', 'serve', '--dir', join(o.root, 'standalone'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: serve.stdout }), 'line')) as [string];
  validatorFor('glacier-local serve')(JSON.parse(line), 'backup glacier-local serve');
  seen.add('glacier-local serve');
  if (examples) writeFileSync(join(examples, 'glacier-local-serve.json'), `${line}\n`);
  serve.kill('SIGTERM');
  assert.equal((await once(serve, 'close'))[0], 0);

  // errors: one object on stderr, nothing on stdout
  for (const args of [['daemon'], ['ls', '--seq', '99'], ['restore', '--to', join(o.root, 'x'), '--seq', 'x']]) {
    const r = await o.cli(...args, '--json');
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^\{.*\}\n$/);
    validatorFor('error')(JSON.parse(r.stderr), `backup ${args.join(' ')}`);
    if (examples && args[0] === 'ls') writeFileSync(join(examples, 'error.json'), r.stderr);
  }

  const notRun = leafCommands().filter((c) => !NO_JSON.has(c) && !seen.has(c));
  assert.deepEqual(notRun, [], 'commands this test does not run yet: add them above');
});
