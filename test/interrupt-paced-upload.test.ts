/**
 * Regression test for issue 9 §5: SIGTERM during an upload capped by `maxBytesPerSecond`
 * crashed on an unhandled 'error' from the paced body (exit 1); it exits 130 like the uncapped
 * path, and the next run resumes and finishes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './helpers/run-cli.js';
import { startOffsite } from './helpers/offsite.js';

test('SIGTERM during a paced upload exits 130 and the next run finishes', async (t) => {
  const o = await startOffsite({ vault: { maxBytesPerSecond: 256 * 1024, uploadCatalog: false, concurrency: 2 } });
  t.after(() => o.close());
  writeFileSync(join(o.data, 'big.bin'), randomBytes(3 * 1024 * 1024));
  assert.equal((await o.cli('vault', 'create')).code, 0);
  const child = spawn(process.execPath, [BIN, 'run', '--config', o.config], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  // wait until parts are being sent (the progress lines show bytes sent), then interrupt
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/sent|upload:/.test(out)) resolve();
    });
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 130, err);
  assert.ok(!/Unhandled|at .*\.js:\d+/.test(err), `no stack trace: ${err}`);
  const again = await o.cli('run');
  assert.equal(again.code, 0, again.stderr);
});
