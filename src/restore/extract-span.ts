/**
 * Extracts chosen members from one span of an archive: compressed bytes that start on a
 * gzip block boundary, read member by member from the first wanted tar offset until every
 * wanted member of the span is written.
 */
import type { Readable } from 'node:stream';
import { readMembersAt, type ArchiveMemberRead } from '../archive/read-archive.js';
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

/** Reads the span's wanted members from `compressed` and hands each to `write`; returns how many were written. */
export async function extractSpan(compressed: Readable, span: Span, write: WriteMember, signal: AbortSignal): Promise<number> {
  const byOffset = new Map(span.members.map((m) => [m.tarOffset, m]));
  let written = 0;
  for await (const m of readMembersAt(compressed, { rawStart: span.rawStart, offsets: [...byOffset.keys()], memberLengths: span.memberLengths, lastIsCut: span.lastIsCut })) {
    throwIfAborted(signal);
    await write(byOffset.get(m.tarOffset)!, m);
    written++;
  }
  return written;
}
