/**
 * A command that stops before it settles must not pass for a success. Node exits with 0 once
 * nothing is left to wait for, even while a promise the command awaits is still pending: a
 * bug (something it waits for can no longer happen) would then end a restore half-way with
 * exit 0 and no message. A command still unsettled when the process exits with 0 is reported
 * as an internal error instead, and the exit code is 1.
 */

/** Runs `command`; if the process exits (with 0) before it settles, calls `report` and exits with what it returns. */
export async function exitUnsettled(command: Promise<void>, report: () => number): Promise<void> {
  const unsettled = (code: number) => {
    if (code === 0) process.exitCode = report();
  };
  process.once('exit', unsettled);
  try {
    await command;
  } finally {
    process.off('exit', unsettled);
  }
}
