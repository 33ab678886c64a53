/**
 * The worker side of WorkerRequests (worker-requests.ts): serves this thread's requests with
 * `answer`, one at a time, and posts each answer back in the order the requests came (with
 * the objects `transfer` names handed over, not copied). A request whose `answer` throws is
 * answered with the failure's message and code, and the thread goes on serving. Posts
 * 'ready' once it listens, which is when the thread's modules have loaded.
 */
import { parentPort, type Transferable } from 'node:worker_threads';

/** A failure as it crosses threads: its message and errno-style code. */
export interface ReportedFailure {
  message: string;
  code?: string;
}

/** What the thread posts for one request. */
export type Answer<A> = { answer: A } | { failure: ReportedFailure };

/** Answers each request this thread receives with `answer`. */
export function serveRequests<Q, A>(answer: (request: Q) => A, transfer?: (answer: A) => Transferable[]): void {
  const port = parentPort!;
  port.on('message', (request: Q) => {
    let a: A;
    try {
      a = answer(request);
    } catch (err) {
      const failure = { message: (err as Error)?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code };
      port.postMessage({ failure } satisfies Answer<A>);
      return;
    }
    port.postMessage({ answer: a } satisfies Answer<A>, transfer?.(a));
  });
  port.postMessage('ready');
}
