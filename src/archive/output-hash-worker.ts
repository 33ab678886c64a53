/**
 * The thread of an OutputHashThread (output-hash-thread.ts): hashes the members of one
 * output stream, in shared memory, and answers each request in the order received.
 * - `piece`: feeds a member, in stream order, to the stream's tree hash (its bytes from
 *   `treeFrom` on) and answers with the member's own SHA-256;
 * - `end`: answers with the tree hash's leaf digests.
 * It serves one stream and is then terminated.
 */
import { createHash } from 'node:crypto';
import { serveRequests } from '../threads/serve-requests.js';
import { TreeHasher } from '../treehash/tree-hash.js';

/** `length` bytes at `offset` of a shared buffer. */
export interface SharedSlice {
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

export type HashRequest = { op: 'piece'; piece: SharedSlice; treeFrom: number } | { op: 'end' };

export type HashReply = { sha256: string } | { leaves: Uint8Array[] };

const view = (s: SharedSlice) => new Uint8Array(s.buffer, s.offset, s.length);
const tree = new TreeHasher();

function serve(m: HashRequest): HashReply {
  switch (m.op) {
    case 'piece': {
      const piece = view(m.piece);
      tree.update(piece.subarray(m.treeFrom));
      return { sha256: createHash('sha256').update(piece).digest('hex') };
    }
    case 'end':
      return { leaves: tree.size > 0 ? tree.finalLeaves() : [] };
  }
}

serveRequests(serve);
