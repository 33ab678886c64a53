/**
 * Writes an ArchivePlan as a GNU incremental tar, block-gzipped, to a file: a dumpdir
 * member for every planned directory (in plan order), then each planned file and symlink,
 * then two zero blocks. Member names are relative to the data directory as
 * `tar -C data -cG .` writes them ("./", "./dir/", "./dir/file"), so extracting the chain
 * with `tar -G -xzf` inside an empty directory reproduces the data directory.
 *
 * A file is streamed in chunks (never whole in memory) from one open descriptor; its header
 * carries the size and times that descriptor had when opened. A file that cannot be opened
 * gets no member. One that changes while read (size, mtime or ctime differ afterwards),
 * shrinks, or fails mid-read still gets a well-formed member (zero-padded to the header's
 * size, or cut at it) but is reported and listed in `skipped`, so the caller keeps it out of
 * the next snapshot and the next run stores it again.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError, fromSystemError, throwIfAborted } from '../errors.js';
import type { ArchivedMember } from './archived-member.js';
import type { ArchivePlan } from '../scan/archive-plan.js';
import type { GzipBlock } from './gzip-block.js';
import { isSpecialType, type TreeEntry } from '../scan/tree-entry.js';
import { BlockGzipWriter } from './block-gzip-writer.js';
import { AgeFileWriter } from '../age/age-file-writer.js';
import type { AgeRecipient } from '../age/age-keys.js';
import { encodeDumpdir } from './dumpdir-body.js';
import { BLOCK, encodeGnuHeader, paddingFor, type SparseMap } from './gnu-header.js';
import { findDataExtents } from './find-data-extents.js';
import { ownerNames } from './owner-names.js';
import { encodeXattrRecords, type Xattr } from './xattrs.js';
import { memberName } from './member-name.js';
import { fsPath } from '../scan/name-bytes.js';

/** A file that could not be archived as it was planned. */
export interface ArchiveWarning {
  /** Data-relative path. */
  path: string;
  code: 'vanished' | 'changed' | 'unreadable';
  /** One line for the run log. */
  message: string;
}

/** How to write the archive and whom to tell. */
export interface WriteArchiveOptions {
  /** The data directory the plan's paths are relative to. */
  root: string;
  /** The file to create (truncated if it exists); the caller picks a staging path and renames it. */
  outPath: string;
  /** gzip level. */
  level: number;
  /** Tar bytes per gzip member. */
  blockSize: number;
  /** Checked between chunks; an abort rejects with ABORTED and leaves `outPath` partial (the caller removes it). */
  signal?: AbortSignal;
  /** Called once per member after it is written, in archive order (directories included, with size 0). */
  onMember?: (m: ArchivedMember) => void;
  onWarning?: (w: ArchiveWarning) => void;
  /** Called after each chunk of file data and each member. */
  onProgress?: (p: { rawBytes: number; gzBytes: number; files: number }) => void;
  /** Bytes written to `outPath` so far, after each write (the uploader reads up to there). */
  onFlushed?: (gzBytesOnDisk: number) => void;
  /** Encrypt the archive with age to these recipients as it is written (the file is then a `.tar.gz.age`). */
  encryptTo?: readonly AgeRecipient[];
  /** Extended attributes of regular files by absolute path (archive.xattrs): each goes in a pax header before its member. */
  xattrs?: ReadonlyMap<string, readonly Xattr[]>;
}

/** The written archive. */
export interface WrittenArchive {
  /** The file's size (ciphertext bytes when encrypted). */
  size: number;
  /** SHA-256 tree hash of the file (of the ciphertext when encrypted: what is stored). */
  treeHash: string;
  /** For an encrypted archive, the age header and payload nonce (everything before the first chunk). */
  agePrefix?: Buffer;
  /** Tar bytes. */
  rawSize: number;
  blocks: GzipBlock[];
  /** Members written (directories, files, symlinks; LongLink headers not counted). */
  members: number;
  /** The planned files (the entries as given) that are absent or not trustworthy in the archive (each was reported through onWarning). */
  skipped: TreeEntry[];
}

/** Read size for file bodies. */
const CHUNK = 256 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * What an archive holds, in member order, as the streaming run hands it over: each directory
 * with its encoded dumpdir body, then the non-directories to store. Iterables, so a run reads
 * them from the catalog a page at a time.
 */
export interface ArchiveSource {
  dirs: Iterable<{ entry: TreeEntry; body: Buffer }>;
  files: Iterable<TreeEntry> | AsyncIterable<TreeEntry>;
}

/** Writes `plan` to `opts.outPath`; the file is complete and fsync'ed when this resolves. */
export async function writeArchive(plan: ArchivePlan | ArchiveSource, opts: WriteArchiveOptions): Promise<WrittenArchive> {
  const source: ArchiveSource =
    'snapshot' in plan ? { dirs: plan.dirs.map((d) => ({ entry: d.entry, body: encodeDumpdir(d.listing) })), files: plan.files } : plan;
  throwIfAborted(opts.signal);
  let fh: FileHandle;
  try {
    fh = await open(opts.outPath, 'w', 0o600);
  } catch (err) {
    throw fromSystemError(err, opts.outPath);
  }
  try {
    // encrypted, the gzip blocks go through the age writer: the block table keeps offsets in the
    // .tar.gz (the plaintext), which a restore maps to the 64 KiB age chunks holding them
    const sealer = opts.encryptTo ? new AgeFileWriter(fh, opts.encryptTo, opts.onFlushed) : undefined;
    const out = new BlockGzipWriter(sealer ?? fh, { level: opts.level, blockSize: opts.blockSize, onFlushed: sealer ? undefined : opts.onFlushed });
    const w = new MemberWriter(out, opts);
    for (const d of source.dirs) {
      throwIfAborted(opts.signal);
      await w.dir(d.entry, d.body);
    }
    const one = (e: TreeEntry): Promise<void> => {
      throwIfAborted(opts.signal);
      if (e.type === 'symlink') return w.symlink(e);
      if (e.type === 'file') return w.file(e);
      if (isSpecial(e)) return w.special(e);
      throw new BackupError('INTERNAL', `writeArchive: ${e.path} is planned as a ${e.type} among the files`);
    };
    // a synchronous iterable is taken without a promise per item
    if (Symbol.asyncIterator in source.files) for await (const e of source.files) await one(e);
    else for (const e of source.files) await one(e);
    await out.write(Buffer.alloc(2 * BLOCK));
    const r = await out.finish();
    const sealed = sealer && (await sealer.finish());
    const file = sealed ? { size: sealed.size, treeHash: sealed.treeHash, agePrefix: sealed.prefix } : { size: r.size, treeHash: r.treeHash };
    return { ...file, rawSize: r.rawSize, blocks: r.blocks, members: w.members, skipped: w.skipped };
  } catch (err) {
    throw err instanceof BackupError ? err : fromSystemError(err, opts.outPath);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Whole seconds of a nanosecond timestamp, rounded down (as tar stores mtimes). */
export function secondsOf(ns: bigint): bigint {
  const s = ns / 1_000_000_000n;
  return ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s;
}

/** The typeflag of a header-only special member. */
const SPECIAL_TYPEFLAG = { fifo: '6', chardev: '3', blockdev: '4' } as const;

/** Writes members into the tar stream and keeps the counts. */
class MemberWriter {
  members = 0;
  files = 0;
  readonly skipped: TreeEntry[] = [];
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly names = ownerNames();
  /** Files with more than one name written whole in this archive, by "dev:ino": later names become hard link members. */
  private readonly linked = new Map<string, { path: string; size: number }>();

  constructor(
    private readonly out: BlockGzipWriter,
    private readonly opts: WriteArchiveOptions,
  ) {}

  /** Header fields and catalog fields every member shares: owner ids and names, mode, mtime. */
  private common(e: Pick<TreeEntry, 'uid' | 'gid' | 'mode' | 'mtimeNs'>) {
    const uname = this.names.userName(e.uid);
    const gname = this.names.groupName(e.gid);
    const mtime = secondsOf(e.mtimeNs);
    return {
      header: { mode: e.mode, uid: e.uid, gid: e.gid, mtime, uname, gname },
      member: { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: Number(mtime), ...(uname === undefined ? {} : { uname }), ...(gname === undefined ? {} : { gname }) },
    };
  }

  async dir(e: TreeEntry, body: Buffer): Promise<void> {
    const tarOffset = this.out.rawBytes;
    const c = this.common(e);
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, true), size: body.length, typeflag: 'D' }));
    await this.out.write(body);
    await this.out.write(ZEROS.subarray(0, paddingFor(body.length)));
    this.done({ ...c.member, path: e.path, type: 'dir', size: 0, tarOffset });
  }

  async symlink(e: TreeEntry): Promise<void> {
    const tarOffset = this.out.rawBytes;
    const c = this.common(e);
    const linkTarget = e.linkTarget ?? '';
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: 0, typeflag: '2', linkname: linkTarget }));
    this.files++;
    this.done({ ...c.member, path: e.path, type: 'symlink', size: 0, tarOffset, linkTarget });
  }

  /** A FIFO or device node: a header-only member ('6', '3', '4') with the device numbers, as GNU tar writes it. */
  async special(e: TreeEntry & { type: 'fifo' | 'chardev' | 'blockdev' }): Promise<void> {
    const tarOffset = this.out.rawBytes;
    const c = this.common(e);
    const devMajor = e.devMajor ?? 0;
    const devMinor = e.devMinor ?? 0;
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: 0, typeflag: SPECIAL_TYPEFLAG[e.type], devMajor, devMinor }));
    this.files++;
    this.done({ ...c.member, path: e.path, type: e.type, size: 0, tarOffset, ...(e.type === 'fifo' ? {} : { devMajor, devMinor }) });
  }

  async file(e: TreeEntry): Promise<void> {
    const first = (e.nlink ?? 1) > 1 ? this.linked.get(`${e.dev}:${e.ino}`) : undefined;
    if (first) {
      await this.hardLink(e, first);
      return;
    }
    const abs = fsPath(join(this.opts.root, e.path));
    if (e.size <= CHUNK) {
      // small files are read with synchronous calls: for them a thread-pool round trip per
      // call costs more than the call itself; the common case takes no promise at all
      let fd: number;
      try {
        fd = openSync(abs, OPEN_FLAGS);
      } catch (err) {
        this.skip(e, openProblem(err));
        return;
      }
      let wait: Promise<void> | null | undefined;
      try {
        wait = this.smallFile(e, fd);
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      if (wait !== undefined) closeSync(fd);
      if (wait === undefined) {
        // a case the short path does not handle (sparse, xattrs, grown, unreadable): the general one, same descriptor
        const fh = fdFile(fd);
        try {
          await this.fileBody(e, fh);
        } finally {
          await fh.close().catch(() => undefined);
        }
      } else if (wait) await wait;
      return;
    }
    let fh: ReadableFile;
    try {
      fh = await open(abs, OPEN_FLAGS);
    } catch (err) {
      this.skip(e, openProblem(err));
      return;
    }
    try {
      await this.fileBody(e, fh);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /**
   * A small regular file read in one go with synchronous calls, its header and body handed
   * to the gzip writer without awaiting unless a block is cut. Returns undefined, having
   * written nothing, for anything out of the ordinary (the general path then takes the file):
   * an error, a file grown past CHUNK, a sparse candidate, extended attributes, a change while read.
   */
  private smallFile(e: TreeEntry, fd: number): Promise<void> | null | undefined {
    let before: BigIntStats;
    let n = 0;
    try {
      before = fstatSync(fd, { bigint: true });
      const size = Number(before.size);
      if (!before.isFile() || size > CHUNK || (size > 0 && Number(before.blocks) * 512 < size)) return undefined;
      if (this.opts.xattrs?.get(join(this.opts.root, e.path))?.length) return undefined;
      while (n < size) {
        const got = readSync(fd, this.buf, n, size - n, n);
        if (got === 0) break;
        n += got;
      }
      const after = fstatSync(fd, { bigint: true });
      if (n !== size || after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs) return undefined;
    } catch {
      return undefined;
    }
    const tarOffset = this.out.rawBytes;
    const c = this.common({ mode: Number(before.mode) & 0o7777, uid: Number(before.uid), gid: Number(before.gid), mtimeNs: before.mtimeNs });
    const parts = encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: n, typeflag: '0' });
    parts.push(this.buf.subarray(0, n), ZEROS.subarray(0, paddingFor(n)));
    if (before.nlink > 1n) this.linked.set(`${e.dev}:${e.ino}`, { path: e.path, size: n });
    this.files++;
    const member: ArchivedMember = { ...c.member, path: e.path, type: 'file', size: n, tarOffset };
    for (let i = 0; i < parts.length; i++) {
      const cut = this.out.put(parts[i]);
      // a block was cut: the rest goes in order after it (the caller awaits before reusing the read buffer)
      if (cut) return this.rest(cut, parts, i + 1, member);
    }
    this.done(member);
    return null;
  }

  private async rest(cut: Promise<void>, parts: Buffer[], from: number, member: ArchivedMember): Promise<void> {
    await cut;
    for (let i = from; i < parts.length; i++) await this.out.write(parts[i]);
    this.done(member);
  }

  /** A later name of a file already written whole in this archive: a '1' member naming the first, as GNU tar writes it. */
  private async hardLink(e: TreeEntry, first: { path: string; size: number }): Promise<void> {
    const tarOffset = this.out.rawBytes;
    const c = this.common(e);
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: 0, typeflag: '1', linkname: memberName(first.path, false) }));
    this.files++;
    this.done({ ...c.member, path: e.path, type: 'hardlink', size: first.size, tarOffset, linkTarget: first.path });
  }

  private async fileBody(e: TreeEntry, fh: ReadableFile): Promise<void> {
    let before;
    try {
      before = await fh.stat({ bigint: true });
    } catch (err) {
      this.skip(e, { code: 'unreadable', message: `cannot be read (${errCode(err)}); left out of this archive, retried next run` });
      return;
    }
    if (!before.isFile()) {
      this.skip(e, { code: 'changed', message: 'is no longer a regular file; left out of this archive, retried next run' });
      return;
    }
    const size = Number(before.size);
    const c = this.common({ mode: Number(before.mode) & 0o7777, uid: Number(before.uid), gid: Number(before.gid), mtimeNs: before.mtimeNs });
    let problem: Omit<ArchiveWarning, 'path'> | undefined;
    // fewer blocks allocated than the size needs: look for holes, as tar --sparse does
    let sparse: SparseMap | null = null;
    if (size > 0 && Number(before.blocks) * 512 < size) {
      try {
        sparse = await findDataExtents((buf, len, pos) => fh.read(buf, 0, len, pos).then((r) => r.bytesRead), this.buf, size, this.opts.signal);
      } catch (err) {
        if (err instanceof BackupError) throw err;
        problem = { code: 'unreadable', message: `could not be read to the end (${errCode(err)}); retried next run` };
      }
    }
    const extents = sparse?.extents ?? [{ offset: 0, size }];
    const stored = extents.reduce((n, x) => n + x.size, 0);
    const tarOffset = this.out.rawBytes;
    const xattrs = this.opts.xattrs?.get(join(this.opts.root, e.path));
    if (xattrs && xattrs.length > 0) {
      // a pax header as GNU tar --xattrs writes it; its fixed name keeps it to one header block
      const records = encodeXattrRecords(xattrs);
      await this.writeAll(encodeGnuHeader({ ...c.header, name: '././@PaxHeader', size: records.length, typeflag: 'x', uname: undefined, gname: undefined }));
      await this.out.write(records);
      await this.out.write(ZEROS.subarray(0, paddingFor(records.length)));
    }
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: stored, typeflag: sparse ? 'S' : '0', ...(sparse ? { sparse } : {}) }));

    let done = 0;
    for (const x of extents) {
      let got = 0;
      while (!problem && got < x.size) {
        throwIfAborted(this.opts.signal);
        let n: number;
        try {
          ({ bytesRead: n } = await fh.read(this.buf, 0, Math.min(CHUNK, x.size - got), x.offset + got));
        } catch (err) {
          problem = { code: 'unreadable', message: `could not be read to the end (${errCode(err)}); its member is zero-filled, retried next run` };
          break;
        }
        if (n === 0) break;
        await this.out.write(this.buf.subarray(0, n));
        got += n;
        this.progress();
      }
      // a file that shrank (or failed) still fills the size its header promised
      for (let left = x.size - got; left > 0; left -= CHUNK) await this.out.write(ZEROS.subarray(0, Math.min(CHUNK, left)));
      done += got;
    }
    await this.out.write(ZEROS.subarray(0, paddingFor(stored)));

    if (!problem) {
      try {
        const after = await fh.stat({ bigint: true });
        if (done < stored || after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs) {
          problem = { code: 'changed', message: 'changed while it was being read; this copy is not trusted and is retried next run' };
        }
      } catch (err) {
        problem = { code: 'unreadable', message: `could not be checked after reading (${errCode(err)}); retried next run` };
      }
    }
    if (problem) this.skip(e, problem);
    else if (before.nlink > 1n) this.linked.set(`${e.dev}:${e.ino}`, { path: e.path, size });
    this.files++;
    this.done({ ...c.member, path: e.path, type: 'file', size, tarOffset });
  }

  private skip(e: TreeEntry, p: Omit<ArchiveWarning, 'path'>): void {
    this.skipped.push(e);
    this.opts.onWarning?.({ path: e.path, ...p });
  }

  private done(m: ArchivedMember): void {
    this.members++;
    this.opts.onMember?.(m);
    this.progress();
  }

  private progress(): void {
    this.opts.onProgress?.({ rawBytes: this.out.rawBytes, gzBytes: this.out.gzBytes, files: this.files });
  }

  private async writeAll(blocks: Buffer[]): Promise<void> {
    for (const b of blocks) await this.out.write(b);
  }
}

// O_NOFOLLOW: a path that became a symlink since the scan is not followed;
// O_NONBLOCK: one that became a FIFO does not hang the run (no effect on regular files)
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What the writer needs of an open file: a FileHandle, or the synchronous stand-in below. */
interface ReadableFile {
  stat(opts: { bigint: true }): Promise<BigIntStats>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** An open descriptor of a small file behind the ReadableFile interface, read with synchronous calls (errors still arrive as rejections). */
function fdFile(fd: number): ReadableFile {
  const now = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
  return {
    stat: () => now(() => fstatSync(fd, { bigint: true })),
    read: (buffer, offset, length, position) => now(() => ({ bytesRead: readSync(fd, buffer, offset, length, position) })),
    close: () => now(() => closeSync(fd)),
  };
}

function isSpecial(e: TreeEntry): e is TreeEntry & { type: 'fifo' | 'chardev' | 'blockdev' } {
  return isSpecialType(e.type);
}

function openProblem(err: unknown): Omit<ArchiveWarning, 'path'> {
  const code = errCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'vanished', message: 'vanished before it could be read; left out of this archive' };
  if (code === 'ELOOP') return { code: 'changed', message: 'became a symlink since the scan; left out of this archive, retried next run' };
  return { code: 'unreadable', message: `cannot be read (${code}); left out of this archive, retried next run` };
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);
}
