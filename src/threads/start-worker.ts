/**
 * Starts a worker thread on a module beside the caller's. The same code runs compiled
 * (dist/…/*.js) and from its sources under tsx in the tests (src/…/*.ts), so the worker's
 * module is named without an extension and takes the caller's. A Node 20 worker does not
 * run its parent's `--import tsx`, so a TypeScript worker module is loaded through tsx's
 * loader, registered in the worker first.
 */
import { Worker } from 'node:worker_threads';

/** A Worker running `./name` next to the module at `callerUrl` (pass `import.meta.url`), given `workerData`. */
export function startWorker(callerUrl: string, name: string, workerData?: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const url = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
