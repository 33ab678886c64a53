/** Test helper: something in a data directory that every run warns about (exit 3), as root too. */
import { execFileSync } from 'node:child_process';

/**
 * Nests directories under `dir/deep` until the absolute path exceeds PATH_MAX (4096 bytes),
 * so the scan cannot examine the innermost entry (ENAMETOOLONG) and warns on every run;
 * permissions would not do, since root reads anything. Remove the tree with `rm -rf`:
 * Node's rmSync cannot.
 */
export function makeUnexaminable(dir: string): void {
  const name = 'n'.repeat(250);
  execFileSync('sh', ['-c', `cd -P "$1" && mkdir deep && cd -P deep && for i in $(seq 18); do mkdir ${name} && cd -P ${name}; done && : > file`, 'sh', dir]);
}
