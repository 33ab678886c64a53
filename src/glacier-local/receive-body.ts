/**
 * Receives an upload's body into a file while hashing it (SHA-256 and tree hash), so
 * no archive or part is ever held in memory. The caller owns the file afterwards; on
 * failure the file is removed.
 */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { TreeHasher } from '../treehash/tree-hash.js';
import { invalidParameter } from './glacier-error.js';
import { ConnectionResetByFault } from '../local-server/http-bodies.js';

/** What was received. */
export interface ReceivedBody {
  size: number;
  sha256: string;
  treeHash: string;
  /** The 1 MiB leaf digests of the tree hash. */
  leaves: Buffer[];
}

/** Limits and hooks of receiveBody. */
export interface ReceiveOptions {
  /** More bytes than this fail with InvalidParameterValueException. */
  maxBytes: number;
  /** Destroy the connection once this many bytes arrived (fault injection). */
  resetAfterBytes?: number;
  /** Called with the size of every received chunk (statistics). */
  onBytes?: (n: number) => void;
}

/** Streams `req`'s body into `path` (created), hashing as it goes. */
export async function receiveBody(req: IncomingMessage, path: string, opts: ReceiveOptions): Promise<ReceivedBody> {
  const fh = await open(path, 'wx');
  const sha = createHash('sha256');
  const tree = new TreeHasher();
  let size = 0;
  try {
    for await (const chunk of req) {
      const data = chunk as Buffer;
      opts.onBytes?.(data.length);
      size += data.length;
      if (size > opts.maxBytes) continue; // keep reading so the error can be answered
      if (opts.resetAfterBytes !== undefined && size >= opts.resetAfterBytes) {
        req.socket.destroy();
        throw new ConnectionResetByFault('connection reset by fault injection');
      }
      sha.update(data);
      tree.update(data);
      await fh.write(data);
    }
    await fh.close();
    if (size > opts.maxBytes) throw invalidParameter(`The request body is larger than allowed (${opts.maxBytes} bytes)`);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  const treeHash = tree.digest();
  return { size, sha256: sha.digest('hex'), treeHash, leaves: [...tree.leafDigests] };
}

/** Reads a small body fully (JSON parameters); fails with InvalidParameterValueException beyond `maxBytes`. */
export async function readSmallBody(req: IncomingMessage, maxBytes: number, onBytes?: (n: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const data = chunk as Buffer;
    onBytes?.(data.length);
    size += data.length;
    if (size <= maxBytes) chunks.push(data); // beyond the limit, keep reading so the error can be answered
  }
  if (size > maxBytes) throw invalidParameter(`The request body is larger than this operation allows (${maxBytes} bytes)`);
  return Buffer.concat(chunks);
}
