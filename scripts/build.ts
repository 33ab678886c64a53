/**
 * `npm run build`: bundles src/ into dist/ with esbuild after tsc has type-checked it.
 *
 * Start-up (issue 10): Node's ESM loader resolves, reads and links every module on its own,
 * and the ~280 modules a run loaded took ~450 ms of its first 650 ms. Bundled, a run loads a
 * handful of files. Code splitting keeps lazy loading: each dynamic import() becomes its own
 * file, loaded only when reached, and code shared by two of them goes into a chunk.
 *
 * dist/ is flat (entries and chunks side by side): startWorker finds a worker's module next
 * to the module that starts it (`./walk-worker.js`), whichever file esbuild put that code in.
 *
 * Packages stay in node_modules unless listed in BUNDLED: better-sqlite3 is native, the
 * CommonJS ones (commander, picomatch, cli-progress, nodemailer) would need a require() that
 * esbuild's ESM output lacks, and the AWS SDK and the mailer load only when used.
 */
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/** ES-module packages bundled: zod alone is 95 modules the config loads at every start. */
const BUNDLED = new Set(['zod', 'p-limit', 'tar']);

/** The modules Node starts: the CLI and the worker threads' modules (src/threads/start-worker.ts). */
const ENTRIES = [
  'src/cli/main.ts',
  'src/scan/walk-worker.ts',
  'src/archive/read-worker.ts',
  'src/archive/output-hash-worker.ts',
  'src/restore/hash-worker.ts',
];

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ENTRIES,
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external,
  // stack traces map back to src/ under --debug (bin/backup); the sources are not copied in
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
