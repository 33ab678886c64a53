/**
 * Test helper: the `age` CLI (Debian package `age`: age, age-keygen) and ssh-keygen as
 * interoperability peers. A describe() block that needs them runs when they are present;
 * when missing it is skipped with the reason, or — with BACKUP_REQUIRE_PEERS=1 — replaced
 * by one failing test naming what is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

const tools = ['age', 'age-keygen', 'ssh-keygen'] as const;

/** Runs a tool synchronously with stdin; throws with its stderr when it fails. */
export function runTool(cmd: string, args: string[], input?: Buffer | string): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

/** describe() for tests that need the age CLI. */
export function describeWithAge(name: string, body: () => void): void {
  const missing = tools.filter((t) => spawnSync(t, t === 'ssh-keygen' ? ['-?'] : ['--version'], { stdio: 'ignore' }).error !== undefined);
  const required = !['', '0', undefined].includes(process.env.BACKUP_REQUIRE_PEERS);
  if (missing.length === 0) describe(name, body);
  else if (required) {
    describe(name, () => {
      test('the age CLI is installed', () => assert.fail(`BACKUP_REQUIRE_PEERS is set but ${missing.join(', ')} is missing; install the Debian packages age and openssh-client`));
    });
  } else describe(name, { skip: `not run: ${missing.join(', ')} not installed (set BACKUP_REQUIRE_PEERS=1 to make this a failure)` }, body);
}
