/**
 * Starts a worker thread on a module beside the caller's. The same code runs bundled
 * (dist/*.js, entries and chunks side by side: scripts/build.ts makes each worker module an
 * entry) and from its sources under tsx in the tests (src/…/*.ts), so the worker's module is
 * named without an extension and takes the caller's. A Node 20 worker does not
 * run its parent's `--import tsx`, so a TypeScript worker module is loaded through tsx's
 * loader, registered in the worker first.
 *
 * A worker's young generation is capped at YOUNG_MIB: the workers make small, short-lived
 * garbage, and V8's default let the walk worker's heap add 25–30 MiB to a run's peak (the
 * incremental of 1,000,000 files: 195–202 MiB → 169–176 MiB with 4 MiB, at the same CPU).
 */
import { Worker } from 'node:worker_threads';

/** MiB of young generation per worker thread. */
const YOUNG_MIB = 4;

/** A Worker running `./name` next to the module at `callerUrl` (pass `import.meta.url`), given `workerData`. */
export function startWorker(callerUrl: string, name: string, workerData?: unknown): Worker {
  const options = { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB } };
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const url = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
