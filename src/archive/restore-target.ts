/**
 * Safe writing into a restore target, shared by archive extraction and catalog-driven
 * restores. Every path goes through resolveInside (no absolute paths, "..", or symlinked
 * parents); nothing already in the target is ever followed: whatever is in the way of a
 * directory, file or symlink is removed and replaced. Files are written under a temporary
 * name in their directory and renamed into place, so a failed restore never leaves a
 * half-written file under a real name. Directories stay writable (u+rwx) while a restore
 * works in them; setDirTimes gives them their mode and mtime at the end.
 *
 * Ownership is restored (chown) only when running as root, as GNU tar does.
 */
import { writeSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, symlink, unlink, chmod, utimes, lutimes, lchown } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BackupError, fromSystemError, throwIfAborted } from '../errors.js';
import { resolveInside } from './safe-path.js';

/** What a restored entry gets besides its content. */
export interface EntryAttrs {
  /** Permission bits. */
  mode: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  /** Applied only when running as root. */
  uid?: number;
  gid?: number;
}

/** A directory whose attributes are set once everything inside it is written. */
export interface DirAttrs extends EntryAttrs {
  /** Relative path ("" is the target itself, whose mode is left alone). */
  path: string;
}

const asRoot = process.getuid?.() === 0;
let tmpCounter = 0;

/**
 * One restore's view of its target directory. It remembers which directories it has made or
 * checked, so each file costs no extra lstat of its parents; that memory assumes nothing
 * else changes the target while the restore runs (every change this class makes updates it).
 * Relative paths are data-relative ("" is the target itself). Methods are not safe to call
 * concurrently for overlapping paths.
 */
export class RestoreTarget {
  /** Relative paths known to be real directories; closed under parents. */
  private readonly knownDirs = new Set<string>();

  constructor(readonly root: string) {}

  /** The absolute path of a member path, checked with resolveInside. */
  resolve(path: string): Promise<string> {
    return resolveInside(this.root, path, this.knownDirs);
  }

  /**
   * Makes `path` a real, writable directory and returns its absolute path: missing parents
   * are created, and a file or symlink in the way is removed first. Idempotent.
   */
  async ensureDir(path: string): Promise<string> {
    if (path === '') {
      await mkdir(this.root, { recursive: true }).catch((err: unknown) => {
        throw fromSystemError(err, this.root);
      });
      return this.root;
    }
    const abs = await this.resolve(path);
    if (this.knownDirs.has(path)) return abs;
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.knownDirs.has(rel)) continue;
      const cur = join(this.root, rel);
      try {
        const st = await lstat(cur).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
        if (st?.isDirectory()) {
          if ((st.mode & 0o700) !== 0o700) await chmod(cur, (st.mode & 0o7777) | 0o700);
        } else {
          if (st) await rm(cur, { force: true, recursive: true });
          await mkdir(cur, { mode: 0o700 });
        }
      } catch (err) {
        throw fromSystemError(err, cur);
      }
      this.knownDirs.add(rel);
    }
    return abs;
  }

  /** Removes whatever is at `path` (recursively; symlinks are removed, not followed). Returns whether something was there. */
  async removeEntry(path: string): Promise<boolean> {
    if (path === '') throw new BackupError('INTERNAL', 'removeEntry: refusing to remove the restore target itself');
    const abs = await this.resolve(path);
    this.forget(path);
    try {
      await lstat(abs);
    } catch {
      return false;
    }
    await rm(abs, { recursive: true, force: true }).catch((err: unknown) => {
      throw fromSystemError(err, abs);
    });
    return true;
  }

  /**
   * GNU dumpdir semantics for one directory: removes every entry of the existing directory
   * `path` whose name is not in `keep` (recursively), limited to paths `filter` accepts.
   * Returns how many entries were removed; a missing or non-directory path removes nothing.
   */
  async purgeDir(path: string, keep: ReadonlySet<string>, filter?: (path: string) => boolean): Promise<number> {
    const abs = await this.resolve(path);
    let names: string[];
    try {
      if (!(await lstat(abs)).isDirectory()) return 0;
      names = await readdir(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw fromSystemError(err, abs);
    }
    let removed = 0;
    for (const name of names) {
      if (keep.has(name)) continue;
      const child = path === '' ? name : `${path}/${name}`;
      if (filter && !filter(child)) continue;
      if (await this.removeEntry(child)) removed++;
    }
    return removed;
  }

  /**
   * Writes a regular file from `body`: to a temporary name beside it, with mode, mtime (and
   * owner as root) set, then renamed over whatever is at `path` (a directory in the way is
   * removed). Missing parents are created. On failure the temporary file is removed.
   */
  async writeFileEntry(path: string, body: AsyncIterable<Uint8Array>, attrs: EntryAttrs, signal?: AbortSignal): Promise<void> {
    const abs = await this.resolve(path);
    const tmp = tmpNameBeside(abs);
    let fh;
    try {
      fh = await open(tmp, 'wx', 0o600);
    } catch (err) {
      if (!isMissingParent(err)) throw fromSystemError(err, abs);
      await this.ensureDir(parentOf(path));
      fh = await open(tmp, 'wx', 0o600).catch((e: unknown) => {
        throw fromSystemError(e, abs);
      });
    }
    try {
      try {
        for await (const chunk of body) {
          throwIfAborted(signal);
          let done = 0;
          // synchronous writes: the main thread writes while the thread pool inflates the next chunks
          while (done < chunk.length) done += writeSync(fh.fd, chunk, done, chunk.length - done);
        }
        if (asRoot && attrs.uid !== undefined && attrs.gid !== undefined) await fh.chown(attrs.uid, attrs.gid);
        await fh.chmod(attrs.mode & 0o7777);
        await fh.utimes(attrs.mtime, attrs.mtime);
      } finally {
        await fh.close();
      }
      await this.renameOver(tmp, abs, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err instanceof BackupError ? err : fromSystemError(err, abs);
    }
  }

  /** Creates a symlink (its target stored as is, never followed), replacing whatever is at `path`. */
  async writeSymlinkEntry(path: string, target: string, attrs: Pick<EntryAttrs, 'mtime' | 'uid' | 'gid'>): Promise<void> {
    const abs = await this.resolve(path);
    const tmp = tmpNameBeside(abs);
    try {
      try {
        await symlink(target, tmp);
      } catch (err) {
        if (!isMissingParent(err)) throw err;
        await this.ensureDir(parentOf(path));
        await symlink(target, tmp);
      }
      if (asRoot && attrs.uid !== undefined && attrs.gid !== undefined) await lchown(tmp, attrs.uid, attrs.gid).catch(() => undefined);
      // some file systems cannot set a symlink's own times; its target's are never touched
      await lutimes(tmp, attrs.mtime, attrs.mtime).catch(() => undefined);
      await this.renameOver(tmp, abs, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err instanceof BackupError ? err : fromSystemError(err, abs);
    }
  }

  /**
   * Gives directories their mode, mtime (and owner as root), deepest first, since writing
   * inside a directory changes its mtime. Paths that are not real directories are skipped;
   * the target itself ("") gets its mtime but keeps its mode.
   */
  async setDirTimes(dirs: Iterable<DirAttrs>): Promise<void> {
    const sorted = [...dirs].sort((a, b) => depth(b.path) - depth(a.path));
    for (const d of sorted) {
      const abs = await this.resolve(d.path);
      try {
        const st = await lstat(abs).catch(() => undefined);
        if (!st?.isDirectory()) continue;
        if (d.path !== '') {
          if (asRoot && d.uid !== undefined && d.gid !== undefined) await lchown(abs, d.uid, d.gid);
          await chmod(abs, d.mode & 0o7777);
        }
        await utimes(abs, d.mtime, d.mtime);
      } catch (err) {
        throw fromSystemError(err, abs);
      }
    }
  }

  /** Renames a finished temporary entry to `abs`, removing a directory that is in the way. */
  private async renameOver(tmp: string, abs: string, path: string): Promise<void> {
    if (this.knownDirs.has(path)) {
      this.forget(path);
      await rm(abs, { recursive: true, force: true });
      await rename(tmp, abs);
      return;
    }
    try {
      await rename(tmp, abs);
    } catch (err) {
      // a (non-empty) directory in the way, made by an earlier archive of the chain
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(abs, { recursive: true, force: true });
      await rename(tmp, abs);
    }
  }

  /** Drops `path` and everything below it from the known directories. */
  private forget(path: string): void {
    if (!this.knownDirs.delete(path)) return;
    const prefix = `${path}/`;
    for (const d of this.knownDirs) if (d.startsWith(prefix)) this.knownDirs.delete(d);
  }
}

/** A temporary name next to `abs`, unique within this process. */
function tmpNameBeside(abs: string): string {
  return join(dirname(abs), `.backup-restore-${process.pid}-${++tmpCounter}.tmp`);
}

/** Parent of a relative path ("" for top-level names). */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function isMissingParent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function depth(path: string): number {
  if (path === '') return 0;
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}
