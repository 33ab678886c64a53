/**
 * Extracts chosen members from one span of an archive: compressed bytes that start on a
 * gzip block boundary, decompressed and skipped forward to the first wanted member's tar
 * header, then parsed member by member until every wanted member of the span is written.
 */
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { BackupError, throwIfAborted } from '../errors.js';
import type { TreeNode } from './tree-at.js';

/** A contiguous run of gzip blocks and the members wanted from it. */
export interface Span {
  gzStart: number;
  gzEnd: number;
  /** Uncompressed offset at gzStart. */
  rawStart: number;
  /** Wanted members, sorted by tarOffset. */
  members: TreeNode[];
}

/** Writes one member's body where it belongs. */
export type WriteMember = (node: TreeNode, body: AsyncIterable<Uint8Array>) => Promise<void>;

/** Streams the span through gunzip and the tar parser, calling `write` for each wanted member. */
export async function extractSpan(compressed: Readable, span: Span, write: WriteMember, signal: AbortSignal): Promise<number> {
  const wanted = new Map(span.members.map((m) => [m.path, m]));
  let skip = span.members[0].tarOffset - span.rawStart;
  let pendingWrites: Promise<void>[] = [];
  let failure: unknown;
  let written = 0;
  const parser = new Parser({
    strict: false,
    onReadEntry: (entry: ReadEntry) => {
      const path = normalize(entry.path);
      const node = wanted.get(path);
      if (!node || (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile')) {
        entry.resume();
        return;
      }
      wanted.delete(path);
      pendingWrites.push(
        write(node, entry).then(
          () => void written++,
          (err) => {
            failure ??= err;
            entry.resume();
          },
        ),
      );
    },
  });
  parser.on('warn', () => undefined);
  const gunzip = createGunzip();
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      let data = chunk;
      if (skip > 0) {
        if (data.length <= skip) {
          skip -= data.length;
          continue;
        }
        data = data.subarray(skip);
        skip = 0;
      }
      if (!parser.write(data)) await once(parser, 'drain');
      if (pendingWrites.length > 8) {
        await Promise.all(pendingWrites);
        pendingWrites = [];
      }
      if (failure) throw failure;
      if (wanted.size === 0) break;
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('ARCHIVE_CORRUPT', `archive data is damaged: ${(err as Error).message}`, { cause: err });
  } finally {
    compressed.unpipe(gunzip);
    compressed.destroy();
    gunzip.destroy();
  }
  await Promise.all(pendingWrites);
  if (failure) throw failure;
  if (wanted.size > 0) {
    throw new BackupError('ARCHIVE_CORRUPT', `archive does not hold ${[...wanted.keys()].slice(0, 3).join(', ')} where the catalog says; the archive or catalog is damaged`);
  }
  return written;
}

function normalize(p: string): string {
  return p.replace(/^\.\/?/, '').replace(/\/$/, '');
}
