import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sendStream } from './http-bodies.js';

test('a response whose client is gone before the next write ends its handler instead of waiting forever (the server could never close)', async () => {
  let handled: Promise<number> | undefined;
  const server = createServer((req, res) => {
    handled = (async () => {
      // the client hangs up while the handler is busy (reading its file, say); then the handler writes
      await once(req.socket, 'close');
      let sent = 0;
      const body = Readable.from([Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2)]);
      await sendStream(req, res, 200, {}, body, 128 * 1024, false, (n) => (sent += n));
      return sent;
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const c = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' });
  c.on('error', () => undefined);
  c.end();
  while (handled === undefined) await nextTurn();
  c.destroy();
  // before the fix this never settled: the write after 'close' returned false and the wait for 'drain' or 'close' had no end
  assert.ok((await handled) <= 128 * 1024);
  server.close();
  await once(server, 'close');
});
