/**
 * One AbortSignal for the process, fired by SIGINT or SIGTERM so long work stops at a
 * resumable point. A second signal exits at once.
 */
let controller: AbortController | undefined;

/** The process-wide interrupt signal (installs the handlers on first use). */
export function interruptSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    const onSignal = (name: NodeJS.Signals) => {
      if (c.signal.aborted) process.exit(130);
      process.stderr.write(`backup: ${name} received; stopping at a resumable point (send it again to exit at once)\n`);
      c.abort(new Error(`received ${name}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return controller.signal;
}
