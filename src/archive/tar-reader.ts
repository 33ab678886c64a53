/**
 * Member-by-member reading of an uncompressed tar stream, with the tar offset of every
 * member. Header blocks are decoded by node-tar's `Header` (checksum, octal and base-256
 * numbers, pax overrides); the framing — GNU long names, bodies, padding, the end marker —
 * is done here, so that each member's offset is known and a long name is decoded from its
 * whole body at once (node-tar's Parser decodes it chunk by chunk, which garbles a
 * multi-byte character that straddles two chunks).
 */
import { Header, Pax, type HeaderData } from 'tar';
import { BackupError, throwIfAborted } from '../errors.js';
import type { MemberType } from '../scan/tree-entry.js';
import { ByteReader, TruncatedError } from './byte-reader.js';
import { decodeDumpdir, type DumpdirEntry } from './dumpdir-body.js';
import { BLOCK, decodeNumber, decodeSparseExtension, decodeSparseHeader, paddingFor, type SparseMap } from './gnu-header.js';
import { memberPath } from './member-name.js';
import { nameFromBytes } from '../scan/name-bytes.js';
import { decodeXattrRecords, type Xattr } from './xattrs.js';

/** One member as read from an archive. */
export interface ArchiveMemberRead {
  /** Relative path without "./" or trailing "/" ("" for the archive's root directory); not yet checked for safety. */
  path: string;
  type: MemberType;
  /** Permission bits. */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Whole seconds since the epoch. */
  mtime: number;
  /** File size in bytes (a sparse file's real size; its body holds only the stored extents); 0 for other types. */
  size: number;
  /** Symlink target; for a hard link, the relative path of the earlier member it names (not yet checked for safety). */
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  /** For a sparse file ('S'): where its stored bytes go and its real size. */
  sparse?: SparseMap;
  /** Extended attributes from a preceding pax header's SCHILY.xattr records. */
  xattrs?: Xattr[];
  /** For GNU dumpdir members: the names the directory holds. Absent for plain directories (nothing is purged). */
  listing?: DumpdirEntry[];
  /** Offset in the tar stream of the member's first header block (its LongLink header when it has one). */
  tarOffset: number;
  /**
   * The file's bytes (empty for other types). Iterate it at most once, before asking the
   * reader for the next member; whatever is left unread is skipped then. Each chunk is
   * valid only until the next is asked for (a restore's inflated blocks are used again).
   */
  body: AsyncIterable<Buffer>;
}

/** Something the reader skipped. */
export interface ReadWarning {
  path: string;
  message: string;
}

/** Reading options. */
export interface TarReadOptions {
  signal?: AbortSignal;
  /** Members of types this project does not restore (contiguous files, multi-volume parts, …) are skipped and reported here. */
  onWarning?: (w: ReadWarning) => void;
}

/** Reads members one by one from tar bytes starting at `offset` (a member boundary). Not safe for concurrent use. */
export class TarReader {
  private readonly bytes: ByteReader;
  private bodyLeft = 0;
  private padLeft = 0;
  /** Counts members, so a stale body iterator cannot read the next member's bytes. */
  private generation = 0;
  private ended = false;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly opts: TarReadOptions & { offset?: number } = {},
  ) {
    this.bytes = new ByteReader(source[Symbol.asyncIterator](), opts.offset ?? 0);
  }

  /** Position of the next unread byte (after the current member's body, once it is skipped). */
  get offset(): number {
    return this.bytes.offset + this.bodyLeft + this.padLeft;
  }

  /** Skips forward to `offset`, which must be a member boundary at or after the current position. */
  async skipTo(offset: number): Promise<void> {
    await this.finishBody();
    this.generation++;
    const gap = offset - this.bytes.offset;
    if (gap < 0) throw new BackupError('INTERNAL', `TarReader.skipTo(${offset}): already at ${this.bytes.offset}`);
    await this.guard(() => this.bytes.skip(gap));
  }

  /** The next member, or null after the end-of-archive marker. */
  async next(): Promise<ArchiveMemberRead | null> {
    await this.finishBody();
    this.generation++;
    if (this.ended) return null;
    return this.guard(() => this.readMember());
  }

  private async readMember(): Promise<ArchiveMemberRead | null> {
    let ex: HeaderData = {};
    // whether an extended header (L, K, x) came before this member's header
    let extended = false;
    let xattrs: Xattr[] = [];
    // bytes of extended headers before this member's header
    let extendedBytes = 0;
    const tarOffset = this.bytes.offset;
    for (;;) {
      throwIfAborted(this.opts.signal);
      const at = this.bytes.offset;
      const block = await this.bytes.readExact(BLOCK);
      if (block === null) throw corrupt(`archive ends at byte ${at} without the end-of-archive marker: it is truncated`);
      if (isZero(block)) {
        // two zero blocks end the archive; GNU tar also accepts a lone one at the very end
        const second = await this.bytes.readExact(BLOCK);
        if (second !== null && !isZero(second)) throw corrupt(`archive has a stray zero block at byte ${at}`);
        this.ended = true;
        return null;
      }
      const raw = decodeHeader(block);
      if (!raw.cksumValid) throw corrupt(`archive has a damaged header at byte ${at} (checksum mismatch)`);
      const typeflag = String.fromCharCode(block[156]);
      const size = raw.size ?? 0;
      // node-tar leaves a negative base-256 size undefined
      if (size < 0 || (raw.size === undefined && decodeNumber(block, 124, 12) < 0n)) throw corrupt(`archive has a header with a negative size at byte ${at}`);
      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (size > 1024 * 1024) throw corrupt(`archive has an implausible ${size}-byte extended header at byte ${at}`);
        // a long name, a long link and a pax header at most; a run of them is a crafted archive's way to exhaust memory
        extendedBytes += size;
        if (extendedBytes > MAX_EXTENDED) throw corrupt(`archive has an implausible ${extendedBytes} bytes of extended headers before one member, at byte ${at}`);
        // decoded before reading on: the bytes are valid only until then (see ByteReader)
        const body = (await this.bytes.readExact(size)) ?? Buffer.alloc(0);
        if (typeflag === 'L') ex = { ...ex, path: cString(body) };
        else if (typeflag === 'K') ex = { ...ex, linkpath: cString(body) };
        else if (typeflag === 'x') {
          ex = Pax.parse(body.toString('utf8'), ex, false);
          xattrs = xattrs.concat(decodeXattrRecords(body));
          // Linux lists at most 64 KiB of attribute names (each NUL-terminated) on one file
          if (xattrs.reduce((n, x) => n + Buffer.byteLength(x.name) + 1, 0) > 65_536) throw corrupt(`archive has more extended attributes for one member than a file can hold, at byte ${at}`);
        }
        // 'g' (global pax) sets defaults this project never writes: skipped
        if (typeflag !== 'g') extended = true;
        await this.bytes.skip(paddingFor(size));
        continue;
      }
      // decoded again with the extended values only when there are any
      const h = extended ? decodeHeader(block, ex) : raw;
      // Header.decode re-reads the link field after applying `ex`; the long values win.
      // Names are taken from the raw bytes, so one that is not valid UTF-8 keeps its bytes.
      h.path = ex.path ?? rawName(block);
      h.linkpath = ex.linkpath ?? cString(block.subarray(157, 257));
      const m = this.member(h, block, typeflag, tarOffset, ex);
      if (m && xattrs.length > 0) m.xattrs = xattrs;
      if (typeflag === 'S') {
        const first = decodeSparseHeader(block);
        let extended = first.extended;
        while (extended) {
          const ext = await this.bytes.readExact(BLOCK);
          if (ext === null) throw corrupt(`archive ends inside a sparse map at byte ${this.bytes.offset}: it is truncated`);
          const more = decodeSparseExtension(ext);
          first.map.extents.push(...more.extents);
          extended = more.extended;
        }
        checkSparseMap(first.map, h.size ?? 0, at);
        if (m) m.sparse = first.map;
      }
      const bodySize = h.size ?? 0;
      if (bodySize < 0) throw corrupt(`archive has a member with a negative size at byte ${at}`);
      if (typeflag === 'D') {
        if (bodySize > MAX_LISTING) throw corrupt(`archive has an implausible ${bodySize}-byte directory listing at byte ${at}`);
        const body = (await this.bytes.readExact(bodySize)) ?? Buffer.alloc(0);
        const listing = decodeDumpdir(body);
        await this.bytes.skip(paddingFor(bodySize));
        if (!m) continue;
        m.listing = listing;
        return m;
      }
      this.bodyLeft = bodySize;
      this.padLeft = paddingFor(bodySize);
      if (!m) {
        await this.finishBody();
        continue;
      }
      if (m.type === 'file') {
        m.size = m.sparse ? m.sparse.realSize : bodySize;
        m.body = this.body(this.generation);
      }
      return m;
    }
  }

  private member(h: Header, block: Buffer, typeflag: string, tarOffset: number, ex: HeaderData): ArchiveMemberRead | null {
    const name = h.path ?? '';
    const type = MEMBER_TYPES[typeflag];
    if (!type) {
      this.opts.onWarning?.({ path: memberPath(name), message: `skipped: tar member type "${typeflag}" (${h.type}) is not restored` });
      return null;
    }
    const m: ArchiveMemberRead = {
      path: memberPath(name),
      type,
      mode: (h.mode ?? 0) & 0o7777,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      // read here rather than through a Date: any second the field holds (base-256 beyond year 2242)
      mtime: ex.mtime ? Math.floor(ex.mtime.getTime() / 1000) : Number(decodeNumber(block, 136, 12)),
      size: 0,
      tarOffset,
      body: empty(),
    };
    if (h.uname) m.uname = h.uname;
    if (h.gname) m.gname = h.gname;
    if (type === 'symlink') m.linkTarget = h.linkpath ?? '';
    else if (type === 'hardlink') m.linkTarget = memberPath(h.linkpath ?? '');
    else if (type === 'chardev' || type === 'blockdev') {
      m.devMajor = Number(decodeNumber(block, 329, 8));
      m.devMinor = Number(decodeNumber(block, 337, 8));
    }
    return m;
  }

  private async *body(generation: number): AsyncGenerator<Buffer> {
    while (this.bodyLeft > 0) {
      if (generation !== this.generation) throw new BackupError('INTERNAL', 'a member body was read after moving to the next member');
      throwIfAborted(this.opts.signal);
      const chunk = await this.guard(() => this.bytes.readSome(this.bodyLeft));
      if (chunk === null) throw corrupt(`archive ends inside a file's data at byte ${this.bytes.offset}: it is truncated`);
      this.bodyLeft -= chunk.length;
      yield chunk;
    }
  }

  private async finishBody(): Promise<void> {
    if (this.bodyLeft === 0 && this.padLeft === 0) return;
    const n = this.bodyLeft + this.padLeft;
    this.bodyLeft = 0;
    this.padLeft = 0;
    await this.guard(() => this.bytes.skip(n));
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof TruncatedError) throw corrupt(`archive is truncated at byte ${err.offset}`, err);
      throw err;
    }
  }
}

/** Member types by typeflag ('7', contiguous, reads as a plain file, as GNU tar does). */
const MEMBER_TYPES: Record<string, MemberType | undefined> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  S: 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'dir',
  D: 'dir',
  '6': 'fifo',
};

/** Extended headers (long names, pax headers) read before one member: four times the largest single one. */
const MAX_EXTENDED = 4 * 1024 * 1024;

/** The largest directory listing read (about ten million names): a larger size is a damaged header, not a directory. */
const MAX_LISTING = 256 * 1024 * 1024;

/**
 * Throws ARCHIVE_CORRUPT unless a sparse map places exactly the member's `stored` bytes in
 * order inside the file: extents ascending, not overlapping, within the real size (which a
 * file can have). A map that failed these would leave stored data out of the file, or write
 * it where it does not belong, and still read as a success.
 */
function checkSparseMap(map: SparseMap, stored: number, at: number): void {
  let end = 0;
  let sum = 0;
  for (const e of map.extents) {
    if (!(e.offset >= end && e.size >= 0 && e.offset + e.size <= map.realSize)) {
      throw corrupt(`archive has a sparse member at byte ${at} whose map places data at ${e.offset} (${e.size} bytes) out of order or beyond its ${map.realSize}-byte size`);
    }
    end = e.offset + e.size;
    sum += e.size;
  }
  if (!Number.isSafeInteger(map.realSize) || map.realSize < 0 || sum !== stored) {
    throw corrupt(`archive has a sparse member at byte ${at} whose map places ${sum} bytes of a ${map.realSize}-byte file but stores ${stored}`);
  }
}

function corrupt(what: string, cause?: unknown): BackupError {
  return new BackupError('ARCHIVE_CORRUPT', `${what}; use another copy of it`, { cause });
}

function decodeHeader(block: Buffer, ex?: HeaderData): Header {
  try {
    return new Header(block, 0, ex);
  } catch (err) {
    throw corrupt(`archive has an undecodable header (${(err as Error).message})`, err);
  }
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** A NUL-terminated (or full-width) name field as a name string (see name-bytes.ts). */
function cString(body: Buffer): string {
  const nul = body.indexOf(0);
  return nameFromBytes(body.subarray(0, nul < 0 ? body.length : nul));
}

/** The member name of a header block: a POSIX ustar prefix joined to the name field. */
function rawName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  if (block.toString('latin1', 257, 263) !== 'ustar\0') return name;
  const prefix = cString(block.subarray(345, 500));
  return prefix ? `${prefix}/${name}` : name;
}

async function* empty(): AsyncGenerator<Buffer> {}
