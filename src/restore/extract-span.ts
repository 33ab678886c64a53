/**
 * Extracts chosen members from one span of an archive: compressed bytes that start on a
 * gzip block boundary, read member by member from the first wanted tar offset until every
 * wanted member of the span is written.
 */
import type { Readable } from 'node:stream';
import { readMembersAt, type ArchiveMemberRead } from '../archive/read-archive.js';
import type { GzipInflater } from '../archive/gzip-inflater.js';
import { throwIfAborted } from '../errors.js';
import type { TreeNode } from './tree-at.js';

/** A contiguous run of gzip blocks and the members wanted from it. */
export interface Span {
  gzStart: number;
  gzEnd: number;
  /** Uncompressed offset at gzStart. */
  rawStart: number;
  /** Wanted members, sorted by tarOffset. */
  members: TreeNode[];
  /** Compressed lengths of the span's gzip blocks but the last (which ends at gzEnd): they inflate in parallel. */
  memberLengths: number[];
  /** gzEnd lies inside the last block, far enough to read the wanted members (an encrypted archive's ranged read). */
  lastIsCut?: boolean;
}

/** Writes one member's body (with a sparse file's map and any extended attributes) where the node says. */
export type WriteMember = (node: TreeNode, member: Pick<ArchiveMemberRead, 'body' | 'sparse' | 'xattrs'>) => Promise<void>;

/** A span whose reading has begun (see startSpan). */
export interface StartedSpan {
  /** Hands each wanted member to `write`, in offset order; returns how many were written. */
  writeAll(write: WriteMember, signal: AbortSignal): Promise<number>;
  /** Stops reading and destroys the input; call it once done with the span, whether or not writeAll succeeded. */
  close(): Promise<void>;
}

/**
 * Starts reading the span's wanted members from `compressed` at once: its first gzip blocks
 * inflate on the thread pool while the caller is still writing the span before it, so the
 * pool has no gap between spans (at most one more span's blocks in flight). Chunks of
 * `compressed` the inflater is done with go to `release` (see ArchiveSource.release); the
 * blocks inflate with `inflater`'s lanes and buffers, shared by a restore's spans.
 */
export function startSpan(compressed: Readable, span: Span, opts: { release?: (chunk: Buffer) => void; inflater?: GzipInflater } = {}): StartedSpan {
  const byOffset = new Map(span.members.map((m) => [m.tarOffset, m]));
  const members = readMembersAt(compressed, { rawStart: span.rawStart, offsets: [...byOffset.keys()], memberLengths: span.memberLengths, lastIsCut: span.lastIsCut, release: opts.release, inflater: opts.inflater });
  const first = members.next();
  // awaited by writeAll; this keeps a failure from counting as unhandled if the span is closed first
  first.catch(() => undefined);
  return {
    async writeAll(write, signal) {
      let written = 0;
      for (let r = await first; !r.done; r = await members.next()) {
        throwIfAborted(signal);
        await write(byOffset.get(r.value.tarOffset)!, r.value);
        written++;
      }
      return written;
    },
    async close() {
      await members.return(undefined);
    },
  };
}
