/**
 * `backup status | head -1`: once the reader closes the pipe, writes fail with EPIPE. The
 * command then ends quietly instead of printing a stack trace: further output is dropped and
 * the work itself (a backup, a restore) is never cut short because nobody reads its output.
 */
import type { Writable } from 'node:stream';

/** Makes `stream` drop writes after an EPIPE instead of throwing an unhandled 'error'. */
export function quietOnClosedPipe(stream: Writable): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = () => true;
  });
}
