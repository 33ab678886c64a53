/**
 * Writes an ArchivePlan as a GNU incremental tar, block-gzipped, to a file: a dumpdir
 * member for every planned directory (in plan order), then each planned file and symlink,
 * then two zero blocks. Member names are relative to the data directory as
 * `tar -C data -cG .` writes them ("./", "./dir/", "./dir/file"), so extracting the chain
 * with `tar -G -xzf` inside an empty directory reproduces the data directory.
 *
 * Small files (up to 256 KiB, one name, no extended attributes: nearly all of a tree) are
 * read in batches by readSmallFiles, on reader threads (ReadPool) once a run has more than
 * a batch of them, while this thread appends earlier batches to the gzip stream and records
 * their members; batches stay in plan order, a bounded number in flight. Everything else,
 * and any small file a batch did not write (changed since the scan, sparse candidate, error
 * after opening), takes the general path here, in its place in the order: the file is
 * streamed in chunks (never whole in memory) from one open descriptor and its header
 * carries the size and times that descriptor had when opened. A file that cannot be opened
 * gets no member. One that changes while read (size, mtime or ctime differ afterwards),
 * shrinks, or fails mid-read still gets a well-formed member (zero-padded to the header's
 * size, or cut at it) but is reported and listed in `skipped`, so the caller keeps it out of
 * the next snapshot and the next run stores it again.
 */
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError, errorCode, fromSystemError, throwIfAborted } from '../errors.js';
import type { ArchivedMember } from './archived-member.js';
import type { ArchivePlan } from '../scan/archive-plan.js';
import type { GzipBlock } from './gzip-block.js';
import { isSpecialType, type TreeEntry } from '../scan/tree-entry.js';
import { BlockGzipWriter } from './block-gzip-writer.js';
import { AgeFileWriter } from '../age/age-file-writer.js';
import type { AgeRecipient } from '../age/age-keys.js';
import { encodeDumpdir } from './dumpdir-body.js';
import { BLOCK, encodeGnuHeader, paddingFor, secondsOf, type SparseMap } from './gnu-header.js';
import { findDataExtents } from './find-data-extents.js';
import { ownerNames } from './owner-names.js';
import { encodeXattrRecords, type Xattr } from './xattrs.js';
import { memberName } from './member-name.js';
import { fsPath } from '../scan/name-bytes.js';
import { ReadPool } from './read-pool.js';
import {
  OPEN_FLAGS,
  READ_OK,
  READ_OPEN_FAILED,
  RESULT_FIELDS,
  SMALL_FILE_MAX,
  SmallFileBatchBuilder,
  readSmallFiles,
  type SmallFileBatch,
  type SmallFilesRead,
} from './read-small-files.js';

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
  /**
   * Extended attributes of regular files by absolute path (archive.xattrs): each goes in a pax
   * header before its member. Looked up as each file is taken from the plan, so a caller may
   * refill the map a page of files at a time.
   */
  xattrs?: ReadonlyMap<string, readonly Xattr[]>;
  /** Reader threads for small files; default READERS, 0 reads them on this thread. */
  readers?: number;
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
const CHUNK = SMALL_FILE_MAX;
const ZEROS = Buffer.alloc(CHUNK);

/** Reader threads by default. */
const READERS = 1;
/** A batch of small files is cut at this many files or this many body bytes. */
const BATCH_FILES = 256;
const BATCH_BYTES = 1024 * 1024;
/** Batches out to reader threads at once, per thread: enough that a thread always has the next one (memory: about this × BATCH_BYTES). */
const BATCHES_PER_READER = 3;
/** Planned items read ahead of the one being written (batches and single entries). */
const MAX_AHEAD = 64;

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
  // encrypted, the gzip blocks go through the age writer: the block table keeps offsets in the
  // .tar.gz (the plaintext), which a restore maps to the 64 KiB age chunks holding them
  let out: BlockGzipWriter | undefined;
  try {
    const sealer = opts.encryptTo ? new AgeFileWriter(fh, opts.encryptTo, opts.onFlushed) : undefined;
    out = new BlockGzipWriter(sealer ?? fh, { level: opts.level, blockSize: opts.blockSize, onFlushed: sealer ? undefined : opts.onFlushed });
    const w = new MemberWriter(out, opts);
    for (const d of source.dirs) {
      throwIfAborted(opts.signal);
      await w.dir(d.entry, d.body);
    }
    const files = new FileQueue(w, opts);
    try {
      // a synchronous iterable is taken without a promise per item
      if (Symbol.asyncIterator in source.files) for await (const e of source.files) await files.add(e);
      else for (const e of source.files) await files.add(e);
      await files.finish();
    } finally {
      await files.close();
    }
    await out.write(Buffer.alloc(2 * BLOCK));
    const r = await out.finish();
    const sealed = sealer && (await sealer.finish());
    const file = sealed ? { size: sealed.size, treeHash: sealed.treeHash, agePrefix: sealed.prefix } : { size: r.size, treeHash: r.treeHash };
    return { ...file, rawSize: r.rawSize, blocks: r.blocks, members: w.members, skipped: w.skipped };
  } catch (err) {
    throw err instanceof BackupError ? err : fromSystemError(err, opts.outPath);
  } finally {
    await out?.close();
    await fh.close().catch(() => undefined);
  }
}

/** A planned item in archive order: a batch of small files (read, or being read), or one entry for the general path. */
type Slot = { entries: TreeEntry[]; batch: SmallFileBatch; read?: Promise<SmallFilesRead> } | { entry: TreeEntry; xattrs: readonly Xattr[] | undefined };

/**
 * Takes the plan's non-directories in order and writes them in that order: small plain files
 * gathered into batches for readSmallFiles, everything else one by one. The first batch is
 * read on this thread; from the second on batches go to reader threads, started then (so a
 * run with a few changed files starts none), and up to MAX_AHEAD items are queued ahead of
 * the one being written.
 */
class FileQueue {
  private readonly slots: Slot[] = [];
  private readonly batch = new SmallFileBatchBuilder<TreeEntry>();
  private batchesOut = 0;
  private smallFiles = 0;
  private pool: ReadPool | undefined;
  private readonly readers: number;

  constructor(
    private readonly w: MemberWriter,
    private readonly opts: WriteArchiveOptions,
  ) {
    this.readers = opts.readers ?? READERS;
  }

  /** Queues `e`, writing earlier items as the queue fills. */
  async add(e: TreeEntry): Promise<void> {
    throwIfAborted(this.opts.signal);
    const xattrs = e.type === 'file' ? this.opts.xattrs?.get(join(this.opts.root, e.path)) : undefined;
    if (e.type === 'file' && e.size <= CHUNK && (e.nlink ?? 1) <= 1 && !xattrs?.length) {
      this.batch.add(e);
      if (this.batch.length >= BATCH_FILES || this.batch.bytes >= BATCH_BYTES) this.send();
    } else {
      this.send();
      this.slots.push({ entry: e, xattrs });
    }
    const maxBatches = this.pool ? BATCHES_PER_READER * this.readers : 0;
    while (this.slots.length > MAX_AHEAD || this.batchesOut > maxBatches) await this.writeNext();
  }

  /** Writes everything queued. */
  async finish(): Promise<void> {
    this.send();
    while (this.slots.length > 0) await this.writeNext();
  }

  /** Ends the reader threads, if any were started. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const { entries, batch } = this.batch.take();
    if (!this.pool && this.readers > 0 && this.smallFiles >= BATCH_FILES) this.pool = new ReadPool(this.opts.root, this.readers);
    this.smallFiles += entries.length;
    this.slots.push({ entries, batch, read: this.pool?.read(batch) });
    this.batchesOut++;
  }

  private async writeNext(): Promise<void> {
    throwIfAborted(this.opts.signal);
    const s = this.slots.shift()!;
    if ('entries' in s) {
      const read = s.read ? await s.read : readSmallFiles(this.opts.root, s.batch);
      this.batchesOut--;
      await this.w.smallFiles(s.entries, read);
      return;
    }
    const e = s.entry;
    if (e.type === 'symlink') return this.w.symlink(e);
    if (e.type === 'file') return this.w.file(e, s.xattrs);
    if (isSpecial(e)) return this.w.special(e);
    throw new BackupError('INTERNAL', `writeArchive: ${e.path} is planned as a ${e.type} among the files`);
  }
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

  /** A file on the general path: a later name of a file already written, or one read here. */
  async file(e: TreeEntry, xattrs: readonly Xattr[] | undefined): Promise<void> {
    const first = (e.nlink ?? 1) > 1 ? this.linked.get(`${e.dev}:${e.ino}`) : undefined;
    if (first) {
      await this.hardLink(e, first);
      return;
    }
    const abs = fsPath(join(this.opts.root, e.path));
    let fh: ReadableFile;
    try {
      // a small file with synchronous calls: for it a thread-pool round trip per call costs more than the call
      fh = e.size <= CHUNK ? fdFile(openSync(abs, OPEN_FLAGS)) : await open(abs, OPEN_FLAGS);
    } catch (err) {
      this.skip(e, openProblem(err));
      return;
    }
    try {
      await this.fileBody(e, fh, xattrs);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /**
   * The members of a batch read by readSmallFiles, appended in runs between the files it did
   * not write: those are reported (could not be opened) or taken by the general path in their place.
   */
  async smallFiles(entries: readonly TreeEntry[], read: SmallFilesRead): Promise<void> {
    const r = read.results;
    const endOf = (i: number) => (i < 0 ? 0 : r[i * RESULT_FIELDS + 1]);
    let from = 0;
    for (let i = 0; i <= entries.length; i++) {
      if (i < entries.length && r[i * RESULT_FIELDS] === READ_OK) continue;
      // members from..i-1 are in the batch, back to back
      const start = endOf(from - 1);
      if (i > from) {
        const base = this.out.rawBytes;
        const cut = this.out.put(read.bytes.subarray(start, endOf(i - 1)));
        if (cut) await cut;
        for (let k = from; k < i; k++) {
          const f = k * RESULT_FIELDS;
          const uid = r[f + 4];
          const gid = r[f + 5];
          const uname = this.names.userName(uid);
          const gname = this.names.groupName(gid);
          this.files++;
          this.done({
            path: entries[k].path,
            type: 'file',
            mode: r[f + 3],
            size: r[f + 2],
            mtime: r[f + 6],
            tarOffset: base + endOf(k - 1) - start,
            uid,
            gid,
            ...(uname === undefined ? {} : { uname }),
            ...(gname === undefined ? {} : { gname }),
          });
        }
      }
      if (i === entries.length) break;
      if (r[i * RESULT_FIELDS] === READ_OPEN_FAILED) this.skip(entries[i], openProblem(read.codes[i]));
      else await this.file(entries[i], undefined);
      from = i + 1;
    }
  }

  /** A later name of a file already written whole in this archive: a '1' member naming the first, as GNU tar writes it. */
  private async hardLink(e: TreeEntry, first: { path: string; size: number }): Promise<void> {
    const tarOffset = this.out.rawBytes;
    const c = this.common(e);
    await this.writeAll(encodeGnuHeader({ ...c.header, name: memberName(e.path, false), size: 0, typeflag: '1', linkname: memberName(first.path, false) }));
    this.files++;
    this.done({ ...c.member, path: e.path, type: 'hardlink', size: first.size, tarOffset, linkTarget: first.path });
  }

  private async fileBody(e: TreeEntry, fh: ReadableFile, xattrs: readonly Xattr[] | undefined): Promise<void> {
    let before;
    try {
      before = await fh.stat({ bigint: true });
    } catch (err) {
      this.skip(e, { code: 'unreadable', message: `cannot be read (${errorCode(err)}); left out of this archive, retried next run` });
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
        problem = { code: 'unreadable', message: `could not be read to the end (${errorCode(err)}); retried next run` };
      }
    }
    const extents = sparse?.extents ?? [{ offset: 0, size }];
    const stored = extents.reduce((n, x) => n + x.size, 0);
    const tarOffset = this.out.rawBytes;
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
        // read straight into the gzip writer's block; a failing read is this file's problem, a failing write the archive's
        let failed: unknown;
        const position = x.offset + got;
        const n = await this.out.readFrom((buffer, offset, length) => fh.read(buffer, offset, length, position).then((r) => r.bytesRead, (err: unknown) => ((failed = err), 0)), x.size - got);
        if (failed !== undefined) {
          problem = { code: 'unreadable', message: `could not be read to the end (${errorCode(failed)}); its member is zero-filled, retried next run` };
          break;
        }
        if (n === 0) break;
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
        problem = { code: 'unreadable', message: `could not be checked after reading (${errorCode(err)}); retried next run` };
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

/** The warning for a file that could not be opened (given the error or its code). */
function openProblem(err: unknown): Omit<ArchiveWarning, 'path'> {
  const code = errorCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'vanished', message: 'vanished before it could be read; left out of this archive' };
  if (code === 'ELOOP') return { code: 'changed', message: 'became a symlink since the scan; left out of this archive, retried next run' };
  return { code: 'unreadable', message: `cannot be read (${code}); left out of this archive, retried next run` };
}
