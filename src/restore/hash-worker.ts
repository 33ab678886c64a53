/**
 * The thread of BlockHasher (block-hasher.ts): for each request it is sent (a descriptor the
 * calling thread holds open, and block extents with their recorded SHA-256) it reads the
 * blocks in order through that descriptor and answers with the index of the first that does
 * not match (or that the file ends inside), or null; a failing read fails the request.
 */
import { readSync } from 'node:fs';
import { serveRequests } from '../threads/serve-requests.js';
import { blockMatches } from './block-check.js';
import type { HashRequest } from './block-hasher.js';

let buf = Buffer.allocUnsafe(0);

function firstDamaged({ fd, checks }: HashRequest): number | null {
  for (const c of checks) {
    const length = c.end - c.start;
    if (buf.length < length) buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, c.start + got);
      if (n === 0) break;
      got += n;
    }
    if (!blockMatches(buf.subarray(0, got), c)) return c.index;
  }
  return null;
}

serveRequests(firstDamaged);
