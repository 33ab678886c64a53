/** Test helper: a test body run in a fresh temp directory, which is removed afterwards whatever happens. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Wraps `f` as a test body that gets a new directory named after `prefix` under the system temp dir. */
export function withTmp<T>(prefix: string, f: (dir: string) => Promise<T>): () => Promise<T> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    try {
      return await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
