/**
 * Finds where a sparse candidate holds data, the way GNU tar --sparse does without
 * SEEK_HOLE (which Node does not offer): the file is read through and every 512-byte block
 * of zeros counts as a hole. A file that ends in a hole gets a last, empty extent at its
 * size, as GNU tar writes it, so an extractor that only writes extents still ends the file
 * at the right length.
 */
import { throwIfAborted } from '../errors.js';
import { BLOCK, type SparseMap } from './gnu-header.js';

/** Reads up to `length` bytes at `position` into the start of `buf`; 0 at the end. */
export type ReadAt = (buf: Buffer, length: number, position: number) => Promise<number>;

const ZERO_BLOCK = Buffer.alloc(BLOCK);

/**
 * The data extents of a file of `size` bytes, or null when it has no hole (store it as a
 * plain file). `buf` is scratch space, a multiple of 512 bytes. Bytes past a premature end
 * count as zeros (the writer's change check reports a file that shrank).
 */
export async function findDataExtents(read: ReadAt, buf: Buffer, size: number, signal?: AbortSignal): Promise<SparseMap | null> {
  const extents: SparseMap['extents'] = [];
  let start = -1;
  let pos = 0;
  const close = (end: number) => {
    if (start >= 0) extents.push({ offset: start, size: end - start });
    start = -1;
  };
  const zeros = Buffer.alloc(buf.length);
  while (pos < size) {
    throwIfAborted(signal);
    const n = await read(buf, Math.min(buf.length, size - pos), pos);
    if (n === 0) break;
    if (buf.subarray(0, n).equals(zeros.subarray(0, n))) {
      close(pos);
      pos += n;
      continue;
    }
    for (let i = 0; i < n; i += BLOCK) {
      const len = Math.min(BLOCK, n - i);
      const zero = buf.subarray(i, i + len).equals(ZERO_BLOCK.subarray(0, len));
      if (zero) close(pos + i);
      else if (start < 0) start = pos + i;
    }
    pos += n;
  }
  close(pos);
  const data = extents.reduce((t, e) => t + e.size, 0);
  if (data === size) return null;
  const last = extents[extents.length - 1];
  if (!last || last.offset + last.size < size) extents.push({ offset: size, size: 0 });
  return { realSize: size, extents };
}
