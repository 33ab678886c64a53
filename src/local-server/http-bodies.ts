/**
 * HTTP body plumbing shared by the protocols of the local server: the marker error of
 * a connection cut on purpose by fault injection, draining an unread request body,
 * and streaming a response body with backpressure (optionally cut halfway).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** Thrown when a 'reset' fault cut the connection mid-body. */
export class ConnectionResetByFault extends Error {
  override readonly name = 'ConnectionResetByFault';
}

/** Reads and discards the rest of a request body (so an early error can be answered on a reusable connection). */
export async function drainBody(req: IncomingMessage, onBytes?: (n: number) => void): Promise<void> {
  for await (const chunk of req) onBytes?.((chunk as Buffer).length);
}

/** Writes a streamed body with backpressure; with `resetHalfway`, destroys the connection after half of it. */
export async function sendStream(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  stream: Readable,
  length: number,
  resetHalfway: boolean,
  onSent: (n: number) => void,
): Promise<void> {
  res.writeHead(status, { ...headers, 'Content-Length': String(length) });
  const limit = resetHalfway ? Math.floor(length / 2) : Number.POSITIVE_INFINITY;
  let sent = 0;
  try {
    if (resetHalfway && limit === 0) {
      res.flushHeaders();
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      req.socket.destroy();
      return;
    }
    for await (const chunk of stream) {
      let data = chunk as Buffer;
      if (sent + data.length >= limit) {
        data = data.subarray(0, limit - sent);
        await new Promise<void>((resolve) => res.write(data, () => resolve()));
        onSent(data.length);
        req.socket.destroy();
        return;
      }
      sent += data.length;
      onSent(data.length);
      if (!res.write(data)) await drained(res);
      if (res.destroyed) return;
    }
    res.end();
  } finally {
    stream.destroy();
  }
}

/**
 * Resolves on 'drain', or when the response closes (client gone), or at once when it has
 * closed already: a client that vanished between two writes makes the second return false
 * after 'close' was emitted, and waiting for either event then would never end (the
 * handler stayed in flight and the server's close() waited for it forever).
 */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
