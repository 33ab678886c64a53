/**
 * Start-up cost of the real binary (issue 10): `backup run` loads only what a run needs.
 * Every module a command's module graph holds is compiled and kept in memory for the whole
 * run, so the storage clients, the bundled servers, the mailer and the other commands'
 * engines are imported where they are used. Checked in a child process whose module loads
 * are logged by a loader hook, never by timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { localWorld, type LocalWorld } from './helpers/local-world.js';
import { runCli } from './helpers/run-cli.js';

/** Runs `backup ...args` with a loader hook that logs every module URL the process loads; returns them, a bundled file replaced by its sources. */
async function modulesLoaded(w: LocalWorld, ...args: string[]): Promise<string[]> {
  const log = join(w.root, 'loaded.log');
  const hooks = join(w.root, 'hooks.mjs');
  const register = join(w.root, 'register.mjs');
  writeFileSync(log, '');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = await runCli([...args, '--config', w.config], { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(register).href}` } });
  assert.equal(r.code, 0, r.stderr);
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean).flatMap(sourcesOf);
  assert.ok(loaded.some((u) => u.includes('/backup/recorded-run.')), `the hook saw the run's own modules: ${loaded.length} loaded`);
  return loaded;
}

/** The sources a loaded file was built from (its source map's), or the file itself. */
function sourcesOf(url: string): string[] {
  const map = url.startsWith('file:') ? `${fileURLToPath(url)}.map` : '';
  if (!map || !existsSync(map)) return [url];
  const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
  return sources.map((s) => new URL(s, url).href);
}

const matching = (loaded: string[], pattern: RegExp) => loaded.filter((u) => pattern.test(u));

test('backup run with local copies only, not on a terminal, loads no storage client, no bundled server, no mailer, no cron parser, no progress bar', async (t) => {
  const w = localWorld();
  t.after(w.done);
  const loaded = await modulesLoaded(w, 'run');
  assert.deepEqual(matching(loaded, /\/@aws-sdk\/|\/@smithy\/|\/nodemailer\/|\/glacier-local\/|\/s3-local\/|\/node-cron\/|\/cli-progress\//), []);
});

test('backup run to a vault loads the Glacier client and not the S3 one; the mailer only to send', async (t) => {
  const w = localWorld({ vault: { name: 'v', region: 'us-east-1', endpoint: 'local' } });
  t.after(w.done);
  const loaded = await modulesLoaded(w, 'run');
  assert.ok(matching(loaded, /\/@aws-sdk\/client-glacier\//).length > 0, 'the Glacier client is loaded for the upload');
  assert.deepEqual(matching(loaded, /\/@aws-sdk\/client-s3\/|\/nodemailer\//), []);
});
