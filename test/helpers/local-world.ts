/** Test helper: a data directory, a state directory and a config file in a fresh temp dir (local copies only unless `extra` adds a vault). */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './run-cli.js';

/** The temp world and a `cli` that runs the real binary with its config. */
export interface LocalWorld {
  root: string;
  data: string;
  stateDir: string;
  config: string;
  cli: (...args: string[]) => Promise<CliResult>;
  done: () => void;
}

/** Makes the world; `files` maps relative paths to contents. */
export function localWorld(extra: Record<string, unknown> = {}, files: Record<string, string> = { 'a.txt': 'hello\n' }): LocalWorld {
  const root = mkdtempSync(join(tmpdir(), 'backup-world-'));
  const data = join(root, 'data');
  mkdirSync(data);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(data, p, '..'), { recursive: true });
    writeFileSync(join(data, p), content);
  }
  const stateDir = join(root, 'state');
  const config = join(root, 'backup.json');
  writeFileSync(config, JSON.stringify({ data, set: 'nightly', stateDir, ...extra }));
  return {
    root,
    data,
    stateDir,
    config,
    cli: (...args) => runCli([...args, '--config', config]),
    done: () => rmSync(root, { recursive: true, force: true }),
  };
}
