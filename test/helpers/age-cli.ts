/**
 * Test helper: the `age` CLI (Debian package `age`: age, age-keygen) and ssh-keygen as
 * interoperability peers. A describe() block that needs them runs when they are present;
 * when missing it is skipped with the reason, or — with BACKUP_REQUIRE_PEERS=1 — replaced
 * by one failing test naming what is missing.
 */
import { spawnSync } from 'node:child_process';
import { describeNeedingPeers } from './peers.js';

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
  describeNeedingPeers(name, missing, 'install the Debian packages age and openssh-client', body);
}
