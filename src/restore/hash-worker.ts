/**
 * The thread of BlockHasher (block-hasher.ts): for each request it is sent (a descriptor the
 * calling thread holds open, and block extents with their recorded SHA-256) it reads the
 * blocks in order through that descriptor and posts back the index of the first that does
 * not match (or that the file ends inside), or null; a failing read is posted as the
 * request's error. One reply per request, in the order received.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest } from './block-hasher.js';

let buf = Buffer.allocUnsafe(0);

function firstDamaged({ fd, checks }: HashRequest): number | null {
  for (const c of checks) {
    const length = c.end - c.start;
    if (buf.length < length) buf = Buffer.allocUnsafe(length);
    const block = buf.subarray(0, length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, block, got, length - got, c.start + got);
      if (n === 0) return c.index;
      got += n;
    }
    if (createHash('sha256').update(block).digest('hex') !== c.sha256) return c.index;
  }
  return null;
}

parentPort!.on('message', (req: HashRequest) => {
  let reply: HashReply;
  try {
    reply = { id: req.id, damaged: firstDamaged(req) };
  } catch (err) {
    reply = { id: req.id, error: { message: (err as Error)?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code } };
  }
  parentPort!.postMessage(reply);
});
