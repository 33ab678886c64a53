/**
 * Safe writing into a restore target, shared by archive extraction and catalog-driven
 * restores. The target may be writable by other users while a restore runs as root, so
 * nothing in it is ever followed, and nothing is looked up by a path another user could
 * change mid-way (GNU tar's approach, with held directory descriptors):
 *
 * - every directory is opened from its parent's descriptor with O_DIRECTORY|O_NOFOLLOW, and
 *   every entry is created, renamed, removed or changed by its single name relative to the
 *   held descriptor of its directory. Node has no *at() calls; on Linux the magic link
 *   `/proc/self/fd/<fd>/<name>` resolves through the descriptor itself (the directory it
 *   holds, wherever that is now), never through the path the directory was opened by. So a
 *   directory swapped for a symlink after it was opened is never followed: writes keep going
 *   into the real directory, and the symlink is removed like anything else in the way when
 *   the directory is opened again;
 * - files are created with O_CREAT|O_EXCL|O_NOFOLLOW under a temporary name, given their
 *   mode, times, owner and extended attributes through the descriptor (fchmod, futimes,
 *   fchown, setfattr on /proc/PID/fd/N), then renamed into place, so a failed restore never
 *   leaves a half-written file under a real name and an existing file (or a hard link another
 *   user planted) is never written through. Symlinks, FIFOs and device nodes, which cannot be
 *   opened for writing, are changed through an O_PATH descriptor once it shows the entry is
 *   still the one made (a hard link another user put in its place is never changed);
 * - whatever is in the way of a directory, file or symlink is removed (directories
 *   recursively, through descriptors too) and replaced. With `keepExisting`, a directory
 *   listing's deletions (purgeDir) touch only entries this restore created: what was in the
 *   target before and is not in the way of an entry is never removed.
 *
 * Directories stay writable (u+rwx) while a restore works in them; setDirTimes gives them
 * their mode and mtime at the end, and removes temporary files a killed earlier restore left
 * in them. Ownership is restored (fchown, or chown through O_PATH) only when running as root, as
 * GNU tar does: by the stored owner name when it exists here, else by the stored id. Hard
 * links are made to an entry this restore already wrote; FIFOs and device nodes with
 * mknod(1) (Node has no mknod), run without a shell on the held directory's /proc path.
 *
 * Names are strings whose escaped bytes (see name-bytes.ts) are converted back at each call.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, ftruncateSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, writeSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BackupError, fromSystemError, throwIfAborted } from '../errors.js';
import type { SparseMap } from './gnu-header.js';
import { ownerNames } from './owner-names.js';
import { writeXattrs, type Xattr } from './xattrs.js';
import { hasEscapedBytes, nameFromBytes, nameToBytes, showName } from '../scan/name-bytes.js';
import { checkMemberPath, unsafe } from './safe-path.js';
import { makeDirs } from '../fs/make-dirs.js';

/** What a restored entry gets besides its content. */
export interface EntryAttrs {
  /** Permission bits. */
  mode: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  /** Applied only when running as root. */
  uid?: number;
  gid?: number;
  /** Owner names: when they exist on this machine, their ids win over uid/gid (as GNU tar restores). */
  uname?: string;
  gname?: string;
}

/** The owner to give a restored entry, or null when ownership is not restored (not root, or not recorded). */
function ownerOf(attrs: Pick<EntryAttrs, 'uid' | 'gid' | 'uname' | 'gname'>): { uid: number; gid: number } | null {
  if (!asRoot || attrs.uid === undefined || attrs.gid === undefined) return null;
  const names = ownerNames();
  return { uid: names.localUid(attrs.uname, attrs.uid), gid: names.localGid(attrs.gname, attrs.gid) };
}

/**
 * A time argument for the utimes calls: Node replaces a negative number of seconds with the
 * current time, so times before 1970 go as a Date (which holds any second within ±275,000 years).
 */
export function timeArg(seconds: number): number | Date {
  return seconds < 0 ? new Date(seconds * 1000) : seconds;
}

/** A directory whose attributes are set once everything inside it is written. */
export interface DirAttrs extends EntryAttrs {
  /** Relative path ("" is the target itself, whose mode is left alone). */
  path: string;
}

/** How a restore treats what is already in the target. */
export interface RestoreTargetOptions {
  /**
   * The target held entries before this restore (a --force restore): directory listings
   * then remove only entries this restore created. Without it the target is the restore's
   * alone and listings remove whatever they do not name, as GNU tar does.
   */
  keepExisting?: boolean;
  /**
   * The target was missing when the restore checked it (prepareTarget): the restore makes it
   * (0700), and fails if it exists by then rather than write into what someone else put there.
   */
  create?: boolean;
}

const { O_RDONLY, O_WRONLY, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL } = constants;
/** Linux's O_PATH (not in Node's constants): a descriptor of the entry itself, not opened for reading or writing. */
const O_PATH = 0o10000000;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const NEW_FILE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** Directory descriptors kept open (least recently used closed first); reopening is always safe, only slower. */
const MAX_OPEN_DIRS = 128;
/** Temporary names this module writes; one left by a killed restore is removed by the next. */
const TMP_NAME = /^\.backup-restore-\d+-\d+\.tmp$/;
const asRoot = process.getuid?.() === 0;
let tmpCounter = 0;
const run = promisify(execFile);

/**
 * One restore's view of its target directory. Relative paths are data-relative ("" is the
 * target itself), each checked with checkMemberPath. Methods must not be called
 * concurrently; close() releases the held descriptors (the target stays usable: they are
 * reopened on demand).
 */
export class RestoreTarget {
  private rootFd: number | undefined;
  /** With opts.create: the target has been made by this restore. */
  private rootMade = false;
  /** Open directory descriptors by relative path, oldest use first. */
  private readonly fds = new Map<string, number>();
  /** Relative paths known to be real directories made writable by this restore. */
  private readonly knownDirs = new Set<string>();
  /** With keepExisting: paths this restore created. */
  private readonly created = new Set<string>();
  /** Entries this restore wrote whose names look like its temporary names (never swept). */
  private readonly restoredTmpLike = new Set<string>();
  /** One line per member not made and left out, as GNU tar reports it (device nodes as another user than root). */
  readonly skipped: string[] = [];

  constructor(
    readonly root: string,
    private readonly opts: RestoreTargetOptions = {},
  ) {}

  /** Makes `path` a real, writable directory: missing parents are created, and anything in the way is removed first. Idempotent. */
  async ensureDir(path: string): Promise<void> {
    checkMemberPath(path);
    this.openDir(path, true, path);
    return Promise.resolve();
  }

  /** Whether `path` is a real directory now (a symlink to one is not). */
  async isDir(path: string): Promise<boolean> {
    checkMemberPath(path);
    return Promise.resolve(this.openDir(path, false) !== undefined);
  }

  /** Removes whatever is at `path` (recursively; symlinks are removed, not followed). Returns whether something was there. */
  async removeEntry(path: string): Promise<boolean> {
    if (path === '') throw new BackupError('INTERNAL', 'removeEntry: refusing to remove the restore target itself');
    checkMemberPath(path);
    const parent = this.openDir(parentOf(path), false);
    if (parent === undefined) return false;
    this.forget(path);
    return Promise.resolve(this.guard(path, () => this.removeAt(parent, baseOf(path))));
  }

  /**
   * GNU dumpdir semantics for one directory: removes every entry of the existing directory
   * `path` whose name is not in `keep` (recursively), limited to paths `filter` accepts and,
   * with keepExisting, to entries this restore created. Returns how many entries were
   * removed; a missing or non-directory path removes nothing.
   */
  async purgeDir(path: string, keep: ReadonlySet<string>, filter?: (path: string) => boolean): Promise<number> {
    checkMemberPath(path);
    const fd = this.openDir(path, false);
    if (fd === undefined) return 0;
    const names = this.guard(path, () => readdirSync(fdPath(fd), { encoding: 'buffer' }).map((b) => nameFromBytes(b)));
    let removed = 0;
    for (const name of names) {
      if (keep.has(name)) continue;
      const child = path === '' ? name : `${path}/${name}`;
      if (filter && !filter(child)) continue;
      if (this.opts.keepExisting && !this.created.has(child)) continue;
      if (await this.removeEntry(child)) removed++;
    }
    return removed;
  }

  /**
   * Writes a regular file from `body`: to a new temporary file beside it, with mode, mtime
   * (and owner as root) set through its descriptor, then renamed over whatever is at `path`
   * (a directory in the way is removed). Missing parents are created. On failure the
   * temporary file is removed.
   */
  async writeFileEntry(path: string, body: AsyncIterable<Uint8Array>, attrs: EntryAttrs, signal?: AbortSignal, sparse?: SparseMap, xattrs?: readonly Xattr[]): Promise<void> {
    checkMemberPath(path);
    if (path === '') throw notADirectory('a file');
    const parent = this.openDir(parentOf(path), true, path);
    const tmp = tmpName();
    const fd = this.guard(path, () => openSync(at(parent, tmp), NEW_FILE_FLAGS, 0o600));
    try {
      try {
        if (sparse) {
          await writeSparse(fd, body, sparse, signal);
          ftruncateSync(fd, sparse.realSize);
        } else {
          for await (const chunk of body) {
            throwIfAborted(signal);
            let done = 0;
            // synchronous writes: the main thread writes while the thread pool inflates the next chunks
            while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
          }
        }
        // through the file's own descriptor: its name could have been given to another file meanwhile
        if (xattrs && xattrs.length > 0) await writeXattrs(`/proc/${process.pid}/fd/${fd}`, xattrs);
        const owner = ownerOf(attrs);
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        fchmodSync(fd, attrs.mode & 0o7777);
        futimesSync(fd, timeArg(attrs.mtime), timeArg(attrs.mtime));
      } finally {
        closeSync(fd);
      }
      this.renameOver(parent, tmp, path);
    } catch (err) {
      try {
        unlinkSync(at(parent, tmp));
      } catch {
        // already renamed, or never made
      }
      throw err instanceof BackupError ? err : this.systemError(err, path);
    }
    this.noteWritten(path);
  }

  /** Creates a symlink (its target stored as is, never followed), replacing whatever is at `path`. */
  async writeSymlinkEntry(path: string, target: string, attrs: Omit<EntryAttrs, 'mode'>): Promise<void> {
    checkMemberPath(path);
    if (path === '') throw notADirectory('a symlink');
    const parent = this.openDir(parentOf(path), true, path);
    const tmp = tmpName();
    this.guard(path, () => {
      const tmpPath = at(parent, tmp);
      symlinkSync(nameToBytes(target), tmpPath);
      try {
        this.setMadeAttrs(tmpPath, path, (st) => st.isSymbolicLink(), (self) => {
          const owner = ownerOf(attrs);
          if (owner) ignoreErrors(() => chownSync(self, owner.uid, owner.gid));
          // some file systems cannot set a symlink's own times; its target's are never touched
          ignoreErrors(() => utimesSync(self, timeArg(attrs.mtime), timeArg(attrs.mtime)));
        });
        this.renameOver(parent, tmp, path);
      } catch (err) {
        ignoreErrors(() => unlinkSync(tmpPath));
        throw err;
      }
    });
    this.noteWritten(path);
    return Promise.resolve();
  }

  /**
   * Makes `path` another name of the regular file this restore already wrote at `existing`
   * (a tar hard link member), replacing whatever is at `path`. Both are reached through held
   * directory descriptors; link(2) never follows `existing` if it became a symlink meanwhile.
   */
  async writeHardLink(path: string, existing: string): Promise<void> {
    checkMemberPath(path);
    checkMemberPath(existing);
    if (path === '' || existing === '') throw notADirectory('a hard link');
    const from = this.openDir(parentOf(existing), false);
    const source = from === undefined ? undefined : at(from, baseOf(existing));
    if (source === undefined || !isFileAt(source)) {
      throw new BackupError('ARCHIVE_CORRUPT', `${this.show(path)} is a hard link to ${showName(existing)}, which this restore did not write as a file; restore the whole archive`, { subject: this.show(path) });
    }
    const parent = this.openDir(parentOf(path), true, path);
    const tmp = tmpName();
    this.guard(path, () => {
      linkSync(source, at(parent, tmp));
      try {
        this.renameOver(parent, tmp, path);
      } catch (err) {
        ignoreErrors(() => unlinkSync(at(parent, tmp)));
        throw err;
      }
    });
    this.noteWritten(path);
    return Promise.resolve();
  }

  /**
   * Makes a FIFO or a device node with mknod(1) (run without a shell, on this process's
   * /proc path of the held directory), with mode, mtime and (as root) owner, replacing
   * whatever is at `path`. A device node needs root: as another user (mknod refused with
   * EPERM) it is left out with one line in `skipped` naming the path, and the restore goes
   * on, as GNU tar does (which then exits 2; the CLI exits 3, completed with warnings).
   */
  async writeSpecialEntry(path: string, type: 'fifo' | 'chardev' | 'blockdev', dev: { major: number; minor: number }, attrs: EntryAttrs): Promise<void> {
    checkMemberPath(path);
    if (path === '') throw notADirectory(type === 'fifo' ? 'a FIFO' : 'a device node');
    const parent = this.openDir(parentOf(path), true, path);
    const tmp = tmpName();
    const kind = type === 'fifo' ? ['p'] : [type === 'chardev' ? 'c' : 'b', String(dev.major), String(dev.minor)];
    try {
      // no -m: mknod(1) would chmod the new name, which another user could have given to another file by then;
      // umask 077 (taken by the child as it is spawned) keeps the node private until its mode is set below
      const umask = process.umask(0o077);
      let made: Promise<unknown>;
      try {
        made = run('mknod', [`/proc/${process.pid}/fd/${parent}/${tmp}`, ...kind]);
      } finally {
        process.umask(umask);
      }
      await made;
    } catch (err) {
      const why = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
      const what = type === 'fifo' ? 'FIFO' : 'device node';
      if (type !== 'fifo' && /Operation not permitted/.test(why)) {
        this.skipped.push(`cannot make the device node ${this.show(path)} (${why.replace(/^mknod: [^:]*: /, '')}); device nodes are restored only as root`);
        return;
      }
      throw new BackupError('IO', `cannot make the ${what} ${this.show(path)} (${why})${type === 'fifo' ? '' : '; device nodes are restored only as root'}`, { cause: err, subject: this.show(path) });
    }
    this.guard(path, () => {
      const tmpPath = at(parent, tmp);
      try {
        const made = (st: Stats) => (type === 'fifo' ? st.isFIFO() : type === 'chardev' ? st.isCharacterDevice() : st.isBlockDevice());
        this.setMadeAttrs(tmpPath, path, made, (self) => {
          const owner = ownerOf(attrs);
          if (owner) chownSync(self, owner.uid, owner.gid);
          chmodSync(self, attrs.mode & 0o7777);
          utimesSync(self, timeArg(attrs.mtime), timeArg(attrs.mtime));
        });
        this.renameOver(parent, tmp, path);
      } catch (err) {
        ignoreErrors(() => unlinkSync(tmpPath));
        throw err;
      }
    });
    this.noteWritten(path);
  }

  /**
   * Gives directories their mode, mtime (and owner as root), deepest first, since writing
   * inside a directory changes its mtime; first removes any temporary file an earlier,
   * killed restore left in them. Paths that are not real directories are skipped; the
   * target itself ("") gets its mtime but keeps its mode.
   */
  async setDirTimes(dirs: Iterable<DirAttrs>): Promise<void> {
    const sorted = [...dirs].sort((a, b) => depth(b.path) - depth(a.path));
    for (const d of sorted) {
      checkMemberPath(d.path);
      const fd = this.openDir(d.path, false);
      if (fd === undefined) continue;
      this.guard(d.path, () => {
        this.sweepLeftovers(fd, d.path);
        if (d.path !== '') {
          const owner = ownerOf(d);
          if (owner) fchownSync(fd, owner.uid, owner.gid);
          fchmodSync(fd, d.mode & 0o7777);
        }
        futimesSync(fd, timeArg(d.mtime), timeArg(d.mtime));
      });
    }
    return Promise.resolve();
  }

  /** Closes the held directory descriptors. */
  close(): void {
    for (const fd of this.fds.values()) ignoreErrors(() => closeSync(fd));
    this.fds.clear();
    if (this.rootFd !== undefined) ignoreErrors(() => closeSync(this.rootFd!));
    this.rootFd = undefined;
  }

  /** changeMadeEntry, failing the restore when the entry at `tmpPath` is not the one made there. */
  private setMadeAttrs(tmpPath: string | Buffer, path: string, isMade: (st: Stats) => boolean, set: (self: string) => void): void {
    if (!changeMadeEntry(tmpPath, isMade, set)) throw this.replaced(path);
  }

  private replaced(path: string, cause?: unknown): BackupError {
    return new BackupError('IO', `${this.show(path)} was replaced while the restore was making it; make sure no one else writes to the target and restore again`, { cause, subject: this.show(path) });
  }

  /**
   * A descriptor of the real directory at `path`, opened component by component with
   * O_NOFOLLOW from the target's own descriptor. With `create` (for the entry `member`),
   * missing directories are made (0700 until setDirTimes) and a file in the way is removed;
   * a symlink in the way is replaced when it is `member` itself and refused
   * (ARCHIVE_UNSAFE_PATH) when it stands where a parent of `member` belongs. Without
   * `create`, undefined when `path` is not a real directory.
   */
  private openDir(path: string, create: true, member: string): number;
  private openDir(path: string, create: false): number | undefined;
  private openDir(path: string, create: boolean, member?: string): number | undefined;
  private openDir(path: string, create: boolean, member = path): number | undefined {
    if (path === '') return this.openRoot(create);
    let fd = this.fds.get(path);
    if (fd !== undefined) {
      this.fds.delete(path);
    } else {
      const parent = this.openDir(parentOf(path), create, member);
      if (parent === undefined) return undefined;
      fd = create ? this.guard(path, () => this.makeDirAt(parent, path, member)) : this.tryOpenDirAt(parent, path);
      if (fd === undefined) return undefined;
      if (this.fds.size >= MAX_OPEN_DIRS) {
        const [oldPath, oldFd] = this.fds.entries().next().value as [string, number];
        this.fds.delete(oldPath);
        closeSync(oldFd);
      }
    }
    this.fds.set(path, fd);
    if (create && !this.knownDirs.has(path)) {
      const dirFd = fd;
      this.guard(path, () => {
        const mode = fstatSync(dirFd).mode;
        if ((mode & 0o700) !== 0o700) fchmodSync(dirFd, (mode & 0o7777) | 0o700);
      });
      this.knownDirs.add(path);
    }
    return fd;
  }

  /**
   * The target's descriptor, opened without following a symlink there (prepareTarget refuses
   * one). With `opts.create` the restore makes the target itself, once, and refuses one that
   * appeared since it was found missing: another user could have put there a symlink to a
   * directory elsewhere, or a directory of their own.
   */
  private openRoot(create: boolean): number | undefined {
    if (this.rootFd !== undefined) return this.rootFd;
    if (this.opts.create && !this.rootMade) {
      if (!create) return undefined;
      try {
        makeDirs(dirname(this.root));
        mkdirSync(this.root, 0o700);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new BackupError('TARGET_NOT_EMPTY', `restore target ${this.root} appeared while the restore was starting (it was missing when checked); make sure no one else writes there and restore again`, { cause: err, subject: this.root });
        }
        throw fromSystemError(err, this.root);
      }
      this.rootMade = true;
    }
    try {
      this.rootFd = openSync(this.root, DIR_FLAGS);
    } catch (err) {
      if (!create && isGone(err)) return undefined;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.opts.create) throw fromSystemError(err, this.root);
      try {
        makeDirs(this.root);
        this.rootFd = openSync(this.root, DIR_FLAGS);
      } catch (e) {
        throw fromSystemError(e, this.root);
      }
    }
    return this.rootFd;
  }

  private tryOpenDirAt(parent: number, path: string): number | undefined {
    try {
      return openSync(at(parent, baseOf(path)), DIR_FLAGS);
    } catch (err) {
      if (isGone(err)) return undefined;
      throw this.systemError(err, path);
    }
  }

  /** Opens the directory `path` in `parent`, making it (after removing a non-directory in the way) when needed. */
  private makeDirAt(parent: number, path: string, member: string): number {
    const p = at(parent, baseOf(path));
    // another user may keep replacing it; each round either opens a real directory or fails
    for (let attempt = 0; ; attempt++) {
      try {
        return openSync(p, DIR_FLAGS);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Linux answers ENOTDIR, not ELOOP, for a symlink opened with O_DIRECTORY|O_NOFOLLOW
        if (path !== member && (code === 'ELOOP' || code === 'ENOTDIR') && isSymlinkAt(p)) throw unsafe(member, `its parent "${path}" is a symlink in the target`);
        if (!isGone(err) || attempt >= 5) {
          // made again and again, and each time gone (renamed away), a file or a symlink
          if (isGone(err)) {
            throw new BackupError('IO', `${this.show(path)} keeps being replaced while the restore runs; make sure no one else writes to the target and restore again`, { cause: err, subject: this.show(path) });
          }
          throw err;
        }
        if (code !== 'ENOENT') this.removeAt(parent, baseOf(path));
      }
      try {
        mkdirSync(p, 0o700);
        if (this.opts.keepExisting) this.created.add(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  /** Removes the entry `name` of the directory `parent` (a directory recursively, through descriptors). */
  private removeAt(parent: number, name: string): boolean {
    const p = at(parent, name);
    try {
      unlinkSync(p);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EISDIR' && code !== 'EPERM') throw err;
    }
    let fd: number;
    try {
      fd = openSync(p, DIR_FLAGS);
    } catch (err) {
      // replaced by a non-directory meanwhile: remove that instead
      if (isGone(err)) return this.removeAt(parent, name);
      throw err;
    }
    try {
      const mode = fstatSync(fd).mode;
      if ((mode & 0o700) !== 0o700) ignoreErrors(() => fchmodSync(fd, (mode & 0o7777) | 0o700));
      for (const child of readdirSync(fdPath(fd), { encoding: 'buffer' })) this.removeAt(fd, nameFromBytes(child));
    } finally {
      closeSync(fd);
    }
    rmdirSync(p);
    return true;
  }

  /** Renames the finished temporary entry `tmp` in `parent` to `path`'s name, removing whatever is in the way. */
  private renameOver(parent: number, tmp: string, path: string): void {
    const name = baseOf(path);
    if (this.knownDirs.has(path) || this.fds.has(path)) {
      this.forget(path);
      this.removeAt(parent, name);
    }
    try {
      renameSync(at(parent, tmp), at(parent, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // the temporary entry renamed away by another user
      if (code === 'ENOENT') throw this.replaced(path, err);
      // a (non-empty) directory in the way, made by an earlier archive of the chain or already in the target
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      this.forget(path);
      this.removeAt(parent, name);
      renameSync(at(parent, tmp), at(parent, name));
    }
  }

  /** Removes temporary files (never directories) an earlier restore left in the directory `fd`. */
  private sweepLeftovers(fd: number, path: string): void {
    for (const raw of readdirSync(fdPath(fd), { encoding: 'buffer' })) {
      const name = nameFromBytes(raw);
      if (!TMP_NAME.test(name) || this.restoredTmpLike.has(path === '' ? name : `${path}/${name}`)) continue;
      ignoreErrors(() => unlinkSync(at(fd, name)));
    }
  }

  private noteWritten(path: string): void {
    if (this.opts.keepExisting) this.created.add(path);
    if (TMP_NAME.test(baseOf(path))) this.restoredTmpLike.add(path);
  }

  /** Drops `path` and everything below it from the known and open directories. */
  private forget(path: string): void {
    const prefix = `${path}/`;
    if (this.knownDirs.delete(path)) for (const d of this.knownDirs) if (d.startsWith(prefix)) this.knownDirs.delete(d);
    for (const [p, fd] of this.fds) {
      if (p !== path && !p.startsWith(prefix)) continue;
      this.fds.delete(p);
      ignoreErrors(() => closeSync(fd));
    }
  }

  /** Runs `fn`, turning a system error into a BackupError that names `path` in the target. */
  private guard<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw err instanceof BackupError ? err : this.systemError(err, path);
    }
  }

  private systemError(err: unknown, path: string): BackupError {
    const shown = this.show(path);
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e === 'object' && e.code) {
      // the /proc/self/fd path of the call means nothing to the user
      e.path = shown;
      if (!['ENOSPC', 'EACCES', 'EPERM', 'ENOENT'].includes(e.code)) return new BackupError('IO', `cannot restore ${shown}: ${e.code}`, { cause: err, subject: shown });
    }
    return fromSystemError(err, shown);
  }

  private show(path: string): string {
    return join(this.root, showName(path));
  }
}

/**
 * `/proc/self/fd/<fd>/<name>`: the entry `name` of the directory held by `fd`; a string
 * (which Node passes as UTF-8) unless the name holds escaped bytes, then its raw bytes.
 */
function at(fd: number, name: string): string | Buffer {
  if (!hasEscapedBytes(name)) return `${fdPath(fd)}/${name}`;
  return Buffer.concat([Buffer.from(`${fdPath(fd)}/`), nameToBytes(name)]);
}

/** The directory held by `fd` itself. */
function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The error for a member of another type than a directory that names the target itself ("./"). */
function notADirectory(what: string): BackupError {
  return new BackupError('ARCHIVE_CORRUPT', `the archive has ${what} member named "./", the restore target itself, which is a directory; the archive is damaged or malicious`, { subject: './' });
}

/** A temporary name, unique within this process. */
function tmpName(): string {
  return `.backup-restore-${process.pid}-${++tmpCounter}.tmp`;
}

/**
 * Runs `set` on the symlink, FIFO or device node a restore just made at `tmpPath`, giving it
 * the path of an O_PATH descriptor of that entry (`/proc/self/fd/N`, through which chown,
 * chmod and utimes reach the entry itself, a symlink included), and returns true; returns
 * false without calling `set` when the entry there is gone or is not one this process made
 * (`isMade`, owned by this process, one link). In a directory where other users can rename
 * entries, a temporary name may have been given to another file meanwhile, such as a hard
 * link to a file elsewhere: that file is never changed.
 */
export function changeMadeEntry(tmpPath: string | Buffer, isMade: (st: Stats) => boolean, set: (self: string) => void): boolean {
  let fd: number;
  try {
    fd = openSync(tmpPath, O_PATH | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!isMade(st) || st.nlink !== 1 || st.uid !== process.geteuid?.()) return false;
    set(fdPath(fd));
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a sparse file's stored bytes (its extents, back to back) at the extents' offsets,
 * leaving holes between them; the caller truncates to the real size.
 */
async function writeSparse(fd: number, body: AsyncIterable<Uint8Array>, map: SparseMap, signal?: AbortSignal): Promise<void> {
  let i = 0;
  let into = 0;
  for await (const chunk of body) {
    throwIfAborted(signal);
    let from = 0;
    while (from < chunk.length) {
      while (i < map.extents.length && into >= map.extents[i].size) {
        i++;
        into = 0;
      }
      if (i >= map.extents.length) throw new BackupError('ARCHIVE_CORRUPT', 'a sparse member holds more data than its map places; use another copy of the archive');
      const n = Math.min(chunk.length - from, map.extents[i].size - into);
      let done = 0;
      while (done < n) done += writeSync(fd, chunk, from + done, n - done, map.extents[i].offset + into + done);
      from += n;
      into += n;
    }
  }
}

function isFileAt(p: string | Buffer): boolean {
  try {
    return lstatSync(p).isFile();
  } catch {
    return false;
  }
}

function isSymlinkAt(p: string | Buffer): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Missing, or not a real directory (a file, or a symlink that O_NOFOLLOW refused). */
function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort
  }
}

/** Parent of a relative path ("" for top-level names). */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Last component of a relative path. */
function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function depth(path: string): number {
  if (path === '') return 0;
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}
