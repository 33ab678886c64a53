/** Test helpers: damage an archive file the way bit rot or a careful attacker would. */
import { readFileSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';

/** The compressed extents [start, end) of each gzip block of archive `seq`, from the catalog at `catalogPath`. */
export function blockExtents(catalogPath: string, seq: number): Array<{ start: number; end: number }> {
  const db = new Database(catalogPath, { readonly: true });
  try {
    const size = db.prepare('SELECT size FROM archives WHERE seq = ?').pluck().get(seq) as number;
    const offsets = db.prepare('SELECT gz_offset FROM archive_blocks WHERE seq = ? ORDER BY idx').pluck().all(seq) as number[];
    return offsets.map((start, i) => ({ start, end: offsets[i + 1] ?? size }));
  } finally {
    db.close();
  }
}

/**
 * Changes one byte of stored content inside `path` (the first occurrence of `needle`, which
 * must be incompressible data that deflate keeps literal), then, with `fixCrc`, rewrites the
 * gzip trailer of the block holding it so gzip and tar see a perfectly valid file. Returns
 * the offset changed.
 */
export function tamperStoredByte(path: string, needle: Buffer, blocks: Array<{ start: number; end: number }>, fixCrc: boolean): number {
  const file = readFileSync(path);
  const at = file.indexOf(needle);
  if (at < 0) throw new Error(`tamperStoredByte: content not found literally in ${path}`);
  file[at + 8] ^= 0x01;
  if (fixCrc) {
    const b = blocks.find((x) => x.start <= at && at < x.end)!;
    // Node's gzip header is 10 bytes (no name, no extra); the trailer is CRC32 and ISIZE
    const raw = inflateRawSync(file.subarray(b.start + 10, b.end - 8));
    file.writeUInt32LE(crc32(raw), b.end - 8);
  }
  writeFileSync(path, file);
  return at + 8;
}

function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
